"""The importer's compiled checks agree with Django's `clean_fields()` / `full_clean()`.

Field by field (hypothesis): whatever a compiled check accepts, the field's own `clean()`
accepts unchanged. Record by record: a bundle of good and bad records, imported in bulk, skips
the same records with the same reasons and stores the same rows as the one-record-at-a-time
path (`full_clean()` and `save()`), for new records and for updates of stored ones.
"""

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection, models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue import importer
from catalogue.import_checks import FieldChecks, compile_check
from categories.models import Category
from grids.models import Grid
from packages.models import Package

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed_catalogue.json"
MODELS = [Package, Category, Grid]
CHECKED = [
    pytest.param(field, id=f"{model.__name__}.{field.name}")
    for model in MODELS
    for field in model._meta.fields
    if not isinstance(field, models.ForeignKey)
]

# Values of every kind a JSON record (or a stored row) can hold, near each field's limits.
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, -1, 1, 32767, 32768, 2147483647, 2147483648, 2**63 - 1, 2**63]),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.text(alphabet="ab-_ !é\x00", min_size=1, max_size=3).map(lambda s: s * 40),
    st.sampled_from(["", " ", "a" * 50, "a" * 51, "a" * 100, "a" * 101, "a" * 255, "a" * 256]),
    st.sampled_from(
        [
            "https://github.com/o/r",
            "http://localhost/x",
            "https://exa mple.com",
            "ftp://example.com/x",
            "https://example.com/" + "x" * 240,
            "good-slug_1",
            "bad slug",
        ]
    ),
    st.lists(st.integers(min_value=-2, max_value=3), max_size=53),
    st.lists(st.text(max_size=3), max_size=3),
    st.sampled_from([[0] * 52, [1] * 51 + [True], [0] * 51 + [-1], [0.5] * 52, {}, (), {"a": 1}]),
    st.datetimes(timezones=st.just(UTC)),
    st.just(object()),
)


@pytest.mark.parametrize("field", CHECKED)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_what_a_compiled_check_accepts_the_field_accepts_unchanged(field, value):
    if not compile_check(field)(value):
        return  # the importer asks the model itself
    if field.blank and value in field.empty_values:
        return  # clean_fields() skips it
    cleaned = field.clean(value, None)
    assert cleaned is value or (type(cleaned) is type(value) and cleaned == value)


def test_the_checks_vouch_for_an_ordinary_record():
    row = {field.attname: field.get_default() for field in Package._meta.concrete_fields}
    row.update(id=1, title="django-x", slug="django-x", repo_url="https://github.com/o/x")
    row.update(category_id=1, participants=["a"], commits_over_52=[3] * 52, repo_watchers=5)

    assert FieldChecks(Package, ["category"]).accepts(row)


def _seed_package():
    return json.loads(SEED.read_text())["packages"][0]


def _good(pk):
    return {
        **_seed_package(),
        "id": pk,
        "title": f"pkg-{pk}",
        "slug": f"pkg-{pk}",
        "repo_url": f"https://github.com/example/pkg-{pk}",
        "category": 4,
        "grids": [],
    }


# One field set to a value each: good ones, ones to_python() converts, and bad ones.
VARIANTS = [
    ("title", ""),
    ("title", None),
    ("title", "x" * 100),
    ("title", "x" * 101),
    ("title", 42),
    ("title", ["a"]),
    ("slug", "bad slug!"),
    ("slug", ""),
    ("slug", "s" * 101),
    ("slug", "pkg-1"),  # another record's slug
    ("slug", 7),
    ("repo_url", ""),
    ("repo_url", "not a url"),
    ("repo_url", "ftp://github.com/o/r"),
    ("repo_url", "http://localhost/o/r"),
    ("repo_url", "https://10.0.0.1/o/r"),
    ("repo_url", "https://WWW.GitHub.com/Example/Other.git/"),
    ("repo_url", "https://github.com/EXAMPLE/pkg-1"),  # another record's repository
    ("repo_url", "https://user@github.com/o/r"),
    ("repo_url", "https://github.com/" + "o" * 250),
    ("repo_url", 5),
    ("repo_description", None),
    ("repo_description", 5),
    ("repo_description", "d" * 5000),
    ("repo_watchers", -1),
    ("repo_watchers", "7"),
    ("repo_watchers", "seven"),
    ("repo_watchers", True),
    ("repo_watchers", 2**31),
    ("repo_watchers", 1.5),
    ("repo_watchers", None),
    ("repo_forks", -3),
    ("repo_forks", 0),
    ("participants", "someone"),
    ("participants", [1, 2]),
    ("participants", []),
    ("participants", None),
    ("commits_over_52", [1, 2]),
    ("commits_over_52", [-1] * 52),
    ("commits_over_52", [True] * 52),
    ("commits_over_52", [2] * 52),
    ("commits_over_52", []),
    ("commits_over_52", "weekly"),
    ("pypi_url", "Django_REST.framework"),
    ("pypi_url", "https://pypi.org/project/Some_Name/"),
    ("pypi_url", "https://evil.example/project/x/"),
    ("pypi_url", "bad name!"),
    ("pypi_url", None),
    ("pypi_version", None),
    ("pypi_version", "1.0"),
    ("pypi_version", "v" * 101),
    ("documentation_url", "https://docs.example.com/x"),
    ("documentation_url", "javascript:alert(1)"),
    ("documentation_url", "https://localhost/docs"),
    ("documentation_url", "https://docs.example.com/" + "d" * 240),
    ("created", "yesterday"),
    ("created", None),
    ("last_updated", "2020-01-01T00:00:00"),
    ("category", 999),
    ("category", "https://x.example/api/v4/categories/4/"),
]


