"""What search finds, on both databases: word forms, every field (description, category,
contributors), near spellings, words typed half-way, and exact names first; the list filters'
`q` keeps what a client filtering rows itself would keep."""

import pytest

from tests.factories import CategoryFactory, GridFactory, PackageFactory

pytestmark = pytest.mark.django_db


def _slugs(client, query, **params):
    response = client.get("/api/v4/search/", {"q": query, **params})
    assert response.status_code == 200, response.content
    return [hit["slug"] for hit in response.json()]


def _package(slug, stars=0, description="Tools.", **fields):
    return PackageFactory(
        title=slug, slug=slug, repo_watchers=stars, repo_description=description, **fields
    )


@pytest.fixture
def catalogue():
    """Names people misspell among packages whose names share their words."""
    _package("django-filter", 4_000, "Dynamic queryset filtering from URL parameters.")
    _package("django-filters-extra", 90, "More filters.")
    _package("django-admin-list-filter", 300, "Filters for the admin.")
    _package("wagtail", 18_000, "A content management system.")
    _package("wagtail-seo", 50, "Search engine optimisation for Wagtail.")
    _package("djangorestframework", 27_000, "Web APIs for Django.")
    _package("rest-framework-tools", 500, "Helpers.")
    for n in range(30):
        _package(f"django-widget-{n}", 100 + n, "A form widget for Django.")


def test_a_word_finds_its_other_forms_in_descriptions(client):
    _package("django-cacheops", 2_000, "Caching ORM queries, with automatic invalidation.")
    _package("django-forms", 50, "Forms.")

    assert _slugs(client, "cache") == ["django-cacheops"]
    assert _slugs(client, "invalidated queries") == ["django-cacheops"]


def test_a_word_finds_its_other_forms_in_names(client):
    _package("django-caching-tools", 10)

    assert _slugs(client, "cache") == ["django-caching-tools"]


def test_a_contributors_login_finds_their_packages(client):
    _package("django-one", participants=["carltongibson", "tomchristie"])
    _package("django-two", 5, participants=["carltongibson"])
    _package("django-three", participants=["someoneelse"])

    assert _slugs(client, "carltongibson") == ["django-two", "django-one"]


def test_a_category_title_finds_its_packages(client):
    frameworks = CategoryFactory(title="Framework", slug="frameworks")
    _package("django-one", category=frameworks)
    _package("django-two")

    assert _slugs(client, "frameworks") == ["django-one"]


def test_a_word_typed_past_its_stem_still_matches(client):
    _package("django-authentication-kit", 10)
    _package("django-other", 20, "Two-factor authentication.")

    for typed in ["authent", "authenti", "authentica", "authentication"]:
        assert _slugs(client, typed) == ["django-authentication-kit", "django-other"], typed


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("djnago filter", "django-filter"),
        ("django-fliter", "django-filter"),
        ("wagtial", "wagtail"),
        ("rest framwork", "djangorestframework"),
        ("djnago widget", "django-widget-29"),
    ],
)
def test_a_misspelled_query_finds_the_package_in_the_top_five(client, query, slug):
    assert slug in _slugs(client, query)[:5]


@pytest.mark.usefixtures("catalogue")
def test_a_near_spelling_is_searched_as_a_whole_query_exact_names_first(client):
    response = client.get("/api/v4/search/", {"q": "djnago fliter"})

    hits = response.json()
    assert hits[0]["slug"] == "django-filter"
    assert {hit["weight"] for hit in hits} == {0}


@pytest.mark.usefixtures("catalogue")
def test_a_misspelling_ranks_below_every_strict_hit(client):
    _package("forms", 1, "The fliter of our dreams.")

    assert _slugs(client, "fliter")[:2] == ["forms", "django-filter"]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("query", ["wagtail", "filter", "djangorestframework", "rest framework"])
def test_exact_names_rank_first(client, query):
    expected = {"rest framework": "djangorestframework", "filter": "django-filter"}

    assert _slugs(client, query)[0] == expected.get(query, query)


@pytest.mark.usefixtures("catalogue")
def test_a_known_word_is_not_corrected(client):
    assert _slugs(client, "filters extra") == ["django-filters-extra"]
    assert _slugs(client, "nowhere") == []


def test_the_grid_list_filter_finds_a_word_inside_a_title(client):
    GridFactory(title="MyWagtail tools", slug="mywagtail-tools")
    GridFactory(title="Caching", slug="caching", description="Cache backends.")
    GridFactory(title="Forms", slug="forms")

    response = client.get("/api/v4/grids/", {"q": "wagtail"})

    assert [grid["slug"] for grid in response.json()["results"]] == ["mywagtail-tools"]


def test_the_package_list_filter_finds_substrings_and_word_forms(client):
    _package("mywagtailthing", 1)
    _package("django-cacheops", 2, "Caching ORM queries.")
    _package("django-forms", 3)

    def listed(q):
        response = client.get("/api/v4/packages/", {"q": q, "ordering": "title"})
        return [package["slug"] for package in response.json()["results"]]

    assert listed("wagtail") == ["mywagtailthing"]
    assert listed("cache") == ["django-cacheops"]
