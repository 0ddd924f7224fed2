"""Atom feeds of new packages and new releases: valid Atom, 30 entries, newest first."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from packages.models import Package
from tests.factories import PackageFactory, VersionFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def atom(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    return root


def entries(root):
    return root.findall(f"{ATOM}entry")


def test_packages_feed_lists_the_30_newest_packages_newest_first(client, settings):
    settings.SITE_NAME = "Acme"
    for day in range(35):
        package = PackageFactory(title=f"pkg-{day:02}")
        # `created` is set on insert; backdate it so the order is not the insertion order.
        Package.objects.filter(pk=package.pk).update(
            created=START + dt.timedelta(days=(day * 8) % 35)
        )

    root = atom(client, "/feeds/packages.atom")

    assert root.find(f"{ATOM}title").text == "Acme: new packages"
    found = entries(root)
    assert len(found) == 30
    published = [entry.find(f"{ATOM}published").text for entry in found]
    assert published == sorted(published, reverse=True)
    newest = Package.objects.order_by("-created").first()
    assert found[0].find(f"{ATOM}title").text == newest.title
    link = found[0].find(f"{ATOM}link").get("href")
    assert link == f"http://testserver/api/v4/packages/{newest.pk}/?format=api"
    assert found[0].find(f"{ATOM}summary").text == newest.repo_description
    ids = [entry.find(f"{ATOM}id").text for entry in found]
    assert len(set(ids)) == 30


def test_releases_feed_lists_the_30_newest_releases_across_packages(client):
    packages = PackageFactory.create_batch(3)
    for number in range(12):
        for offset, package in enumerate(packages):
            VersionFactory(
                package=package,
                number=f"1.{number}.{offset}",
                upload_time=START + dt.timedelta(hours=number * 3 + offset),
            )
    VersionFactory(package=packages[0], number="9.9.9", upload_time=None)
    VersionFactory(
        package=packages[0], number="9.9.8", upload_time=START.replace(year=2027), is_yanked=True
    )

    found = entries(atom(client, "/feeds/releases.atom"))

    assert len(found) == 30
    titles = [entry.find(f"{ATOM}title").text for entry in found]
    assert titles[:3] == [
        f"{packages[2].title} 1.11.2",
        f"{packages[1].title} 1.11.1",
        f"{packages[0].title} 1.11.0",
    ]
    assert not any("9.9." in title for title in titles)
    published = [entry.find(f"{ATOM}published").text for entry in found]
    assert published == sorted(published, reverse=True)
    ids = [entry.find(f"{ATOM}id").text for entry in found]
    assert len(set(ids)) == 30
    assert ids[0] == f"urn:djangopackages:package:{packages[2].pk}:release:1.11.2"


def test_feeds_escape_what_users_typed(client):
    package = PackageFactory(title="<b>bold</b> & co", repo_description="<script>x</script>")
    VersionFactory(package=package, number="1.0", upload_time=START)

    body = client.get("/feeds/packages.atom").content.decode()

    assert "<b>" not in body
    assert "<script>" not in body
    packages = entries(ET.fromstring(body))
    assert packages[0].find(f"{ATOM}title").text == "<b>bold</b> & co"
    releases = entries(atom(client, "/feeds/releases.atom"))
    assert releases[0].find(f"{ATOM}title").text == "<b>bold</b> & co 1.0"


def test_empty_catalogue_gives_empty_valid_feeds(client):
    assert entries(atom(client, "/feeds/packages.atom")) == []
    assert entries(atom(client, "/feeds/releases.atom")) == []


@pytest.mark.parametrize("url", ["/feeds/packages.atom", "/feeds/releases.atom"])
def test_feeds_take_one_query_for_30_entries(client, django_assert_num_queries, url):
    for package in PackageFactory.create_batch(35):
        VersionFactory(package=package, upload_time=START)

    with django_assert_num_queries(1):
        client.get(url)
