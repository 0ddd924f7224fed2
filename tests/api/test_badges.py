"""README badges: one SVG per metric, escaped, cacheable, and an "unknown" badge for a miss."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def badge_texts(response):
    """(label, value) as the badge shows them, from the SVG's own <title>."""
    root = ET.fromstring(response.content)
    label, value = root.find(f"{SVG}title").text.split(": ", 1)
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts == [label, label, value, value]
    assert root.get("aria-label") == f"{label}: {value}"
    return label, value


@pytest.fixture
def package():
    return PackageFactory(
        slug="django-widgets",
        repo_watchers=12_345,
        score=81,
        pypi_version="2.1.0",
        last_updated=dt.datetime(2026, 10, 17, 5, 0, tzinfo=dt.UTC),
        pypi_downloads=48_213,
        pypi_downloads_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ("stars", "12.3k")),
        ("?metric=stars", ("stars", "12.3k")),
        ("?metric=score", ("score", "81/100")),
        ("?metric=version", ("version", "v2.1.0")),
        ("?metric=last-commit", ("last-commit", "2026-10-17")),
        ("?metric=downloads", ("downloads", "48.2k/month")),
    ],
)
def test_each_metric_has_its_badge(client, package, query, expected):
    response = client.get(f"/api/v4/packages/django-widgets/badge.svg{query}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert len(response.content) < 2048
    assert badge_texts(response) == expected


def test_numeric_id_finds_the_package_too(client, package):
    response = client.get(f"/api/v4/packages/{package.pk}/badge.svg?metric=score")

    assert badge_texts(response) == ("score", "81/100")


@pytest.mark.parametrize(
    ("stars", "shown"), [(0, "0"), (999, "999"), (1000, "1k"), (2_500_000, "2.5M")]
)
def test_star_counts_are_shortened(client, stars, shown):
    PackageFactory(slug="counted", repo_watchers=stars)

    assert badge_texts(client.get("/api/v4/packages/counted/badge.svg"))[1] == shown


def test_score_colour_follows_the_score(client):
    PackageFactory(slug="good", score=90)
    PackageFactory(slug="poor", score=10)

    good = client.get("/api/v4/packages/good/badge.svg?metric=score").content.decode()
    poor = client.get("/api/v4/packages/poor/badge.svg?metric=score").content.decode()

    assert 'fill="#4c1"' in good
    assert 'fill="#e05d44"' in poor


def test_missing_values_read_unknown(client):
    PackageFactory(slug="bare", pypi_version=None, last_updated=None, pypi_downloads_at=None)

    assert badge_texts(client.get("/api/v4/packages/bare/badge.svg?metric=version")) == (
        "version",
        "unknown",
    )
    assert badge_texts(client.get("/api/v4/packages/bare/badge.svg?metric=last-commit"))[1] == (
        "unknown"
    )
    # Never counted is not the same as counted zero.
    assert badge_texts(client.get("/api/v4/packages/bare/badge.svg?metric=downloads"))[1] == (
        "unknown"
    )


@pytest.mark.parametrize("name", ["no-such-package", "424242", "%E2%9C%93"])
def test_unknown_package_is_a_404_unknown_badge(client, name):
    response = client.get(f"/api/v4/packages/{name}/badge.svg?metric=score")

    assert response.status_code == 404
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert badge_texts(response) == ("score", "unknown")
    assert response["Cache-Control"] == "public, max-age=300"


def test_bad_metric_is_a_400_with_a_message(client, package):
    response = client.get("/api/v4/packages/django-widgets/badge.svg?metric=<b>")

    assert response.status_code == 400
    assert response.json() == {
        "metric": [
            "Unknown metric '<b>': use one of stars, score, downloads, version, last-commit."
        ]
    }


def test_too_long_label_is_a_400(client, package):
    response = client.get("/api/v4/packages/django-widgets/badge.svg", {"label": "x" * 41})

    assert response.status_code == 400
    assert "label" in response.json()


def test_label_and_value_are_escaped(client):
    PackageFactory(slug="hostile", pypi_version='1<script>&"')

    response = client.get(
        "/api/v4/packages/hostile/badge.svg", {"metric": "version", "label": '<a href="x">'}
    )

    body = response.content.decode()
    assert "<script>" not in body
    assert "<a " not in body
    assert "&lt;a href=&quot;x&quot;&gt;" in body
    assert badge_texts(response) == ('<a href="x">', 'v1<script>&"')


def test_etag_answers_a_revalidation_with_304(client, package):
    first = client.get("/api/v4/packages/django-widgets/badge.svg?metric=score")

    again = client.get(
        "/api/v4/packages/django-widgets/badge.svg?metric=score",
        headers={"If-None-Match": first["ETag"]},
    )

    assert first["ETag"].startswith('"')
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=3600"


def test_etag_changes_with_the_value(client, package):
    first = client.get("/api/v4/packages/django-widgets/badge.svg?metric=score")
    package.score = 82
    package.save()

    after = client.get(
        "/api/v4/packages/django-widgets/badge.svg?metric=score",
        headers={"If-None-Match": first["ETag"]},
    )

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert badge_texts(after) == ("score", "82/100")


def test_badge_takes_one_query(client, package, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get("/api/v4/packages/django-widgets/badge.svg?metric=stars")


def test_badge_refuses_writes_with_a_json_error(client, package):
    response = client.post("/api/v4/packages/django-widgets/badge.svg")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
