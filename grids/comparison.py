"""A grid as a comparison table: features across, packages down, a classified cell for each pair.

`build_comparison(grid)` gives the data of the comparison endpoint minus the grid's own API
object and the package API URLs (each row carries the package `id` and `slug` to build them);
`render_comparison_csv` turns it into a spreadsheet.
"""

import csv
import io
import re
from typing import Any

from django.utils import timezone

from grids.models import Element, Feature, Grid

MARK_YES, MARK_NO, MARK_PARTIAL, MARK_NONE = "yes", "no", "partial", "none"

# Marks that may lead a longer text ("Yes, via a plugin", "No (planned)", "✅ since 2.0").
_LEADING_MARKS = {
    "yes": MARK_YES,
    "true": MARK_YES,
    "good": MARK_YES,
    "✓": MARK_YES,
    "✔": MARK_YES,
    "✅": MARK_YES,
    "☑": MARK_YES,
    "no": MARK_NO,
    "false": MARK_NO,
    "bad": MARK_NO,
    "✗": MARK_NO,
    "✘": MARK_NO,
    "❌": MARK_NO,
    "✖": MARK_NO,
    "partial": MARK_PARTIAL,
    "partially": MARK_PARTIAL,
    "partly": MARK_PARTIAL,
}
# Marks that only count when the whole cell is made of marks: "+", "-" and "~" are too common
# as bullets or in "+1"/"~50%", and "y"/"n"/"check" too common in prose ("n/a", "check docs").
_WHOLE_CELL_MARKS = {
    "+": MARK_YES,
    "y": MARK_YES,
    "check": MARK_YES,
    "checked": MARK_YES,
    "-": MARK_NO,
    "n": MARK_NO,
    "~": MARK_PARTIAL,
    "±": MARK_PARTIAL,
}
_JOINERS = {"/", "&", "|", "and", "or"}
_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")


def classify_mark(text: str) -> str:
    """Read a cell's text as "yes", "no", "partial" or "none".

    The text is trimmed and case-folded (emoji variation selectors are ignored), then split
    into words and single symbols. Its leading run of marks, optionally joined by "/", "&",
    "|", "and" or "or", decides:
    - yes marks: yes, true, good, ✓ ✔ ✅ ☑, and as a whole cell also + y check checked;
    - no marks: no, false, bad, ✗ ✘ ❌ ✖, and as a whole cell also - n;
    - partial marks: partial, partially, partly, and as a whole cell also ~ ±.
    The run gives "partial" when it holds a partial mark or both yes and no marks ("+/-",
    "+-", "yes/no", "yes and no", "✓ ✗"), otherwise the one kind it holds ("Yes, via a
    plugin" is yes, "No (planned)" is no). A run followed by more text counts only if it
    holds a word or check/cross symbol, so "+1", "- a bullet" and "n/a" are "none".
    Empty text, a text not starting with a mark ("x", "maybe", "n/a", "?"), and anything else
    are "none".
    """
    tokens = _TOKEN.findall(text.replace("\ufe0f", "").strip().casefold())
    kinds = set()
    consumed = 0
    has_leading_mark = False
    for token in tokens:
        if token not in _JOINERS:
            kind = _LEADING_MARKS.get(token) or _WHOLE_CELL_MARKS.get(token)
            if kind is None:
                break
            kinds.add(kind)
            has_leading_mark = has_leading_mark or token in _LEADING_MARKS
        consumed += 1
    if not kinds or (consumed < len(tokens) and not has_leading_mark):
        return MARK_NONE
    if MARK_PARTIAL in kinds or {MARK_YES, MARK_NO} <= kinds:
        return MARK_PARTIAL
    return kinds.pop()


# The package fields a comparison row reads: prefetch `grid.packages` with `.only(*these)`
# and the comparison costs no query for its rows.
COMPARISON_PACKAGE_FIELDS = (
    "id",
    "title",
    "slug",
    "repo_watchers",
    "repo_forks",
    "last_updated",
    "pypi_version",
    "commits_over_52",
    "participants",
    "score",
    "repo_archived_at",
    "deprecated_at",
)


def build_comparison(grid: Grid) -> dict[str, Any]:
    """The comparison of `grid` as plain data, in three queries whatever the grid's size (two
    when `grid.packages` is prefetched, see COMPARISON_PACKAGE_FIELDS).

    Returns {"features": [{"id", "title", "description"}] ordered by id, "packages": [row]}
    with rows ordered by score, then stars (both descending), then title. Each row holds the
    package's id, title, slug, repo_watchers, repo_forks, last_updated (an aware datetime or
    None), pypi_version, commits_over_52, participants (a count), score, is_archived,
    is_deprecated, and "cells": {"<feature id>": {"text", "mark"}} for every feature, a missing
    element giving text "" and mark "none".
    """
    features = list(
        Feature.objects.filter(grid=grid).order_by("id").values("id", "title", "description")
    )
    packages = grid.packages.all()
    if "packages" not in getattr(grid, "_prefetched_objects_cache", {}):
        packages = packages.only(*COMPARISON_PACKAGE_FIELDS)
    # A package is in a grid at most once (gridpackage_unique_pair): key cells by package.
    texts = {
        (package_id, feature_id): text
        for package_id, feature_id, text in Element.objects.filter(
            grid_package__grid=grid
        ).values_list("grid_package__package_id", "feature_id", "text")
    }
    rows = []
    for package in packages:
        cells = {}
        for feature in features:
            text = texts.get((package.id, feature["id"]), "")
            cells[str(feature["id"])] = {"text": text, "mark": classify_mark(text)}
        rows.append(
            {
                "id": package.id,
                "title": package.title,
                "slug": package.slug,
                "repo_watchers": package.repo_watchers,
                "repo_forks": package.repo_forks,
                "last_updated": package.last_updated,
                "pypi_version": package.pypi_version,
                "commits_over_52": package.commits_over_52,
                "participants": len(package.participants or ()),
                "score": package.score,
                "is_archived": package.repo_archived_at is not None,
                "is_deprecated": package.deprecated_at is not None,
                "cells": cells,
            }
        )
    rows.sort(key=lambda r: (-r["score"], -r["repo_watchers"], r["title"].casefold(), r["id"]))
    return {"features": features, "packages": rows}


CSV_HEADER = ("package", "slug", "stars", "forks", "last_updated", "pypi_version", "score")
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_comparison_csv(comparison: dict[str, Any]) -> str:
    """The comparison as CSV text: the CSV_HEADER columns, then one column per feature title.

    Rows keep the comparison's order; last_updated is ISO 8601 in TIME_ZONE (empty if unknown).

    Cells hold the element text as stored. Any text cell (titles, versions, element texts) that
    starts with = + - @ tab or carriage return is prefixed with a single quote so spreadsheets
    show it instead of evaluating it, except the one-character marks "+" and "-", which no
    spreadsheet evaluates and which grids use as yes/no.
    """
    features = comparison["features"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_HEADER, *(_safe(f["title"]) for f in features)])
    for row in comparison["packages"]:
        last_updated = row["last_updated"]
        writer.writerow(
            [
                _safe(row["title"]),
                _safe(row["slug"]),
                row["repo_watchers"],
                row["repo_forks"],
                timezone.localtime(last_updated).isoformat() if last_updated else "",
                _safe(row["pypi_version"] or ""),
                row["score"],
                *(_safe(row["cells"][str(f["id"])]["text"]) for f in features),
            ]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    if text in {"+", "-"} or not text.startswith(_FORMULA_STARTS):
        return text
    return "'" + text