def _records(rng):
    """Good records, each variant once alone, and random pairs of variants."""
    records = [_good(1), _good(2), *_single_variants()]
    for pk in range(500, 500 + 2 * len(VARIANTS)):
        record = _good(pk)
        for name, value in rng.sample(VARIANTS, 2):
            record[name] = value
        records.append(record)
    return records


def _single_variants():
    return [{**_good(pk), name: value} for pk, (name, value) in enumerate(VARIANTS, 10)]


def _outcome(report):
    return [str(s) for s in report.skipped], list(Package.objects.order_by("pk").values())


def _import(records):
    return _outcome(importer.import_bundle({"categories": [], "packages": records, "grids": []}))


def _one_at_a_time(records):
    """What the model's own full_clean() and save() make of the records, one by one."""
    report = importer.ImportReport()
    for index, record in enumerate(records):
        importer._upsert(report, "packages", index, record, Package, importer.PACKAGE_FIELDS)
    return _outcome(report)


class _Undo(Exception):
    pass


def _without_keeping(action):
    """What `action` returns, its writes rolled back."""
    try:
        with transaction.atomic():
            result = action()
            raise _Undo
    except _Undo:
        return result


@pytest.fixture
def catalogue(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 25)  # several batches
    Category.objects.create(id=4, title="Project", slug="projects")


def _store_good_versions(records):
    importer.import_bundle({"packages": [_good(r["id"]) for r in records]})
    Package.objects.filter(pk=11).update(title="t" * 100)  # stored values are checked too


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stored", [False, True], ids=["new", "updates"])
def test_compiled_checks_skip_and_store_exactly_what_the_model_checks_do(
    catalogue, seed, stored, monkeypatch
):
    records = _records(random.Random(seed))
    if stored:
        _store_good_versions(records)
    with monkeypatch.context() as patched:
        patched.setattr(FieldChecks, "accepts", lambda self, row: False)  # every row: the model
        expected = _without_keeping(lambda: _import(records))

    assert _import(records) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [False, True], ids=["new", "updates"])
def test_bulk_import_skips_and_stores_what_full_clean_and_save_do(catalogue, stored):
    records = _single_variants()
    if stored:
        _store_good_versions(records)
    expected = _without_keeping(lambda: _one_at_a_time(records))

    assert _import(records) == expected


@pytest.mark.django_db
def test_a_stored_value_the_model_refuses_is_refused_in_bulk_too():
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores a value longer than its column")
    Category.objects.create(id=4, title="Project", slug="projects")
    importer.import_bundle({"packages": [_good(1)]})
    Package.objects.filter(pk=1).update(pypi_license="l" * 300)

    report = importer.import_bundle({"packages": [_good(1)]})

    assert [str(s) for s in report.skipped] == [
        "packages[0]: pypi_license: Ensure this value has at most 255 characters (it has 300)."
    ]


def test_a_date_time_takes_a_datetime_or_a_null_and_leaves_strings_to_the_model():
    check = compile_check(Package._meta.get_field("last_updated"))

    assert check(datetime(2020, 1, 1, tzinfo=UTC))
    assert check(None)
    assert not check("2020-01-01")
