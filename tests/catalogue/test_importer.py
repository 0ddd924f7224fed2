"""`import_catalogue`: every file form, idempotent upserts, bad records, and a URL source."""

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from categories.models import Category
from grids.models import Grid, GridPackage
from packages.fetch.models import PackageFetchState
from packages.models import Package
from tests.factories import GridFactory, GridPackageFactory, PackageFactory

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed_catalogue.json"


def _seed():
    return json.loads(SEED.read_text())


def _package(pk, **fields):
    record = {
        **_seed()["packages"][0],
        "id": pk,
        "title": f"pkg-{pk}",
        "slug": f"pkg-{pk}",
        "repo_url": f"https://github.com/example/pkg-{pk}",
        "grids": [],
    }
    return {**record, **fields}


def _import(tmp_path, data, **kwargs):
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data))
    out, err = StringIO(), StringIO()
    call_command("import_catalogue", str(path), stdout=out, stderr=err, **kwargs)
    return out.getvalue()


@pytest.fixture
def category():
    return Category.objects.create(id=4, title="Project", slug="projects")


def test_the_seed_bundle_keeps_ids_fields_and_timestamps(tmp_path):
    output = _import(tmp_path, _seed())

    package = Package.objects.get()
    assert package.pk == 2431
    assert package.category_id == 4
    assert package.slug == "cookiecutter-django-ansible"
    assert package.repo_watchers == 37
    assert package.participants[:2] == ["benregn", "pydanny"]
    assert package.created == datetime(2014, 6, 18, 17, 47, 1, 690653, tzinfo=UTC)
    assert package.modified == datetime(2026, 1, 29, 17, 54, 59, 34283, tzinfo=UTC)
    assert package.last_fetched == datetime(2026, 2, 15, 14, 5, 26, 776238, tzinfo=UTC)
    assert package.last_updated == datetime(2018, 8, 3, 8, 16, 50, tzinfo=UTC)
    assert list(GridPackage.objects.values_list("grid_id", "package_id")) == [(218, 2431)]
    assert Grid.objects.get().created == datetime(2013, 8, 4, 15, 32, 41, 102734, tzinfo=UTC)
    assert "packages: 1 created, 0 updated" in output


def test_reimporting_is_idempotent(tmp_path):
    _import(tmp_path, _seed())

    output = _import(tmp_path, _seed())

    assert "packages: 0 created, 1 updated" in output
    assert Package.objects.count() == 1
    assert GridPackage.objects.count() == 1
    assert Package.objects.get().modified == datetime(2026, 1, 29, 17, 54, 59, 34283, tzinfo=UTC)


def test_an_update_keeps_fields_the_api_does_not_carry(tmp_path, category):
    _import(tmp_path, _package(1))
    Package.objects.filter(pk=1).update(score=77)
    PackageFetchState.objects.create(package_id=1, failures=2)

    _import(tmp_path, _package(1, repo_watchers=5))

    package = Package.objects.get()
    assert (package.repo_watchers, package.score, package.fetch_state.failures) == (5, 77, 2)


def test_a_single_package_object(tmp_path, category):
    _import(tmp_path, _package(10))

    assert list(Package.objects.values_list("pk", flat=True)) == [10]


def test_a_list_of_packages(tmp_path, category):
    _import(tmp_path, [_package(10), _package(11)])

    assert list(Package.objects.values_list("pk", flat=True)) == [10, 11]


def test_a_paginated_page(tmp_path, category):
    page = {"count": 2, "next": None, "previous": None, "results": [_package(12), _package(13)]}

    _import(tmp_path, page)

    assert list(Package.objects.values_list("pk", flat=True)) == [12, 13]


def test_package_grid_links_add_memberships_to_existing_grids(tmp_path, category):
    GridFactory(id=218)

    output = _import(
        tmp_path,
        _package(
            14, grids=["https://x.example/api/v4/grids/218/", "https://x.example/api/v4/grids/9/"]
        ),
    )

    assert list(GridPackage.objects.values_list("grid_id", "package_id")) == [(218, 14)]
    assert "grid 9 is not in the catalogue" in output


