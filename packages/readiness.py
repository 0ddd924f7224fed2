"""Readiness: the Python 3 and Django versions a package's latest release declares.

Read from the release's trove classifiers ("Programming Language :: Python :: 3.10",
"Framework :: Django :: 4.0"); where they name no Python 3.x version, from its
`requires_python`, evaluated against the Python 3 minors up to the newest one known (named by
any stored classifier, by the specifier itself, or running this code). Stored as DeclaredVersion
rows when releases are fetched (`sync_declared`, called by packages.fetch.store), so filtering
(`Package.objects.declaring(...)`) is an indexed lookup, never parsing at read time. The
versions a grid's matrix shows are those its packages declare, not a fixed list.
"""

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from packages.models import DeclaredVersion, Package

PYTHON = re.compile(r"^Programming Language :: Python :: (3\.\d{1,2})$")
DJANGO = re.compile(r"^Framework :: Django :: (\d{1,2}\.\d{1,2})$")
VERSION = re.compile(r"^\d{1,2}\.\d{1,2}$")
CLASSIFIERS, REQUIRES_PYTHON = "classifiers", "requires_python"


@dataclass(frozen=True)
class Declared:
    python: tuple[str, ...]
    django: tuple[str, ...]
    source: str  # how the Python versions were found: classifiers or requires_python


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def is_version(value: str) -> bool:
    """A "major.minor" version as the filters take it ("3.12", "5.2")."""
    return bool(VERSION.match(value))


def declared(
    classifiers: Iterable[str],
    requires_python: str,
    *,
    newest_python: Callable[[], int] | None = None,
) -> Declared:
    """What the classifiers (else `requires_python`) declare; `newest_python()` gives the
    highest Python 3 minor to try a specifier against (asked only when one is needed;
    default `newest_python_known`)."""
    classifiers = list(classifiers)
    python = {m.group(1) for c in classifiers if (m := PYTHON.match(c.strip()))}
    django = {m.group(1) for c in classifiers if (m := DJANGO.match(c.strip()))}
    source = CLASSIFIERS
    if not python and requires_python:
        source = REQUIRES_PYTHON
        newest = (newest_python or newest_python_known)()
        python = set(_from_specifier(requires_python, newest))
    return Declared(
        python=tuple(sorted(python, key=version_key)),
        django=tuple(sorted(django, key=version_key)),
        source=source,
    )


def _from_specifier(text: str, newest_python: int) -> list[str]:
    try:
        spec = SpecifierSet(text)
    except InvalidSpecifier:
        return []
    named = [int(m) for m in re.findall(r"\b3\.(\d{1,2})", text)]
    top = max([newest_python, *named])
    return [f"3.{minor}" for minor in range(top + 1) if spec.contains(f"3.{minor}.0")]


def newest_python_known() -> int:
    """The highest Python 3 minor any stored classifier names, or this interpreter's."""
    stored = DeclaredVersion.objects.filter(kind="python", source=CLASSIFIERS)
    minors = [version_key(v)[1] for v in stored.values_list("version", flat=True).distinct()]
    return max([sys.version_info.minor, *minors])


def sync_declared(package_id: int, found: Declared, release: str) -> bool:
    """Store what `release` declares for the package; True if that changed anything (one
    read, and a delete and an insert only when it changed)."""
    wanted = {("python", v, release, found.source) for v in found.python}
    wanted |= {("django", v, release, CLASSIFIERS) for v in found.django}
    rows = DeclaredVersion.objects.filter(package_id=package_id)
    existing = set(rows.values_list("kind", "version", "release", "source"))
    if existing == wanted:
        return False
    rows.delete()
    DeclaredVersion.objects.bulk_create(
        [
            DeclaredVersion(package_id=package_id, kind=k, version=v, release=r, source=s)
            for k, v, r, s in sorted(wanted)
        ]
    )
    return True


def readiness_document(package: Package) -> dict[str, Any]:
    """{"python": [...], "django": [...], "release": "...", "source": ...} for one package."""
    rows = list(package.declared.values_list("kind", "version", "release", "source"))
    python = sorted((v for k, v, _r, _s in rows if k == "python"), key=version_key)
    django = sorted((v for k, v, _r, _s in rows if k == "django"), key=version_key)
    sources = {s for k, _v, _r, s in rows if k == "python"}
    release = rows[0][2] if rows else (package.pypi_version or None)
    source = (REQUIRES_PYTHON if REQUIRES_PYTHON in sources else CLASSIFIERS) if rows else None
    return {"python": python, "django": django, "release": release, "source": source}


def readiness_matrix(packages: Iterable[Package]) -> dict[str, Any]:
    """The packages against every Python and Django version any of them declares:
    {"versions": {"python": [...], "django": [...]}, "packages": [{id, slug, title, release,
    python, django}]} with each package's lists holding the versions it declares."""
    packages = list(packages)
    rows = DeclaredVersion.objects.filter(package__in=packages).values_list(
        "package_id", "kind", "version", "release"
    )
    by_package: dict[int, dict[str, Any]] = {}
    versions: dict[str, set[str]] = {"python": set(), "django": set()}
    for package_id, kind, version, release in rows:
        entry = by_package.setdefault(package_id, {"python": [], "django": [], "release": release})
        entry[kind].append(version)
        versions[kind].add(version)
    result = []
    for package in packages:
        entry = by_package.get(package.pk, {"python": [], "django": [], "release": None})
        result.append(
            {
                "id": package.pk,
                "slug": package.slug,
                "title": package.title,
                "release": entry["release"],
                "python": sorted(entry["python"], key=version_key),
                "django": sorted(entry["django"], key=version_key),
            }
        )
    return {
        "versions": {kind: sorted(found, key=version_key) for kind, found in versions.items()},
        "packages": result,
    }
