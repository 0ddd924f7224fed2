"""djangopackages.org's site paths (`absolute_url` values) redirect to the browsable API pages."""

import pytest

from tests.factories import CategoryFactory, GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "site_path", "api_path"),
    [
        (PackageFactory, "/packages/p/{slug}/", "/api/v4/packages/{slug}/"),
        (GridFactory, "/grids/g/{slug}/", "/api/v4/grids/{slug}/"),
        (CategoryFactory, "/categories/{slug}/", "/api/v4/categories/{slug}/"),
    ],
)
def test_a_site_path_redirects_to_the_api_page(client, factory, site_path, api_path):
    row = factory(slug="some_thing-2")

    response = client.get(site_path.format(slug=row.slug))

    assert response.status_code == 302
    assert response["Location"] == api_path.format(slug=row.slug)
    assert client.get(response["Location"]).json()["id"] == row.pk


def test_an_unknown_slug_ends_on_the_api_404(client):
    response = client.get("/packages/p/nothing-here/", follow=True)

    assert response.redirect_chain == [("/api/v4/packages/nothing-here/", 302)]
    assert response.status_code == 404
    assert response.json() == {"detail": "No Package matches the given query."}


def test_a_search_hit_absolute_url_resolves(client):
    package = PackageFactory(title="django-charts", slug="django-charts")
    GridFactory(title="Charts", slug="charts")

    hits = client.get("/api/v4/search/", {"q": "charts"}).json()
    landed = [client.get(hit["absolute_url"], follow=True).json()["slug"] for hit in hits]

    assert sorted(landed) == ["charts", package.slug]
