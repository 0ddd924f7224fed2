"""The read cache where it runs: gunicorn, 2 workers, each keeping its own answers, on the
database the tests run on (a SQLite file, or a PostgreSQL database of its own). A write made by
another process (here `manage.py shell`, as the fetcher or an import would) is seen by every
worker on the very next read, for the detail and the list alike."""

import json
import urllib.request

import pytest

from tests.common.test_db_outage import start_gunicorn
from tests.scratch_project import ScratchProject

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAKE_PACKAGE = """
from categories.models import Category
from packages.models import Package
category = Category.objects.create(title="Apps", slug="apps")
result = Package.objects.create(title="Before", slug="cached-one", category=category).pk
"""
RENAME = """
from packages.models import Package
package = Package.objects.get(slug="cached-one")
package.title = {title!r}
package.save()
result = package.pk
"""


@pytest.fixture
def served_scratch(tmp_path):
    project = ScratchProject(tmp_path)
    project.migrate()
    base, server = start_gunicorn(project.env["DATABASE_URL"], threads=1)
    yield project, base
    server.terminate()
    server.wait(timeout=10)
    project.close()


def _titles(url, times):
    """The titles `times` reads of `url` show (a detail's, or a list page's first)."""
    titles = set()
    for _ in range(times):
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        titles.add(body["title"] if "title" in body else body["results"][0]["title"])
    return titles


def test_every_worker_sees_another_processs_write_on_its_next_read(served_scratch):
    project, base = served_scratch
    pk = project.run(MAKE_PACKAGE)
    detail, listing = f"{base}/api/v4/packages/{pk}/", f"{base}/api/v4/packages/"
    # Both workers answer and keep both URLs (gunicorn's workers take turns under this load).
    assert _titles(detail, 20) == {"Before"}
    assert _titles(listing, 20) == {"Before"}

    for title in ("After", "Again"):
        project.run(RENAME.format(title=title))
        assert _titles(detail, 20) == {title}
        assert _titles(listing, 20) == {title}

    # Every page, through each worker's kept order of the list, before and after rows come.
    assert _walk(base) == ["Again"]
    project.run(MORE)
    assert _walk(base) == ["Fourth", "Third", "Second", "Again"]
    project.run(DELETE_SECOND)
    assert _walk(base) == ["Fourth", "Third", "Again"]


MORE = """
from categories.models import Category
from packages.models import Package
category = Category.objects.get(slug="apps")
for title in ("Second", "Third", "Fourth"):
    Package.objects.create(title=title, slug=title.lower(), category=category)
"""
DELETE_SECOND = """
from packages.models import Package
Package.objects.filter(slug="second").delete()
"""


def _walk(base):
    """The titles of the list read one per page, then two per page, each page asked 4 times
    (both workers) with a query string of its own: every reading must agree."""
    readings = set()
    for limit in (1, 2):
        for attempt in range(4):
            titles, offset = [], 0
            while True:
                url = f"{base}/api/v4/packages/?limit={limit}&offset={offset}&walk={attempt}"
                with urllib.request.urlopen(url, timeout=10) as response:
                    page = json.load(response)
                titles += [package["title"] for package in page["results"]]
                offset += limit
                if offset >= page["count"]:
                    break
            readings.add(tuple(titles))
    assert len(readings) == 1, readings
    return list(readings.pop())
