"""Response: one answer as the forge and PyPI clients see it (status, headers, body, JSON)."""

import json
from dataclasses import dataclass
from typing import Any

from packages.fetch.errors import UpstreamDataError


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes
    url: str
    not_modified: bool = False
    redirected: bool = False

    def json(self) -> Any:
        """The body as JSON; HTML, truncated or non-UTF-8 bodies raise UpstreamDataError."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            ctype = self.headers.get("content-type", "?")
            raise UpstreamDataError(
                f"{self.url}: not JSON ({ctype}, {len(self.body)} bytes)", reason="invalid_json"
            ) from exc

    def link(self, rel: str = "next") -> str | None:
        """The URL of a `Link: <...>; rel="next"` header, or None."""
        for part in self.headers.get("link", "").split(","):
            pieces = part.split(";")
            target = pieces[0].strip()
            if target.startswith("<") and target.endswith(">"):
                for param in pieces[1:]:
                    key, _, value = param.strip().partition("=")
                    if key.strip() == "rel" and rel in value.strip().strip('"').split():
                        return target[1:-1]
        return None
