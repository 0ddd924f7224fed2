"""The Content-Security-Policy header on every HTML response.

Pages load scripts, styles, fonts and images from this site only, and no other site may frame
them. No inline script runs and no inline style applies, except:
- the few inline attributes DRF's own templates carry (listed below), allowed by their hash;
- <style> elements ReDoc adds before it knows the nonce (by hash);
- what a page marks with `request.csp_nonce`, a per-response nonce that enters the policy only
  when a template used it (the docs page hands it to ReDoc for the styles ReDoc injects).
A response that already carries a policy keeps it.
"""

import base64
import hashlib
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

# rest_framework/base.html (format menu, filters button) and login_base.html.
DRF_INLINE_STYLES = (
    "float: right; margin-right: 10px",
    "margin-top: 30px",
    "width: 320px; margin-left: auto; margin-right: auto",
    "margin: 0 0 20px;",
    "border: none",
)
# The browsable API's "Log out" link (rest_framework's optional_logout tag).
DRF_INLINE_HANDLERS = ('document.getElementById("logoutForm").submit()',)
# <style> elements ReDoc's bundle (drf-spectacular-sidecar) adds as it loads, before it knows the
# nonce: perfect-scrollbar's stylesheet, and styled-components' first, empty, sheet. A new
# sidecar release may change them; tests/e2e/test_csp.py then names the new hash.
REDOC_STYLE_HASHES = (
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
)


def _sha256(source: str) -> str:
    digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def build_policy(nonce: str | None = None) -> str:
    """The policy header's value; `nonce` (if any) admits the elements that carry it."""
    nonced = [f"'nonce-{nonce}'"] if nonce else []
    scripts = ["'self'", "'unsafe-hashes'", *map(_sha256, DRF_INLINE_HANDLERS), *nonced]
    styles = [
        "'self'",
        "'unsafe-hashes'",
        *map(_sha256, DRF_INLINE_STYLES),
        *REDOC_STYLE_HASHES,
        *nonced,
    ]
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {' '.join(scripts)}",
            f"style-src {' '.join(styles)}",
            "img-src 'self' data:",
            # ReDoc's search index runs in a worker it builds from its own bundle.
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        issued: list[str] = []

        def issue_nonce() -> str:
            issued.append(secrets.token_urlsafe(18))
            return issued[0]

        request.csp_nonce = SimpleLazyObject(issue_nonce)  # type: ignore[attr-defined]  # ours
        response = self.get_response(request)
        is_html = response.get("Content-Type", "").startswith("text/html")
        if is_html and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = build_policy(issued[0] if issued else None)
        return response
