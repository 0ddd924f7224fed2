"""Sample stats for the demo catalogue: plausible, deterministic, and labelled as samples.

Each package's figures come from a random generator seeded with its name, so every load
produces the same catalogue. Stars are the row's `sample_stars` (rough, hand-curated orders of
magnitude, so django outshines its apps); forks, contributors, weekly commits and the release
history are drawn around them. Contributor logins are made up (first and last names in the
shapes GitHub logins take: letters, digits, hyphens), after the repository owner's own login
when the owner is a person.
"""

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from packaging.version import InvalidVersion, Version

from packages.figures import REPOSITORY_FIGURES, sample_sources
from packages.models import WEEKS

ANCHOR = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MAX_RELEASES = 14

_FIRST_NAMES = (
    "anna ben carla david elena felix grace hugo irene jakub kate liam maria nils olga "
    "pablo quinn rosa sam tara umar vera wei xavier yuki zoe ahmed bea chen dario emma "
    "femi gosia hana ivan jonas kemal lena marco nadia omar priya rahul sofia tomas uma "
    "viktor"
)
_LAST_NAMES = (
    "novak smith garcia muller rossi kowalski tanaka silva dubois jensen okafor patel kim "
    "larsen moreau fischer nguyen costa weber ito berg lopez schmidt haddad mendes ivanova "
    "yilmaz park rivera bauer sato lind santos keller horvat adeyemi walsh ortiz"
)


@dataclass(frozen=True)
class SampleRelease:
    number: str
    upload_time: datetime
    is_prerelease: bool


def rng_for(name: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))


def release_date(row: dict, rng: random.Random) -> datetime:
    """The newest release's date: a day in the row's `last_release_month`."""
    month = row["last_release_month"]
    if not month:
        return ANCHOR - timedelta(days=rng.randint(30, 1500))
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)


def sample_stats(row: dict) -> dict:
    """Package fields for one demo row: dates always, repository stats when it has a repo."""
    rng = rng_for(row["name"])
    released = release_date(row, rng)
    created = released - timedelta(days=rng.randint(400, 4000))
    stats: dict = {"created": created, "modified": max(created, released)}
    stars = int(row["sample_stars"] or 50)
    generated = []
    if row["pypi_name"]:
        stats["pypi_downloads"] = sample_downloads(row["name"], stars)
        generated += ["downloads"] + (["releases"] if row["pypi_version"] else [])
    if not row["repo_url"]:
        stats["figure_sources"] = sample_sources(generated)
        return stats
    generated += list(REPOSITORY_FIGURES)
    stats["figure_sources"] = sample_sources(generated)
    # Maintained projects commit between releases; dormant ones stopped soon after the last.
    if (ANCHOR - released).days < 540:
        last_commit = ANCHOR - timedelta(days=rng.randint(0, 25), hours=rng.randint(0, 23))
    else:
        last_commit = min(ANCHOR, released + timedelta(days=rng.randint(0, 90)))
    quiet_weeks = (ANCHOR - last_commit).days // 7
    weekly = max(0.3, math.log10(stars + 1) ** 2 / 3)
    commits = [
        max(0, round(rng.gauss(weekly, weekly / 2))) if WEEKS - 1 - week > quiet_weeks else 0
        for week in range(WEEKS)
    ]
    if quiet_weeks < WEEKS:
        commits[WEEKS - 1 - quiet_weeks] = max(1, commits[WEEKS - 1 - quiet_weeks])
    stats.update(
        repo_watchers=stars,
        repo_forks=max(1, int(stars * rng.uniform(0.08, 0.3))),
        commits_over_52=commits,
        participants=sample_logins(row, stars, rng),
        last_updated=last_commit,
    )
    return stats


def sample_downloads(name: str, stars: int) -> int:
    """Last month's downloads: PyPI counts run at roughly 50 to 400 a month per star."""
    return int(stars * rng_for(f"downloads:{name}").uniform(50, 400))


def sample_logins(row: dict, stars: int, rng: random.Random) -> list[str]:
    """Contributor logins, most active first: the owner when a person, then made-up ones."""
    count = min(60, 2 + int(6 * math.log10(stars + 1)) + rng.randint(0, 6))
    logins = [row["maintainer"]] if row["maintainer"] else []
    while len(logins) < count:
        login = _login(rng)
        if login not in logins:
            logins.append(login)
    return logins


def _login(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST_NAMES.split()), rng.choice(_LAST_NAMES.split())
    shape = rng.randrange(6)
    if shape == 0:
        return f"{first[0]}{last}"
    if shape == 1:
        return f"{first}{last}"
    if shape == 2:
        return f"{first}-{last}"
    if shape == 3:
        return f"{last}{rng.randint(1, 99)}"
    if shape == 4:
        return f"{first}{last[0]}"
    return f"{first}{last}{rng.randint(70, 99)}"


def sample_releases(row: dict) -> list[SampleRelease]:
    """The newest release (the row's version) and a plausible history before it, newest first."""
    if not row["pypi_version"]:
        return []
    number = row["pypi_version"]
    rng = rng_for(f"releases:{row['name']}")
    moment = release_date(row, rng_for(row["name"]))
    try:
        parsed = Version(number)
    except InvalidVersion:
        return [SampleRelease(number, moment, False)]
    releases = [SampleRelease(number, moment, parsed.is_prerelease)]
    # A package that only ever shipped pre-releases keeps that shape (0.66b1, 0.65b1, ...).
    base = ".".join(map(str, parsed.release))
    suffix = number[len(base) :] if parsed.is_prerelease and number.startswith(base) else ""
    release = list(parsed.release)
    for _ in range(rng.randint(2, MAX_RELEASES - 1)):
        previous = _previous(release, rng)
        if previous is None:
            break
        release = previous
        moment -= timedelta(days=rng.randint(20, 160))
        earlier = ".".join(map(str, release)) + suffix
        releases.append(SampleRelease(earlier, moment, bool(suffix)))
    return releases


def _previous(release: list[int], rng: random.Random) -> list[int] | None:
    """An earlier release number of the same shape, or None when there is none."""
    for position in range(len(release) - 1, -1, -1):
        if release[position] > 0:
            earlier = release[:position] + [release[position] - 1]
            tail = [rng.randint(0, 4) for _ in release[position + 1 :]]
            candidate = earlier + tail
            if any(candidate):
                return candidate
    return None
