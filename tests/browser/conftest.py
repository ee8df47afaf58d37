"""Browser tests: Playwright for Python driving the system's Chromium (never a downloaded one).

They skip when /usr/bin/chromium is missing (a fresh machine); .ci/run installs it and makes
skips fail.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
NO_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium; CI installs it)"
)


def pytest_collection_modifyitems(items):
    """Every browser test skips, with the reason, on a machine without Chromium."""
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(NO_CHROMIUM)


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture
def browser():
    """Chromium, started for each test after the database is set up.

    Playwright's sync API runs the test in another context (contextvars), where Django opens new
    database connections. Those lack the snapshot that serialized_rollback restores after a
    transactional test, so a browser started once per session made every browser test after the
    first transactional one see an empty database. Started per test, the restore has already run
    on the usual connection; the connections opened under Playwright are closed before it stops.
    """
    from playwright.sync_api import sync_playwright

    from django.db import connections

    # Playwright's sync API runs an event loop; Django must allow ORM calls in tests around it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def page(browser, live_server):
    """A fresh page that records CSP violations and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.base = live_server.url
    yield page
    context.close()
