"""The browsable API's pages for people: site name, root links, package card, grid list,
comparison table and search, all escaped, CSP-friendly, and in a fixed number of queries."""

import datetime as dt
import html
import json
import re
from html.parser import HTMLParser

import pytest

from tests.factories import (
    ElementFactory,
    FeatureFactory,
    GridFactory,
    GridPackageFactory,
    PackageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script>'


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def summary(content):
    match = re.search(r'<section class="dp-summary.*?</section>', content, re.S)
    assert match, "the page has no summary"
    return match[0]


def shown_json(content):
    """The JSON in DRF's response block, as the browser shows it."""
    block = re.search(r'response-info".*?<pre class="prettyprint">(.*?)</pre>', content, re.S)[1]
    return json.loads(html.unescape(re.sub(r"<[^>]+>", "", block)).split("\n\n", 1)[1])


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(content):
    parser = _Tags()
    parser.feed(content)
    return parser.tags


def test_root_names_the_site_and_links_docs_search_and_feeds(client, settings):
    settings.SITE_NAME = "Acme <Packages>"
    content = page(client, "/api/v4/?format=api")

    assert "<title>Acme &lt;Packages&gt; API – Acme &lt;Packages&gt;</title>" in content
    assert re.search(r'class="navbar-brand" href="/api/v4/">\s*Acme &lt;Packages&gt;', content)
    assert "Django REST framework" not in content
    assert "The default basic root view" not in content
    links = {attrs["href"] for tag, attrs in tags(summary(content)) if tag == "a"}
    assert {
        "/api/v4/docs/",
        "/api/v4/search/?format=api",
        "/feeds/packages.atom",
        "/feeds/releases.atom",
    } <= links
    assert shown_json(content) == client.get("/api/v4/").json() | {
        key: f"{value}?format=api" for key, value in client.get("/api/v4/").json().items()
    }


def test_every_page_links_the_feeds_for_feed_readers(client):
    content = page(client, "/api/v4/packages/?format=api")

    alternates = [
        attrs["href"]
        for tag, attrs in tags(content)
        if tag == "link" and attrs.get("type") == "application/atom+xml"
    ]
    assert alternates == ["/feeds/packages.atom", "/feeds/releases.atom"]


def test_package_card_shows_stats_category_grids_and_a_sparkline(client):
    package = PackageFactory(
        title="django-widgets",
        repo_description="Widgets for forms.",
        repo_watchers=1234,
        repo_forks=56,
        pypi_version="2.1.0",
        score=77,
        participants=["ann", "bob", "cy"],
        commits_over_52=[0] * 50 + [3, 7],
        pypi_downloads=3021,
        pypi_downloads_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    for title in ("Zebra forms", "Admin widgets"):
        GridPackageFactory(package=package, grid=GridFactory(title=title))

    card = summary(page(client, f"/api/v4/packages/{package.slug}/?format=api"))

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    for shown in ("django-widgets", "Widgets for forms.", "Stars 1,234", "Forks 56"):
        assert shown in text
    assert "Latest release 2.1.0" in text
    assert "Score 77 / 100" in text
    assert "Participants 3" in text
    assert "Downloads 3,021 last month" in text
    anchors = [(attrs["href"], tag) for tag, attrs in tags(card) if tag == "a"]
    assert (f"/api/v4/packages/{package.pk}/score/?format=api", "a") in anchors
    assert (f"/api/v4/categories/{package.category_id}/?format=api", "a") in anchors
    grid_links = re.findall(r'class="dp-grid-link" href="([^"]+)">([^<]+)</a>', card)
    assert [name for _, name in grid_links] == ["Admin widgets", "Zebra forms"]
    assert f'Category: <a href="/api/v4/categories/{package.category_id}/?format=api">' in card
    label = "10 commits in the last 52 weeks; busiest week 7, this week 7"
    svg = re.search(r"<svg[^>]*dp-sparkline-svg.*?</svg>", card, re.S)[0]
    assert f'aria-label="{label}"' in svg
    assert f"<title>{label}</title>" in svg
    points = re.search(r'points="([^"]+)"', svg)[1].split()
    assert len(points) == 52
    assert points[-1] == "208.0,2.0"  # the busiest week reaches the top
    assert points[0] == "0.0,34.0"  # a week without commits lies on the bottom


def test_package_card_says_unknown_for_downloads_never_counted(client):
    PackageFactory(slug="uncounted", pypi_downloads=0, pypi_downloads_at=None)

    card = summary(page(client, "/api/v4/packages/uncounted/?format=api"))

    assert "Downloads unknown" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


def test_package_card_escapes_what_users_typed(client):
    package = PackageFactory(title=HOSTILE, slug="hostile", repo_description=HOSTILE)
    GridPackageFactory(package=package, grid=GridFactory(title=HOSTILE))

    content = page(client, "/api/v4/packages/hostile/?format=api")

    assert HOSTILE not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in summary(content)


@pytest.mark.parametrize("grid_count", [1, 12])
def test_package_page_queries_do_not_grow_with_its_grids(
    client, django_assert_num_queries, grid_count
):
    package = PackageFactory()
    for grid in GridFactory.create_batch(grid_count):
        GridPackageFactory(package=package, grid=grid)

    # The package with its grids, its fetch states (the freshness in words) and the "I use this"
    # count (anonymous: no "do I use it").
    with django_assert_num_queries(4):
        content = page(client, f"/api/v4/packages/{package.pk}/?format=api")

    assert content.count('class="dp-grid-link"') == grid_count


def test_grid_page_lists_its_packages_by_name_with_stars_and_score(client):
    grid = GridFactory(title="Forms")
    for title, stars, score in (("zeta", 5, 10), ("Alpha", 900, 80), ("beta", 40, 55)):
        GridPackageFactory(
            grid=grid, package=PackageFactory(title=title, repo_watchers=stars, score=score)
        )

    content = page(client, f"/api/v4/grids/{grid.slug}/?format=api")

    rows = re.findall(
        r'<tr><td><a href="[^"]+">([^<]+)</a></td><td class="dp-num">(\d+)</td>'
        r'<td class="dp-num">(\d+)</td></tr>',
        summary(content),
    )
    assert rows == [("Alpha", "900", "80"), ("beta", "40", "55"), ("zeta", "5", "10")]
    assert f'href="/api/v4/grids/{grid.pk}/comparison/?format=api"' in summary(content)
    assert len(shown_json(content)["packages"]) == 3


@pytest.mark.parametrize("package_count", [2, 25])
def test_grid_page_queries_do_not_grow_with_its_packages(
    client, django_assert_num_queries, package_count
):
    grid = GridFactory()
    for package in PackageFactory.create_batch(package_count):
        GridPackageFactory(grid=grid, package=package)

    with django_assert_num_queries(2):
        content = page(client, f"/api/v4/grids/{grid.pk}/?format=api")

    assert summary(content).count("<tr><td><a href=") == package_count


def _comparison_grid():
    grid = GridFactory(title="REST")
    speed = FeatureFactory(grid=grid, title="Speed", description="How fast")
    docs = FeatureFactory(grid=grid, title="Docs")
    fast = GridPackageFactory(grid=grid, package=PackageFactory(title="fast", score=90))
    slow = GridPackageFactory(
        grid=grid, package=PackageFactory(title="slow", score=20, repo_watchers=5000)
    )
    ElementFactory(grid_package=fast, feature=speed, text="Yes, very")
    ElementFactory(grid_package=fast, feature=docs, text="+/-")
    ElementFactory(grid_package=slow, feature=speed, text="No")
    ElementFactory(grid_package=slow, feature=docs, text="maybe")
    return grid


def test_comparison_is_a_table_with_marks_and_sortable_columns(client):
    grid = _comparison_grid()

    table = summary(page(client, f"/api/v4/grids/{grid.slug}/comparison/?format=api"))

    headers = [
        re.sub(r"<[^>]+>", "", h).strip()
        for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", table, re.S)
    ]
    assert headers == ["Package", "Stars", "Score", "Speed", "Docs"]
    assert 'title="How fast"' in table
    sort_columns = re.findall(r'class="dp-sort" data-sort-column="(\d)">(\w+)<', table)
    assert sort_columns == [("1", "Stars"), ("2", "Score")]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S)
    assert [re.search(r">([^<]+)</a>", row)[1] for row in rows] == ["fast", "slow"]
    cells = [
        re.findall(
            r'data-mark="(\w+)">(?:<span class="dp-mark">\w+</span>)?'
            r'(?: ?<span class="dp-cell-text">([^<]*)</span>)?',
            row,
        )
        for row in rows
    ]
    assert cells == [
        [("yes", "Yes, very"), ("partial", "+/-")],
        [("no", "No"), ("unknown", "maybe")],
    ]
    # A tag only where the cell says yes, no or partial: "maybe" stands alone.
    assert re.findall(r'<span class="dp-mark">(\w+)</span>', table) == ["yes", "partial", "no"]
    assert re.findall(r'data-sort-value="(\d+)"', rows[1]) == ["5000", "20"]
    assert f'href="/api/v4/grids/{grid.pk}/comparison/?format=csv"' in table


def test_comparison_table_escapes_cells_and_titles(client):
    grid = GridFactory(slug="hostile")
    feature = FeatureFactory(grid=grid, title=HOSTILE, description='" onmouseover="steal()')
    row = GridPackageFactory(grid=grid, package=PackageFactory(title=HOSTILE))
    ElementFactory(grid_package=row, feature=feature, text=HOSTILE)

    content = page(client, "/api/v4/grids/hostile/comparison/?format=api")

    assert HOSTILE not in content
    assert 'onmouseover="steal()' not in content
    assert summary(content).count("&lt;script&gt;") == 3


@pytest.mark.parametrize("package_count", [2, 20])
def test_comparison_page_queries_do_not_grow_with_its_rows(
    client, django_assert_num_queries, package_count
):
    grid = GridFactory()
    features = FeatureFactory.create_batch(3, grid=grid)
    for package in PackageFactory.create_batch(package_count):
        membership = GridPackageFactory(grid=grid, package=package)
        for feature in features:
            ElementFactory(grid_package=membership, feature=feature)

    # 4, and 1 for which rows show sample stars.
    with django_assert_num_queries(5):
        content = page(client, f"/api/v4/grids/{grid.pk}/comparison/?format=api")

    assert summary(content).count('<th scope="row">') == package_count


def test_search_page_groups_hits_by_kind(client):
    PackageFactory(title="django-forms-plus", repo_watchers=42)
    GridFactory(title="Forms")

    content = summary(page(client, "/api/v4/search/?format=api&q=forms"))

    assert 'value="forms"' in content
    packages = re.search(r'dp-search-package">(.*?)</table>', content, re.S)[1]
    grids = re.search(r'dp-search-grid">(.*?)</ul>', content, re.S)[1]
    assert "django-forms-plus" in packages
    assert 'title="42 stars"' in packages
    assert ">Forms</a>" in grids
    assert "django-forms-plus" not in grids


def test_search_page_without_words_offers_the_box_alone(client):
    PackageFactory(title="django-forms-plus")

    content = page(client, "/api/v4/search/?format=api")

    assert 'name="q"' in summary(content)
    assert "dp-search-kind" not in content


def test_search_page_with_a_refused_query_keeps_the_box_and_the_error(client):
    response = client.get("/api/v4/search/", {"format": "api", "q": "forms", "limit": "x"})

    content = response.content.decode()
    assert response.status_code == 400
    assert 'value="forms"' in summary(content)
    assert "dp-search-kind" not in content
    assert "HTTP 400 Bad Request" in content


@pytest.mark.parametrize(
    "url",
    [
        "/api/v4/?format=api",
        "/api/v4/packages/widgets/?format=api",
        "/api/v4/grids/rest/?format=api",
        "/api/v4/grids/rest/comparison/?format=api",
        "/api/v4/search/?format=api&q=widgets",
    ],
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "staff"])
def test_pages_need_no_inline_script_or_style(client, url, signed_in):
    if signed_in:
        client.force_login(UserFactory(username="staffer", is_staff=True, is_superuser=True))
    grid = _comparison_grid()
    grid.slug = "rest"
    grid.save()
    GridPackageFactory(grid=grid, package=PackageFactory(slug="widgets"))

    content = page(client, url)

    for tag, attrs in tags(content):
        if tag == "script":
            assert "src" in attrs or attrs.get("type") == "application/json", attrs
        assert tag != "style"
        assert "style" not in attrs, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


