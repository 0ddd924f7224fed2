"""End to end in a real browser: Debian's Chromium driven by Playwright.

A curator logs into the admin, creates a category and a package, puts the package in a grid
with a feature and a cell, then reads the package in the browsable API, logs in through the
API's login link and edits the package with the API's form. Each step leaves a screenshot in
`tests/e2e/screenshots/` (override with E2E_SCREENSHOTS). Skipped when Chromium or Playwright
is absent (`.ci/run` installs both).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", Path(__file__).parent / "screenshots"))

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)
if not shutil.which(CHROMIUM):
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-e2e-password-123"


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the live server runs in another,
    # so ORM calls made here by the test itself are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15000)
        yield page
        browser.close()
        # ORM calls made inside Playwright's event loop run on a connection of their own;
        # close it here, or it would keep the test database from being dropped.
        connections.close_all()


def shot(page, name, full_page=True):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture
def curator(django_user_model):
    return django_user_model.objects.create_superuser("curator", "c@example.com", PASSWORD)


def choose(page, select_id, text):
    """Pick `text` in an admin autocomplete (select2) widget."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def admin_login(page, base):
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_curator_builds_a_grid_in_the_admin_and_reads_it_in_the_api(
    browser_page, live_server, curator
):
    from grids.models import Element, Grid
    from packages.models import Package

    page, base = browser_page, live_server.url
    admin_login(page, base)
    shot(page, "01-admin-home")

    page.goto(f"{base}/admin/categories/category/add/")
    page.fill("#id_title", "App")
    page.fill("#id_title_plural", "Apps")
    shot(page, "02-category-form")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    page.goto(f"{base}/admin/packages/package/add/")
    page.fill("#id_title", "django-e2e-widgets")
    choose(page, "id_category", "App")
    page.fill("#id_repo_url", "https://GitHub.com/example/django-e2e-widgets.git")
    page.fill("#id_pypi_url", "django-e2e-widgets")
    shot(page, "03-package-form")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    package = Package.objects.get(slug="django-e2e-widgets")
    assert package.repo_url == "https://github.com/example/django-e2e-widgets"

    page.goto(f"{base}/admin/grids/grid/add/")
    page.fill("#id_title", "Widgets")
    page.click("#features-group .add-row a")
    page.fill("#id_features-0-title", "Dark mode")
    page.click("#grid_packages-group .add-row a")
    choose(page, "id_grid_packages-0-package", "django-e2e-widgets")
    shot(page, "04-grid-form")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    grid = Grid.objects.get(slug="widgets")
    assert list(grid.packages.all()) == [package]

    page.goto(f"{base}/admin/grids/element/add/")
    choose(page, "id_grid_package", "django-e2e-widgets")
    choose(page, "id_feature", "Dark mode")
    page.fill("#id_text", "Yes")
    shot(page, "05-element-form")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert Element.objects.get().text == "Yes"

    # The browsable API, as a fresh visitor: read the package, log in, edit it with the form.
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 1000})
    visitor = context.new_page()
    visitor.set_default_timeout(15000)
    visitor.goto(f"{base}/api/v4/packages/django-e2e-widgets/?format=api")
    assert visitor.locator(".response-info").is_hidden()  # folded under the page for people
    visitor.click("details.dp-json > summary")
    content = visitor.locator(".response-info").inner_text()
    assert '"title": "django-e2e-widgets"' in content
    assert f"{base}/api/v4/grids/{grid.id}/?format=api" in content
    shot(visitor, "06-browsable-api-anonymous")

    visitor.click("a:has-text('Log in')")
    visitor.fill("#id_username", "curator")
    visitor.fill("#id_password", PASSWORD)
    shot(visitor, "07-browsable-api-login")
    visitor.click("#submit-id-submit, input[type=submit], button[type=submit]")
    visitor.wait_for_url("**/api/v4/packages/django-e2e-widgets/**")
    assert visitor.locator("#put-object-form").count() == 1

    form = visitor.locator("#put-object-form")
    form.locator("input[name=title]").fill("django-e2e-widgets, edited")
    form.locator("textarea[name=repo_description], input[name=repo_description]").first.fill(
        "Edited in the browsable API."
    )
    shot(visitor, "08-browsable-api-edit-form")
    # The page before the PUT already has a .response-info: wait for the PUT's own answer.
    with visitor.expect_response(
        lambda response: (
            response.request.method in ("PUT", "POST")
            and "/api/v4/packages/django-e2e-widgets/" in response.url
        )
    ):
        form.locator("button:has-text('PUT')").click()
    visitor.wait_for_load_state()
    visitor.wait_for_selector(".response-info", state="attached")
    shot(visitor, "09-browsable-api-after-put")
    package.refresh_from_db()
    assert package.title == "django-e2e-widgets, edited"
    assert package.repo_description == "Edited in the browsable API."
    assert package.last_modified_by == curator
    assert (
        '"title": "django-e2e-widgets, edited"' in visitor.locator(".response-info").text_content()
    )
    context.close()