def test_a_grids_package_list_rebuilds_its_memberships(tmp_path, category):
    grid = GridFactory(id=218)
    stale = PackageFactory(id=50, category=category)
    GridPackageFactory(grid=grid, package=stale)
    data = _seed()
    data["categories"] = []

    _import(tmp_path, data)

    assert list(GridPackage.objects.values_list("grid_id", "package_id")) == [(218, 2431)]


def test_bad_records_are_reported_skipped_and_fail_the_exit_status(tmp_path, category):
    data = {
        "categories": [{"id": 5, "title": "", "slug": "bad slug!"}],
        "packages": [
            _package(20),
            _package(21, category="https://x.example/api/v4/categories/999/"),
            _package(22, commits_over_52=[1, 2]),
            "not an object",
            _package(23, last_updated="last tuesday"),
            _package(24, slug="pkg-20"),
            {"title": "no id"},
            _package(25),
        ],
        "grids": [],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    err = StringIO()

    with pytest.raises(CommandError, match="7 record") as raised:
        call_command("import_catalogue", str(path), stdout=StringIO(), stderr=err)

    assert raised.value.returncode == 1
    report = err.getvalue()
    assert "skipped categories[0]: " in report
    assert "skipped packages[1]: category 999 does not exist" in report
    assert "skipped packages[2]: commits_over_52:" in report
    assert "skipped packages[3]: not a JSON object" in report
    assert "skipped packages[4]: last_updated: not an ISO 8601 date-time" in report
    assert "skipped packages[5]: slug:" in report
    assert "skipped packages[6]: missing or invalid id" in report
    assert sorted(Package.objects.values_list("pk", flat=True)) == [20, 25]


def test_imported_ids_do_not_block_new_rows(tmp_path, category):
    _import(tmp_path, [_package(300)])

    created = PackageFactory(category=category)

    assert created.pk != 300


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not JSON"), ('"a string"', "expected a package object")],
)
def test_unreadable_files_are_a_one_line_error(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)

    with pytest.raises(CommandError, match=message):
        call_command("import_catalogue", str(path), stdout=StringIO())


def test_a_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_catalogue", str(tmp_path / "nope.json"), stdout=StringIO())


class _FakeAPI(BaseHTTPRequestHandler):
    """Serves an API v4 with two pages of packages; `/flaky/` fails once before answering."""

    failures = {}

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type="application/json"):
        payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        parts = urlsplit(self.path)
        base = f"http://127.0.0.1:{self.server.server_port}"
        query = parse_qs(parts.query)
        offset = int(query.get("offset", ["0"])[0])
        seed = _seed()
        if parts.path in {"/api/v4/", "/flaky/api/v4/"}:
            if parts.path.startswith("/flaky") and not self.failures.get("root"):
                self.failures["root"] = True
                return self._send(503, {"detail": "try later"})
            prefix = parts.path.removesuffix("/")
            return self._send(
                200, {k: f"{base}{prefix}/{k}/" for k in ("categories", "grids", "packages")}
            )
        resource = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if resource == "packages":
            records = [_package(pk) for pk in (1, 2, 3)]
            page = records[offset : offset + 2]
            next_url = f"{base}{parts.path}?limit=2&offset={offset + 2}" if offset + 2 < 3 else None
            return self._send(
                200, {"count": 3, "next": next_url, "previous": None, "results": page}
            )
        if resource in {"categories", "grids"}:
            records = seed[resource]
            if resource == "grids":
                records = [
                    {**records[0], "packages": [f"{base}/api/v4/packages/{pk}/" for pk in (1, 3)]}
                ]
            return self._send(200, {"count": 1, "next": None, "previous": None, "results": records})
        if parts.path == "/slow/":
            time.sleep(1)
            return self._send(200, {})
        if parts.path == "/html/":
            return self._send(200, "<html>hello</html>", "text/html")
        return self._send(404, {"detail": "Not found."})


