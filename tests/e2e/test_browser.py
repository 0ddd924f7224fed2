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


def shot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


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
    form.locator("button:has-text('PUT')").click()
    visitor.wait_for_selector(".response-info")
    shot(visitor, "09-browsable-api-after-put")
    package.refresh_from_db()
    assert package.title == "django-e2e-widgets, edited"
    assert package.repo_description == "Edited in the browsable API."
    assert package.last_modified_by == curator
    assert '"title": "django-e2e-widgets, edited"' in visitor.locator(".response-info").inner_text()
    context.close()
