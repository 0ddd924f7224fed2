"""Repository URL and PyPI name normalization."""

import pytest

from packages.identifiers import (
    IdentifierError,
    normalize_pypi_name,
    normalize_repo_url,
    validate_public_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("https://GitHub.com/o/r.git/", "https://github.com/o/r"),
        ("http://www.github.com/o/r/", "https://github.com/o/r"),
        ("https://gitlab.com/group/sub/project.git", "https://gitlab.com/group/sub/project"),
        ("https://codeberg.org/o/r?tab=readme#top", "https://codeberg.org/o/r"),
        ("  https://bitbucket.org/o/r  ", "https://bitbucket.org/o/r"),
        ("", ""),
    ],
)
def test_normalize_repo_url(raw, expected):
    assert normalize_repo_url(raw) == expected


@pytest.mark.parametrize("raw", ["ftp://github.com/o/r", "github.com/o/r", "javascript:alert(1)"])
def test_normalize_repo_url_rejects_non_http(raw):
    with pytest.raises(IdentifierError):
        normalize_repo_url(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Django_REST.framework", "django-rest-framework"),
        ("https://pypi.org/project/django-filter/", "django-filter"),
        ("https://pypi.python.org/pypi/Django-Foo", "django-foo"),
        ("", ""),
    ],
)
def test_normalize_pypi_name(raw, expected):
    assert normalize_pypi_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["https://example.com/project/x/", "not a name", "-leading", "https://pypi.org/"]
)
def test_normalize_pypi_name_rejects_garbage(raw):
    with pytest.raises(IdentifierError):
        normalize_pypi_name(raw)


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/o/r",
        "http://django-foo.readthedocs.io/en/latest/",
        "https://example.org:443/docs",
        "https://1password.com/x",
        "https://0x00.example.org/",
        "https://münchen.example/",
    ],
)
def test_public_urls_are_accepted(url):
    assert validate_public_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://github.com/o/r", "http and https"),
        ("javascript:alert(1)", "http and https"),
        ("file:///etc/passwd", "http and https"),
        ("https://user:pw@github.com/o/r", "credentials"),
        ("https://user@github.com/o/r", "credentials"),
        ("https://github.com:8443/o/r", "port"),
        ("http://127.0.0.1/x", "IP address"),
        ("http://169.254.169.254/latest/meta-data/", "IP address"),
        ("http://[::1]/x", "IP address"),
        ("http://10.0.0.8/x", "IP address"),
        ("http://127.1/", "IP address"),
        ("http://0177.0.0.1/", "IP address"),
        ("http://0x7f.0.0.1/", "IP address"),
        ("http://0X7F.1/", "IP address"),
        ("http://127.0.0.01/", "IP address"),
        ("http://2130706433/", "IP address"),
        ("http://0x7f000001/", "IP address"),
        ("http://017700000001/", "IP address"),
        ("http://127.0.0.1./", "IP address"),
        ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "IP address"),
        ("http://127\u30020\u30020\u30021/", "IP address"),
        ("http://127\uff0e0\uff0e0\uff0e1/", "IP address"),
        ("http://%31%32%37.0.0.1/", "IP address"),
        ("http://[::ffff:127.0.0.1]/", "IP address"),
        ("http://[fe80::1%25eth0]/", "IP address"),
        ("http://999.999.999.999/", "IP address"),
        ("http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/", "public host"),
        ("http://printer\uff0elocal/", "public host"),
        ("http://localhost/x", "public host"),
        ("http://gitlab.internal/o/r", "public host"),
        ("http://printer.local/", "public host"),
        ("http://intranet/o/r", "public host"),
        ("https://github.com/o/r\x00", "control characters"),
        ("https://github.com/o /r", "control characters"),
        ("https://github.com:99999/o/r", "not a valid URL"),
    ],
)
def test_private_or_odd_urls_are_refused(url, reason):
    with pytest.raises(IdentifierError, match=reason):
        validate_public_url(url)