@pytest.fixture
def fake_api():
    _FakeAPI.failures = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeAPI)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_url_source_walks_every_page(fake_api):
    out = StringIO()

    call_command("import_catalogue", f"{fake_api}/api/v4/", stdout=out, stderr=StringIO())

    assert sorted(Package.objects.values_list("pk", flat=True)) == [1, 2, 3]
    assert list(Category.objects.values_list("pk", flat=True)) == [4]
    assert sorted(GridPackage.objects.values_list("package_id", flat=True)) == [1, 3]
    assert "packages: 3 created, 0 updated" in out.getvalue()


def test_a_url_source_retries_server_errors(fake_api):
    call_command(
        "import_catalogue", f"{fake_api}/flaky/api/v4/", stdout=StringIO(), stderr=StringIO()
    )

    assert Package.objects.count() == 3


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html/", "did not answer JSON"),
        ("/missing/", "answered HTTP 404"),
        ("/api/v4/packages/", "is not an API v4 root"),
    ],
)
def test_a_non_api_url_is_a_clear_one_line_error(fake_api, path, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("import_catalogue", f"{fake_api}{path}", "--retries", "0", stdout=StringIO())

    assert "\n" not in str(raised.value)


def test_an_unreachable_url_is_a_clear_error():
    with pytest.raises(CommandError, match="cannot fetch http://127.0.0.1:9/"):
        call_command("import_catalogue", "http://127.0.0.1:9/", "--retries", "0", stdout=StringIO())


def test_a_slow_server_times_out_with_a_clear_error(fake_api):
    with pytest.raises(CommandError, match="cannot fetch .*/slow/: timed out"):
        call_command(
            "import_catalogue",
            f"{fake_api}/slow/",
            "--timeout",
            "0.2",
            "--retries",
            "0",
            stdout=StringIO(),
        )


def _bundle(count, category):
    packages = [_package(pk) for pk in range(100, 100 + count)]
    grids = [{"id": 900, "title": "G", "slug": "g", "packages": [p["id"] for p in packages]}]
    return {"categories": [], "packages": packages, "grids": grids}


@pytest.mark.parametrize("count", [5, 60])
def test_importing_costs_the_same_queries_whatever_the_number_of_records(
    category, count, django_assert_max_num_queries
):
    from catalogue.importer import import_bundle

    # Reads of what is there, one insert per kind, the memberships, then the stored documents'
    # rebuild (per kind: its ids, then per batch of 500 its rows, members, stored, upsert):
    # not one query per record.
    with django_assert_max_num_queries(36):
        report = import_bundle(_bundle(count, category))

    assert report.created["packages"] == count
    assert GridPackage.objects.filter(grid_id=900).count() == count


def test_a_batch_the_database_refuses_is_replayed_record_by_record(category, monkeypatch):
    from catalogue import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    # Let a duplicate slug past the dictionary checks: the unique index refuses the batch.
    monkeypatch.setattr(importer, "_unique_fields", lambda model: [])
    bundle = _bundle(5, category)
    bundle["packages"][1]["slug"] = "pkg-100"

    report = importer.import_bundle(bundle)

    assert [s.index for s in report.skipped] == [1]
    assert sorted(Package.objects.values_list("pk", flat=True)) == [100, 102, 103, 104]


def test_an_import_shows_in_the_api_at_once(category, client):
    from catalogue.importer import import_bundle

    assert client.get("/api/v4/packages/").json()["count"] == 0

    import_bundle(_bundle(2, category))

    assert client.get("/api/v4/packages/").json()["count"] == 2


def test_an_unreachable_url_says_why_in_one_line_without_retry_noise(caplog):
    stderr = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "import_catalogue",
            "http://127.0.0.1:9/",
            "--retries",
            "1",
            stdout=StringIO(),
            stderr=stderr,
        )

    assert stderr.getvalue() == ""  # no progress bar (nor its blank line) off a terminal

    assert str(raised.value) == "cannot fetch http://127.0.0.1:9/: connection refused"
    assert not [record for record in caplog.records if record.name.startswith("urllib3")]
