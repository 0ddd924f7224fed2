"""The migration that gives a package's fetch state one home (fetch.0002, packages.0016): the
failure streak, last error and lease leave Package's fetch_* columns, the refresh queue state
leaves PackageRefresh, and both arrive in PackageFetchState."""

import pytest

from tests.scratch_project import ScratchProject

BEFORE = [
    ("packages", "0015_merge_readiness_figure_sources"),
    ("fetch", "0001_fetch_state_fresh25"),
]

FILL = """
from datetime import datetime, timezone
Category = apps.get_model("categories", "Category")
Package = apps.get_model("packages", "Package")
PackageRefresh = apps.get_model("packages", "PackageRefresh")
at = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
category = Category.objects.create(title="Apps", slug="apps", title_plural="Apps")
def package(slug, **fields):
    return Package.objects.create(
        title=slug, slug=slug, category=category, repo_url=f"https://github.com/o/{slug}",
        repo_key=f"github.com/o/{slug}", **fields
    )
failing = package(
    "failing", fetch_failures=3, fetch_error="github: timeout", fetch_error_at=at,
    fetch_failing_since=at.replace(day=2 - 1), fetch_lease_until=at.replace(hour=13),
)
queued = package("queued")
PackageRefresh.objects.create(
    package=queued, state="queued", token="t" * 32, task_id="task-1", queued_at=at,
    queued_by="webhook", retries=1, webhook_queued_at=at,
)
both = package("both", fetch_failures=1, fetch_error="pypi: 502")
PackageRefresh.objects.create(
    package=both, outcome="failed", outcome_reason="http_502", outcome_error="pypi: 502",
    finished_at=at,
)
package("plain")
result = {p.slug: p.pk for p in Package.objects.all()}
"""

READ_NEW_HOME = """
PackageFetchState = apps.get_model("fetch", "PackageFetchState")
result = {
    state.package.slug: {
        name: str(value) if hasattr(value, "isoformat") else value
        for name, value in vars(state).items() if not name.startswith("_")
    }
    for state in PackageFetchState.objects.select_related("package")
}
Package = apps.get_model("packages", "Package")
result["columns"] = sorted(f.name for f in Package._meta.get_fields() if f.name.startswith("fetch"))
"""

READ_OLD_HOMES = """
Package = apps.get_model("packages", "Package")
PackageRefresh = apps.get_model("packages", "PackageRefresh")
result = {
    "packages": list(Package.objects.order_by("slug").values_list(
        "slug", "fetch_failures", "fetch_error", "fetch_lease_until"
    )),
    "refreshes": list(PackageRefresh.objects.order_by("package__slug").values_list(
        "package__slug", "state", "queued_by", "retries", "outcome_reason"
    )),
}
result["packages"] = [[*row[:3], row[3] is not None] for row in result["packages"]]
"""


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """One scratch database for the module (each migrate is a subprocess): filled before the
    migration, then migrated to the newest state."""
    project = ScratchProject(tmp_path_factory.mktemp("fetch_state_migration"))
    try:
        project.migrate(BEFORE)
        ids = project.run(FILL, at=BEFORE)
        project.migrate()
        yield project, ids, project.run(READ_NEW_HOME)
    finally:
        project.close()


def test_the_failure_streak_error_and_lease_move_to_the_package_fetch_state(moved):
    _project, ids, states = moved

    failing = states["failing"]
    assert failing["package_id"] == ids["failing"]
    assert (failing["failures"], failing["error"]) == (3, "github: timeout")
    assert failing["error_at"] == "2026-03-01 12:00:00+00:00"
    assert failing["failing_since"] == "2026-03-01 12:00:00+00:00"
    assert failing["lease_until"] == "2026-03-01 13:00:00+00:00"
    assert (failing["state"], failing["outcome"]) == ("idle", "")  # it was never queued


def test_the_refresh_queue_state_moves_too_and_meets_the_streak_of_its_package(moved):
    _project, _ids, states = moved

    queued = states["queued"]
    assert (queued["state"], queued["queued_by"], queued["retries"]) == ("queued", "webhook", 1)
    assert (queued["token"], queued["task_id"]) == ("t" * 32, "task-1")
    assert queued["webhook_queued_at"] == "2026-03-01 12:00:00+00:00"
    assert (queued["failures"], queued["error"], queued["lease_until"]) == (0, "", None)
    both = states["both"]
    assert (both["failures"], both["error"]) == (1, "pypi: 502")
    assert (both["outcome"], both["outcome_reason"]) == ("failed", "http_502")


def test_a_package_with_nothing_to_move_gets_no_row_and_the_old_columns_are_gone(moved):
    _project, _ids, states = moved

    assert "plain" not in states
    assert sorted(states) == ["both", "columns", "failing", "queued"]
    assert states["columns"] == ["fetch_state", "fetch_states"]  # the relations, no column


SEARCHED = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT packages FROM packages_name_word WHERE word = 'failing'")
    named = cursor.fetchall()
    if connection.vendor == "sqlite":
        cursor.execute("SELECT rowid FROM package_search WHERE package_search MATCH 'failing'")
    else:
        cursor.execute(
            "SELECT id FROM packages_package WHERE search_text @@ to_tsquery('simple', 'failing')"
        )
    result = [named, len(cursor.fetchall())]
"""


def test_the_way_back_puts_every_value_home_again_and_search_survives_it(moved):
    # Last in the module: it takes the shared database back, then forward again. (On SQLite,
    # adding the columns back rebuilds the package table: the search objects must be made
    # again around it.)
    project, _ids, _states = moved

    project.migrate(BEFORE)
    assert project.run(SEARCHED) == [[[1]], 1]

    homes = project.run(READ_OLD_HOMES, at=BEFORE)
    assert homes["packages"] == [
        ["both", 1, "pypi: 502", False],
        ["failing", 3, "github: timeout", True],
        ["plain", 0, "", False],
        ["queued", 0, "", False],
    ]
    assert homes["refreshes"] == [
        ["both", "idle", "", 0, "http_502"],
        ["queued", "queued", "webhook", 1, ""],
    ]

    project.migrate()
    assert project.run(SEARCHED) == [[[1]], 1]
