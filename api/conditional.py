"""Conditional GET for the JSON DRF renders itself (writes' reads, signed-in and `.json` reads,
search, API v3): an ETag of the body, `Last-Modified` when the view gives one, and a 304 when
`If-None-Match` matches. The stored-document reads (api/reads.py) do the same for theirs."""

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponseNotModified
from django.utils.http import http_date, parse_etags


def etag(body: bytes) -> str:
    """The ETag of a response body."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def matches(request: HttpRequest, tag: str) -> bool:
    """Does the request's `If-None-Match` name `tag` (or `*`)?"""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    candidates = parse_etags(header)
    return "*" in candidates or tag in {candidate.removeprefix("W/") for candidate in candidates}


class ConditionalMixin:
    """For DRF views: a JSON 200 to a GET or HEAD carries an ETag (and `Last-Modified` when the
    response has a `last_modified` attribute); a matching `If-None-Match` gets a 304."""

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        renderer = getattr(request, "accepted_renderer", None)
        if (
            request.method not in {"GET", "HEAD"}
            or response.status_code != 200
            or getattr(renderer, "format", None) != "json"
        ):
            return response
        tag = etag(response.render().content)
        modified = getattr(response, "last_modified", None)
        if matches(request, tag):
            kept = {name: response[name] for name in ("Allow", "Vary") if response.has_header(name)}
            response = HttpResponseNotModified()
            for name, value in kept.items():
                response[name] = value
        response["ETag"] = tag
        if modified is not None:
            response["Last-Modified"] = http_date(modified.timestamp())
        return response
