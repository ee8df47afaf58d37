"""The change feed never skips an entry whose transaction commits late (issue 17).

A log entry gets its id when it is written, but other callers see it only once its transaction
commits. Before, an entry of a transaction that committed after the settle window, while a later
entry had already been handed out, was passed by every mirror's cursor for good. Only PostgreSQL
runs writers side by side (SQLite lets one write at a time), so this test needs it."""

import threading
import time

import pytest

from django.db import connection, transaction
from django.test import Client

from portal.models import RecordPage
from tests.factories import FindingFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="writers run side by side only on PostgreSQL"),
]


def feed(client, cursor=None):
    response = client.get("/api/v1/changes/", {"cursor": cursor} if cursor else {})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def edit_in_thread(pk, title, hold=None, ready=None):
    """Publish a new title for the record ``pk`` in a thread of its own (its own connection);
    with ``hold``, the transaction waits for it before committing."""
    errors = []

    def run():
        try:
            with transaction.atomic():
                page = RecordPage.objects.get(pk=pk).specific
                page.title = title
                page.save_revision().publish()
                if ready:
                    ready.set()
                if hold:
                    hold.wait(30)
        except Exception as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
            if ready:
                ready.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_commit_delayed_past_the_settle_window_is_not_skipped(settings, indexes):
    settings.API_CHANGES_SETTLE_SECONDS = 0.2
    client = Client()
    slow = FindingFactory(parent=indexes["finding"], title="Slow", sharing_level="TLP:CLEAR")
    quick = FindingFactory(parent=indexes["finding"], title="Quick", sharing_level="TLP:CLEAR")
    time.sleep(0.3)
    cursor = feed(client)["next_cursor"]

    hold, ready = threading.Event(), threading.Event()
    slow_thread, slow_errors = edit_in_thread(slow.pk, "Slow, edited", hold=hold, ready=ready)
    assert ready.wait(30)
    quick_thread, quick_errors = edit_in_thread(quick.pk, "Quick, edited")
    quick_thread.join(2)  # it commits, or waits for the slow one: either way nothing is skipped
    time.sleep(0.5)  # past the settle window
    seen = {}
    page = feed(client, cursor)
    for item in page["results"]:
        seen[item["uuid"]] = item["record"]["title"]
    cursor = page["next_cursor"]

    hold.set()
    slow_thread.join(30)
    quick_thread.join(30)
    assert slow_errors == [] and quick_errors == []
    time.sleep(0.5)
    page = feed(client, cursor)
    for item in page["results"]:
        seen[item["uuid"]] = item["record"]["title"]
    assert seen.get(str(slow.translation_key)) == "Slow, edited"
    assert seen.get(str(quick.translation_key)) == "Quick, edited"