def test_docs_page_loads_only_from_this_host(client):
    content = page(client, "/api/v4/docs/")

    assert "fonts.googleapis.com" not in content
    found = tags(content)
    urls = [
        attrs.get("src") or attrs.get("href") for tag, attrs in found if tag in ("link", "script")
    ]
    assert urls
    assert all(url.startswith("/static/") for url in urls), urls
    assert all("src" in attrs for tag, attrs in found if tag == "script")
    assert not any(tag == "style" or "style" in attrs for tag, attrs in found)
    policy = next(attrs for tag, attrs in found if attrs.get("http-equiv"))
    assert policy == {"http-equiv": "Content-Security-Policy", "content": "img-src 'self' data:"}
    assert 'data-spec-url="/api/v4/schema/"' in content


def test_search_page_links_each_hit_to_its_browsable_page(client):
    package = PackageFactory(title="django-forms-plus")
    grid = GridFactory(title="Forms")

    content = summary(page(client, "/api/v4/search/?format=api&q=forms"))

    links = {attrs["href"] for tag, attrs in tags(content) if tag == "a"}
    # Package hits are the package list's table: the package and its category.
    assert links == {
        f"/api/v4/packages/{package.pk}/?format=api",
        f"/api/v4/categories/{package.category_id}/?format=api",
        f"http://testserver/api/v4/grids/{grid.pk}/?format=api",
    }
    grids = re.search(r'dp-search-grid">(.*?)</ul>', content, re.S)[1]
    assert "stars" not in grids
