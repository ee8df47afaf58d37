"""Shared test set-up.

Tests that need something a fresh machine may lack (PostgreSQL, Chromium) skip with a reason.
CI sets PORTAL_REQUIRE_ALL_TESTS=1: then any skipped test fails the run, so CI runs every test.
"""

import os

import pytest

REQUIRE_ALL = os.environ.get("PORTAL_REQUIRE_ALL_TESTS") == "1"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if REQUIRE_ALL and skipped:
        terminalreporter.write_line(
            f"PORTAL_REQUIRE_ALL_TESTS=1: {len(skipped)} test(s) skipped; every test must run here.", red=True
        )
        for report in skipped:
            terminalreporter.write_line(f"  skipped: {report.nodeid} ({report.longrepr[-1]})", red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_ALL and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, so throttling counts do not leak between tests."""
    from django.core.cache import cache

    from portal.services.facets import TermTable

    cache.clear()
    # Keyed by the change log's newest id, which a rolled-back test can hand out again on SQLite.
    TermTable._current = None
    yield


@pytest.fixture
def uncached_pages(monkeypatch):
    """Record pages compute every part on each request, as on a cache miss: for tests that count
    the queries of that work (portal/caching.py)."""
    monkeypatch.setattr("portal.caching.request_key", lambda request: None)


@pytest.fixture
def indexes(db):
    """The home page and one index page per kind, as `make run` sets them up: {kind: index page}."""
    from portal.exchange.site import ensure_site_structure

    return ensure_site_structure()


@pytest.fixture
def editor(db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("edna", "edna@example.org", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def publisher(db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("pablo", "pablo@example.org", "pw")
    user.groups.add(Group.objects.get(name="Publishers"))
    return user


@pytest.fixture
def committed(settings, django_capture_on_commit_callbacks):
    """Background tasks run after the commit, as on the site: ``committed(action)`` runs ``action``
    (one transaction of the site's), then what waited for its commit, and returns what ``action``
    returned. A test's own transaction never commits, and the test settings otherwise run tasks at
    once, in the middle of a save."""
    from django.db import connection

    settings.TASKS_AFTER_COMMIT = True

    def commit(action):
        start = len(connection.run_on_commit)
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        del connection.run_on_commit[start:]  # committed: nothing waits any more
        return result

    return commit
