"""Where each of a package's figures comes from: generated for the demo ("sample") or fetched
from its upstream, and when.

`Package.figure_sources` maps a figure's name to `{"source": "sample" | "fetched", "at": ISO
time or None}`. The demo loader marks every figure it generates as sample; a fetch marks the
figures its sources answered for as fetched (and deletes the sample releases it replaces). A
figure with no entry was never generated nor fetched: entered by hand, or not known yet.
"""

from datetime import datetime
from typing import Any, Protocol

SAMPLE = "sample"
FETCHED = "fetched"

# Figure name -> what people call it, in the order the admin lists them.
FIGURES: dict[str, str] = {
    "stars": "Stars",
    "forks": "Forks",
    "contributors": "Contributors",
    "commits": "Weekly commits",
    "last_commit": "Last commit",
    "releases": "Releases",
    "downloads": "Downloads",
}
REPOSITORY_FIGURES = ("stars", "forks", "contributors", "commits", "last_commit")


def sample_sources(figures: tuple[str, ...] | list[str] = tuple(FIGURES)) -> dict[str, Any]:
    """The sources of figures the demo generated."""
    return {name: {"source": SAMPLE, "at": None} for name in figures}


def with_fetched(sources: dict[str, Any], figures: list[str], now: datetime) -> dict[str, Any]:
    """`sources` with `figures` marked fetched at `now` (a new dict; `sources` is unchanged)."""
    updated = dict(sources)
    for name in figures:
        updated[name] = {"source": FETCHED, "at": now.isoformat()}
    return updated


class RepositoryAnswer(Protocol):
    """What a forge answered for a repository, as far as its figures go (the fetcher's
    `RepoStats`): None where it did not say."""

    @property
    def watchers(self) -> int | None: ...
    @property
    def forks(self) -> int | None: ...
    @property
    def participants(self) -> tuple[str, ...] | None: ...
    @property
    def commits_over_52(self) -> tuple[int, ...] | None: ...
    @property
    def last_updated(self) -> datetime | None: ...


def answered_figures(
    repo: RepositoryAnswer | None, repo_missing: bool, pypi_answered: bool, downloads: int | None
) -> list[str]:
    """The figures one fetch brings from an upstream that answered for them."""
    figures = []
    if repo is not None and not repo_missing:
        for name, value in (
            ("stars", repo.watchers),
            ("forks", repo.forks),
            ("contributors", repo.participants),
            ("commits", repo.commits_over_52),
            ("last_commit", repo.last_updated),
        ):
            if value is not None:
                figures.append(name)
    if pypi_answered:
        figures.append("releases")
    if downloads is not None:
        figures.append("downloads")
    return figures


def is_sample(sources: dict[str, Any], figure: str) -> bool:
    entry = sources.get(figure)
    return isinstance(entry, dict) and entry.get("source") == SAMPLE


def any_sample(sources: dict[str, Any]) -> bool:
    return any(is_sample(sources, name) for name in FIGURES)


def describe(sources: dict[str, Any], fallback: dict[str, datetime | None]) -> list[str]:
    """One line per figure for the admin: "Stars: fetched 2026-12-07 02:50 UTC", "Downloads:
    sample (generated for the demo)", "Forks: not fetched yet". A figure without an entry (a
    package fetched before figures had sources) says when its source last answered, from
    `fallback` (figure name -> that time, or None)."""
    lines = []
    for name, label in FIGURES.items():
        entry = sources.get(name)
        if not isinstance(entry, dict):
            known = fallback.get(name)
            lines.append(
                f"{label}: fetched {_when(known.isoformat())}"
                if known
                else f"{label}: not fetched yet"
            )
        elif entry.get("source") == SAMPLE:
            lines.append(f"{label}: sample (generated for the demo)")
        else:
            lines.append(f"{label}: fetched {_when(entry.get('at'))}")
    return lines


SAMPLE_DATA_NOTE = (
    "Sample data: this is a demo package. Its name, summary and PyPI version are real; its "
    "stars, forks, contributors, commit counts, downloads and release dates were generated for "
    "the demo. A fetch replaces each with the upstream's figure."
)


def summary(
    sources: dict[str, Any], last_fetched: datetime | None, downloads_at: datetime | None
) -> tuple[str, list[str]]:
    """The admin's account of a package's figures: a headline and one line per figure."""
    if all(is_sample(sources, name) for name in FIGURES):
        head = SAMPLE_DATA_NOTE
    elif any_sample(sources):
        head = "Some figures are still samples generated for the demo (marked below)."
    elif last_fetched:
        head = f"Fetched from the upstreams, last on {last_fetched:%Y-%m-%d %H:%M} UTC."
    else:
        head = "Not fetched yet."
    fallback = dict.fromkeys(FIGURES, last_fetched) | {"downloads": downloads_at}
    return head, describe(sources, fallback)


def _when(at: Any) -> str:
    if not isinstance(at, str):
        return "(time unknown)"
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return "(time unknown)"
    return f"{moment:%Y-%m-%d %H:%M} UTC"
