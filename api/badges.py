"""README badges: `GET /api/v4/packages/{id or slug}/badge.svg?metric=...` as a shields-style SVG.

Metrics: stars (default), score, downloads, version, last-commit; `label=` replaces the left
text. Every answer is a small SVG (an unknown package is a 404 "unknown" badge) with an ETag
and `Cache-Control: public, max-age=3600`, so README proxies (GitHub's camo) keep a copy; a bad
metric or label is a 400 JSON error, since no badge could say what went wrong. Control
characters are dropped from the label and from stored values, so the SVG is well-formed XML
whatever a query or a row holds.
"""

import hashlib
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.html import escape
from django.utils.http import parse_etags

from api.lookups import id_or_slug
from common.text import strip_control_characters, xml_text
from packages.models import Package

METRICS = ("stars", "score", "downloads", "version", "last-commit")
DEFAULT_METRIC = "stars"
MAX_LABEL_CHARS = 40
CACHE_CONTROL = "public, max-age=3600"
# A package added after a miss should not read "unknown" for a whole hour.
UNKNOWN_CACHE_CONTROL = "public, max-age=300"
UNKNOWN = "unknown"

_COLOURS = {"good": "#4c1", "fair": "#dfb317", "poor": "#e05d44", "neutral": "#007ec6"}
_GREY = "#9f9f9f"
_FIELDS = (
    "repo_watchers",
    "score",
    "pypi_version",
    "last_updated",
    "pypi_downloads",
    "pypi_downloads_at",
)


@dataclass(frozen=True)
class Badge:
    label: str
    value: str
    colour: str


def metric_badge(package: Package | None, metric: str, label: str = "") -> Badge:
    """The badge `package` shows for `metric` (one of METRICS); None package: "unknown"."""
    label = label or metric
    if package is None:
        return Badge(label, UNKNOWN, _GREY)
    if metric == "stars":
        return Badge(label, _thousands(package.repo_watchers), _COLOURS["neutral"])
    if metric == "score":
        score = package.score
        band = "good" if score >= 70 else "fair" if score >= 40 else "poor"
        return Badge(label, f"{score}/100", _COLOURS[band])
    if metric == "version":
        version = package.pypi_version
        return Badge(label, f"v{version}" if version else UNKNOWN, _COLOURS["neutral"])
    if metric == "last-commit":
        when = package.last_updated
        return Badge(label, when.date().isoformat() if when else UNKNOWN, _COLOURS["neutral"])
    if package.pypi_downloads_at is None:  # pypistats.org has not answered yet
        return Badge(label, UNKNOWN, _GREY)
    return Badge(label, f"{_thousands(package.pypi_downloads)}/month", _COLOURS["neutral"])


def _thousands(number: int) -> str:
    if number >= 1_000_000:
        return f"{number / 1_000_000:.1f}M".replace(".0M", "M")
    if number >= 1_000:
        return f"{number / 1_000:.1f}k".replace(".0k", "k")
    return str(number)


# Verdana 11px advance widths, roughly, as shields measures them; unknown characters count wide.
_NARROW, _WIDE = set("fijlrt.,:;'!|() "), set("mwMW@%")


def _text_width(text: str) -> int:
    return sum(4 if c in _NARROW else 10 if c in _WIDE else 7 for c in text)


def render_badge(badge: Badge) -> str:
    """A flat shields-style SVG: grey label on the left, coloured value on the right."""
    label, value = xml_text(badge.label), xml_text(badge.value)
    label_width, value_width = _text_width(label) + 10, _text_width(value) + 10
    width = label_width + value_width
    label, value = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label}: {value}"><title>{label}: {value}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{label_width}" height="20" fill="#555"/>'
        f'<rect x="{label_width}" width="{value_width}" height="20" fill="{badge.colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{label_width / 2:.1f}" y="15" fill="#010101" fill-opacity=".3">{label}</text>'
        f'<text x="{label_width / 2:.1f}" y="14">{label}</text>'
        f'<text x="{label_width + value_width / 2:.1f}" y="15" fill="#010101" '
        f'fill-opacity=".3">{value}</text>'
        f'<text x="{label_width + value_width / 2:.1f}" y="14">{value}</text></g></svg>'
    )


def package_badge(request: HttpRequest, pk: str) -> HttpResponse:
    """The badge of the package `pk` (an id or a slug) for `?metric=` (default stars)."""
    if request.method not in ("GET", "HEAD"):
        refusal = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
        refusal["Allow"] = "GET, HEAD"
        return refusal
    metric = request.GET.get("metric", DEFAULT_METRIC)
    if metric not in METRICS:
        return JsonResponse(
            {"metric": [f"Unknown metric {metric!r}: use one of {', '.join(METRICS)}."]},
            status=400,
        )
    label = strip_control_characters(request.GET.get("label", ""), multiline=False).strip()
    if len(label) > MAX_LABEL_CHARS:
        return JsonResponse(
            {"label": [f"A label has at most {MAX_LABEL_CHARS} characters."]}, status=400
        )
    lookup = id_or_slug(pk)
    package = Package.objects.only(*_FIELDS).filter(**lookup).first() if lookup else None
    body = render_badge(metric_badge(package, metric, label)).encode()
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    candidates = parse_etags(request.headers.get("If-None-Match", ""))
    response: HttpResponse
    if package is not None and (etag in candidates or "*" in candidates):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(
            body, status=200 if package else 404, content_type="image/svg+xml; charset=utf-8"
        )
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL if package else UNKNOWN_CACHE_CONTROL
    return response
