"""Which certificate authorities the fetcher trusts: the system's store (so a CA an operator adds
there, or names in SSL_CERT_FILE, works behind a TLS-intercepting proxy) and certifi's."""

import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import certifi
import pytest

from packages.fetch.errors import TransportError
from packages.fetch.http.config import HttpConfig
from packages.fetch.http.transport import Transport

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def corporate_ca(tmp_path_factory):
    """A private CA (as a TLS-intercepting proxy has) and a server certificate it signed."""
    where = tmp_path_factory.mktemp("tls")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Intercepting Proxy CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=where,
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        cwd=where,
    )
    (where / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
            cwd=where)  # fmt: skip
    return where


class _Json(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def https_origin(corporate_ca):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Json)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(corporate_ca / "server.pem", corporate_ca / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def transport():
    return Transport(HttpConfig.from_settings())


def test_a_ca_the_operator_trusts_in_the_system_store_is_trusted(
    https_origin, corporate_ca, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(corporate_ca / "ca.pem"))

    response = transport().send(https_origin, f"{https_origin}/pypi/x/json", {})

    assert response.status == 200
    assert json.loads(response.body) == {"ok": True}


def test_a_ca_nobody_trusts_is_a_tls_error(https_origin, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))

    with pytest.raises(TransportError) as refused:
        transport().send(https_origin, f"{https_origin}/pypi/x/json", {})

    assert refused.value.unreachable == "TLS error"


def test_certifis_authorities_stay_trusted_beside_the_systems(
    https_origin, corporate_ca, monkeypatch, tmp_path
):
    """A system store without the CA, certifi's bundle with it (as for a public CA)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    monkeypatch.setattr(certifi, "where", lambda: str(corporate_ca / "ca.pem"))

    response = transport().send(https_origin, f"{https_origin}/pypi/x/json", {})

    assert response.status == 200
