"""Every HTML page works under the Content-Security-Policy: Chromium (driven by Playwright, as
in test_browser.py) visits the browsable API, its login, the docs page and the admin, signed
out and in, and must see the policy header and no CSP violation. Skipped without Chromium or
Playwright."""

import os
import shutil

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)
if not shutil.which(CHROMIUM):
    pytest.skip(f"Chromium not found at {CHROMIUM}", allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-e2e-password-123"
# ReDoc's sidebar asks cdn.redoc.ly for Redocly's logo: docs.js drops that source before any
# request, so the docs page raises no violation either (issue 24).

# Reports every violation, including ones the console would summarise.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${where}`
  );
});
"""


@pytest.fixture
def catalogue(django_user_model):
    from tests.factories import (
        ElementFactory,
        FeatureFactory,
        GridFactory,
        GridPackageFactory,
        PackageFactory,
    )

    django_user_model.objects.create_superuser("curator", "c@example.com", PASSWORD)
    package = PackageFactory(slug="django-csp-widgets", title="django-csp-widgets")
    grid = GridFactory(slug="widgets", title="Widgets")
    row = GridPackageFactory(grid=grid, package=package)
    ElementFactory(grid_package=row, feature=FeatureFactory(grid=grid), text="Yes")
    return {"package": package, "grid": grid}


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()
        connections.close_all()


# What shows that a page still works under the policy.
RENDERED = {
    "/api/v4/docs/": "h1:has-text('djangopackages API')",  # drawn by ReDoc's script
    "/api/v4/api-auth/login/": "#id_username",
    "/admin/login/": "#id_username",
    "/": "#dp-q",  # the home page
}


def visit_all(browser, base, paths, sign_in=False):
    """Visit each path in one browser context; return (path, problem) pairs."""
    context = browser.new_context()
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15000)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    problems = []
    if sign_in:
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "curator")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
    for path in paths:
        console.clear()
        response = page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector(RENDERED.get(path, ".response-info, #content"))
        if "default-src 'self'" not in (response.headers.get("content-security-policy") or ""):
            problems.append((path, "no Content-Security-Policy header"))
        problems += [(path, text) for text in page.evaluate("window.__cspViolations")]
        problems += [(path, text) for text in console]
    if sign_in:  # the browsable API's "Log out" is a plain form button (api/browsable.html)
        page.goto(f"{base}/api/v4/")
        page.click("a.dropdown-toggle:has-text('curator')")
        page.click("button:has-text('Log out')")
        page.wait_for_selector("a:has-text('Log in')")
        problems += [("log out", text) for text in page.evaluate("window.__cspViolations")]
        problems += [("log out", text) for text in console]
    context.close()
    return problems


def test_pages_signed_out_raise_no_csp_violation(browser, live_server, catalogue):
    grid = catalogue["grid"]
    paths = [
        "/",
        "/api/v4/",
        "/api/v4/packages/?format=api",
        "/api/v4/packages/django-csp-widgets/?format=api",
        f"/api/v4/grids/{grid.slug}/comparison/?format=api",
        "/api/v4/search/?q=widgets&format=api",
        "/api/v4/api-auth/login/",
        "/api/v4/docs/",
        "/admin/login/",
    ]

    assert visit_all(browser, live_server.url, paths) == []


def test_pages_signed_in_raise_no_csp_violation(browser, live_server, catalogue):
    grid, package = catalogue["grid"], catalogue["package"]
    paths = [
        "/admin/",
        "/admin/packages/package/",
        f"/admin/packages/package/{package.pk}/change/",
        "/admin/packages/package/add/",
        f"/admin/grids/grid/{grid.pk}/change/",
        "/admin/grids/element/add/",
        "/api/v4/packages/django-csp-widgets/?format=api",
        f"/api/v4/grids/{grid.slug}/features/?format=api",
    ]

    assert visit_all(browser, live_server.url, paths, sign_in=True) == []