CSP = "default-src 'self'"


def _guarded_context(browser, base, left_the_host, csp_violations):
    """A browser context that aborts (and records) any request to another host, and serves the
    browsable API's pages under `default-src 'self'`, as a hardened deployment would."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})

    def route(route):
        request = route.request
        if not request.url.startswith(base):
            left_the_host.append(request.url)
            return route.abort()
        path = request.url.removeprefix(base)
        if (
            request.resource_type == "document"
            and path.startswith("/api/v4/")
            and (not path.startswith("/api/v4/docs/"))
        ):
            response = route.fetch()
            return route.fulfill(
                response=response,
                headers={**response.headers, "content-security-policy": CSP},
            )
        return route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return context, page


@pytest.fixture
def catalogue_in_a_grid():
    from tests.factories import (
        ElementFactory,
        FeatureFactory,
        GridFactory,
        GridPackageFactory,
        PackageFactory,
        VersionFactory,
    )

    grid = GridFactory(title="REST frameworks", slug="rest-frameworks")
    serializers = FeatureFactory(grid=grid, title="Serializers")
    async_views = FeatureFactory(grid=grid, title="Async views")
    rows = {}
    for title, stars, score, commits in (
        ("django-rest-framework", 28000, 92, [3] * 52),
        ("django-ninja", 7000, 85, [0] * 40 + [9] * 12),
        ("djapi-lite", 120, 30, [0] * 52),
    ):
        package = PackageFactory(
            title=title, slug=title, repo_watchers=stars, score=score, commits_over_52=commits
        )
        VersionFactory(package=package, number="1.0.0", upload_time=package.created)
        rows[title] = GridPackageFactory(grid=grid, package=package)
    ElementFactory(grid_package=rows["django-rest-framework"], feature=serializers, text="Yes")
    ElementFactory(grid_package=rows["django-rest-framework"], feature=async_views, text="No")
    ElementFactory(grid_package=rows["django-ninja"], feature=serializers, text="Pydantic")
    ElementFactory(grid_package=rows["django-ninja"], feature=async_views, text="Yes")
    ElementFactory(grid_package=rows["djapi-lite"], feature=serializers, text="Partial")
    GridPackageFactory(grid=GridFactory(title="Admin tools"), package=rows["django-ninja"].package)
    return grid


def test_a_reader_and_a_curator_find_their_way_without_leaving_the_host(
    browser_page, live_server, curator, catalogue_in_a_grid, settings
):
    settings.SITE_NAME = "Acme Packages"
    base, grid = live_server.url, catalogue_in_a_grid
    left_the_host, csp_violations = [], []
    context, page = _guarded_context(
        browser_page.context.browser, base, left_the_host, csp_violations
    )

    # The root: the site's name, what the catalogue is, and where to go.
    page.goto(f"{base}/api/v4/?format=api")
    assert page.locator(".navbar-brand").inner_text().strip() == "Acme Packages"
    assert page.title() == "Acme Packages API – Acme Packages"
    for feed in ("/feeds/packages.atom", "/feeds/releases.atom"):
        link = page.locator(f".dp-root a[href='{feed}']")
        assert link.count() == 1
        answer = page.request.get(f"{base}{feed}")
        assert answer.ok
        assert answer.headers["content-type"].startswith("application/atom+xml")
        assert answer.text().count("<entry>") == 3
    assert page.locator(".dp-root a[href='/api/v4/docs/']").count() == 1
    shot(page, "10-root")

    # A package: its card, with the sparkline and its grids by name.
    page.goto(f"{base}/api/v4/packages/django-ninja/?format=api")
    sparkline = page.locator("svg.dp-sparkline-svg")
    assert sparkline.get_attribute("aria-label") == (
        "108 commits in the last 52 weeks; busiest week 9, this week 9"
    )
    assert len(sparkline.locator("polyline").get_attribute("points").split()) == 52
    assert page.locator(".dp-grid-link").all_inner_texts() == ["Admin tools", "REST frameworks"]
    assert '"title": "django-ninja"' in page.locator(".response-info").text_content()
    shot(page, "11-package-card", full_page=False)

    # The grid: its packages by name.
    page.goto(f"{base}/api/v4/grids/rest-frameworks/?format=api")
    names = page.locator(".dp-grid-packages tbody td:first-child").all_inner_texts()
    assert names == ["django-ninja", "django-rest-framework", "djapi-lite"]
    shot(page, "12-grid")

    # The comparison: a table by score, sortable by stars, with marks.
    page.click("text=Compare these packages feature by feature")
    table = page.locator("table.dp-comparison")
    headers = table.locator("thead th").all_inner_texts()
    assert [h.strip() for h in headers] == [
        "Package",
        "Stars",
        "Score",
        "Serializers",
        "Async views",
    ]

    def first_column():
        return table.locator("tbody th[scope=row] a").all_inner_texts()

    assert first_column() == ["django-rest-framework", "django-ninja", "djapi-lite"]
    first_row = table.locator("tbody tr").first.locator("td.dp-cell")
    assert first_row.evaluate_all("cells => cells.map(c => c.dataset.mark)") == ["yes", "no"]
    # A mark only where the cell says yes, no or partial: "Pydantic" stands alone.
    assert table.locator("tbody tr").nth(1).locator("td.dp-cell").first.inner_text().split() == [
        "Pydantic"
    ]
    assert table.locator("tbody tr").nth(2).locator("td.dp-cell").evaluate_all(
        "cells => cells.map(c => c.dataset.mark)"
    ) == ["partial", "unknown"]
    stars = table.locator("th", has_text="Stars")
    # The sorter is attached when its script has loaded: wait for each click's own mark.
    page.wait_for_load_state("load")
    table.locator("button.dp-sort", has_text="Stars").click()
    playwright_sync.expect(stars).to_have_attribute("aria-sort", "descending")
    assert first_column() == ["django-rest-framework", "django-ninja", "djapi-lite"]
    table.locator("button.dp-sort", has_text="Stars").click()
    playwright_sync.expect(stars).to_have_attribute("aria-sort", "ascending")
    assert first_column() == ["djapi-lite", "django-ninja", "django-rest-framework"]
    csv = page.locator("a.dp-csv").get_attribute("href")
    assert page.request.get(f"{base}{csv}").text().startswith("package,slug,stars")
    table.locator("button.dp-sort", has_text="Score").click()
    playwright_sync.expect(table.locator("th", has_text="Score")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert first_column() == ["django-rest-framework", "django-ninja", "djapi-lite"]
    shot(page, "13-comparison", full_page=False)

    # Search: a box, and hits by kind.
    page.goto(f"{base}/api/v4/search/?format=api")
    page.fill("#dp-search-q", "rest")
    page.click(".dp-search button[type=submit]")
    page.wait_for_selector(".dp-search-kind")
    assert "django-rest-framework" in page.locator(".dp-search-package").inner_text()
    assert "REST frameworks" in page.locator(".dp-search-grid").inner_text()
    shot(page, "14-search")

    # The docs: ReDoc from our own static files.
    page.goto(f"{base}/api/v4/docs/")
    page.wait_for_selector("text=djangopackages API")
    page.wait_for_timeout(500)
    shot(page, "15-docs")

    # The admin, for a curator: grouped index, a package list that fits, a grid's cells.
    admin_login(page, base)
    assert page.locator("#site-name").inner_text().strip() == "Acme Packages administration"
    captions = page.locator("#content-main .module caption").all_text_contents()
    assert [c.strip() for c in captions][:2] == ["Catalogue", "Grid contents"]
    assert "Http validators" not in page.content()
    shot(page, "16-admin-index")
    page.goto(f"{base}/admin/packages/package/")
    right_edge = page.locator("#result_list").evaluate("t => t.getBoundingClientRect().right")
    assert right_edge <= 1400
    headers = page.locator("#result_list thead th").all_text_contents()
    assert [header.strip() for header in headers[1:4]] == ["Title", "Stars", "Score"]
    shot(page, "17-admin-packages")
    page.goto(f"{base}/admin/grids/grid/{grid.pk}/change/")
    assert page.locator("#features-group textarea").count() == 0
    assert "no front page of its own" in page.locator(".field-header").inner_text()
    page.click("text=Edit every cell as a table")
    cell = page.locator("input[aria-label='djapi-lite: Async views']")
    cell.fill("Yes, since 2.0")
    shot(page, "18-admin-cells")
    page.click("input[type=submit][value='Save cells']")
    page.wait_for_selector(".messagelist .success")
    page.goto(f"{base}/api/v4/grids/rest-frameworks/comparison/?format=api")
    last_row = page.locator("table.dp-comparison tbody tr").nth(2)
    assert last_row.locator("td.dp-cell").nth(1).get_attribute("data-mark") == "yes"
    page.click(".navbar .dropdown-toggle")
    page.click(".dp-logout button")
    page.wait_for_selector(".navbar a:has-text('Log in')")

    assert left_the_host == []
    # ReDoc's CDN logo is dropped by docs.js before any request: no violation at all.
    assert csp_violations == [], "\n".join(csp_violations)
    context.close()


def test_a_visitor_reads_the_pages_for_people(browser_page, live_server, django_user_model):
    """Home, package list, search, category, grid list, grid, comparison, package, score and
    versions: what a person sees on each, axe-core on each, screenshots for docs/screenshots."""
    from tests.e2e.people import DESKTOP, PHONE, doc_shot, people_catalogue, serious_violations

    data, base = people_catalogue(), live_server.url
    django_user_model.objects.create_user("reader", "r@example.com", PASSWORD)
    context = browser_page.context.browser.new_context(viewport=DESKTOP, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors, problems = [], []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else 0)

    def visit(path, heading=None):
        page.goto(f"{base}{path}")
        if heading is not None:
            assert page.locator("h1").first.inner_text().strip() == heading
        problems.extend(serious_violations(page))

    visit("/", "Reusable Django packages, compared")
    assert "Apps 15 packages" in page.locator("section:has(#h-categories)").inner_text()
    assert page.locator("section:has(#h-grids) a").first.inner_text() == "Caching"
    page.fill("#dp-q", "cachalot")
    page.wait_for_selector("#dp-results li a:has-text('django-cachalot')")
    assert "12,345 stars" in page.locator("#dp-results").inner_text()
    doc_shot(page, "home")
    visit("/api/v4/packages/?format=api&ordering=-repo_watchers", "Packages")
    names = page.locator("table.dp-packages tbody th a").all_inner_texts()
    assert len(names) == 20
    assert names[:2] == ["django-cachalot", "django-tool-21"]
    assert page.locator("details.dp-json").get_attribute("open") is None
    assert page.evaluate("document.documentElement.scrollHeight") < 3000
    doc_shot(page, "package-list", full_page=True)
    page.click("button:has-text('Filters')")
    page.wait_for_selector("#filtersModal.in")
    labels = page.locator("#filtersModal label").all_inner_texts()
    assert "[invalid name]" not in " ".join(labels)
    for label in ("Category", "On PyPI", "Archived", "Last commit after", "Order by"):
        assert any(text.strip().startswith(label) for text in labels), (label, labels)
    page.keyboard.press("Escape")
    visit("/api/v4/search/?q=cachalot&format=api", "Search")
    assert "django-cachalot" in page.locator(".dp-search-package").inner_text()
    visit(f"/api/v4/categories/{data['apps'].pk}/?format=api", "Apps")
    members = page.locator("table.dp-packages tbody th a").all_inner_texts()
    assert members[0] == "django-cachalot"
    assert len(members) == 15
    assert "django-tool-03" not in members  # a tool
    doc_shot(page, "category")
    visit("/api/v4/grids/?format=api&ordering=title", "Grids")
    assert page.locator("table.dp-grids tbody th a").all_inner_texts() == ["Admin tools", "Caching"]
    visit("/api/v4/grids/caching/?format=api", "Caching")
    visit("/api/v4/grids/caching/comparison/?format=api", "Caching: comparison")
    marks = page.locator("table.dp-comparison .dp-mark").all_inner_texts()
    assert [m.strip().lower() for m in marks] == ["yes", "partial"]
    doc_shot(page, "comparison-table")
    visit(f"/api/v4/packages/{data['big'].pk}/score/?format=api", "Score of django-cachalot")
    assert "Stars" in page.locator("table.dp-score").inner_text()
    doc_shot(page, "score")
    visit(f"/api/v4/packages/{data['big'].pk}/versions/?format=api", "Releases of django-cachalot")
    assert page.locator("table.dp-versions tbody th").all_inner_texts() == ["2.8.0", "2.7.0"]

    page.goto(
        f"{base}/api/v4/api-auth/login/?next=/api/v4/packages/django-cachalot/%3Fformat%3Dapi"
    )
    page.fill("#id_username", "reader")
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_selector("h1:has-text('django-cachalot')")
    stats = page.locator(".dp-stats").inner_text()
    assert "12,345" in stats
    assert "1,234" in stats
    toggle = page.locator("button.dp-usage-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    page.wait_for_selector("button.dp-usage-toggle[aria-pressed=true]")
    assert page.locator(".dp-usage").inner_text().endswith("1 user uses this")
    problems.extend(serious_violations(page))
    doc_shot(page, "package-page")
    toggle.click()
    page.wait_for_selector("button.dp-usage-toggle[aria-pressed=false]")
    assert page.locator(".dp-usage-count").inner_text() == "0"

    visit("/api/v4/docs/")
    page.wait_for_selector("text=djangopackages API")
    page.set_viewport_size(PHONE)
    for path, name in (("/", "home-phone"), ("/api/v4/packages/?format=api", "package-list-phone")):
        visit(path)
        doc_shot(page, name)
    context.close()
    assert problems == [], "\n".join(problems)
    assert errors == [], "\n".join(errors)
