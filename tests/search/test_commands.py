"""Operations: the keyset-paged rebuild commands and the drift report and repair."""

from io import StringIO

import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from portal.models import Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def whoosh_settings(tmp_path):
    backends = {"default": {"BACKEND": "portal.search.whoosh", "PATH": str(tmp_path / "index")}}
    with override_settings(WAGTAILSEARCH_BACKENDS=backends):
        yield


@pytest.mark.parametrize("command", ["rebuild_modelsearch_index", "update_index"])
def test_rebuild_pages_by_key_with_progress_and_final_count(whoosh_settings, command):
    Topic.objects.bulk_create([Topic(name=f"Topic {n}", slug=f"t-{n}") for n in range(25)])
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command(command, chunk_size=10, stdout=out)
    text = out.getvalue()
    assert "portal.Topic" in text and "25/25" in text and "100%" in text
    assert "portal_topic: indexed 25 objects" in text
    topic_pages = [q["sql"] for q in queries.captured_queries if 'FROM "portal_topic"' in q["sql"]]
    assert len([sql for sql in topic_pages if "LIMIT" in sql]) == 3
    assert not [sql for sql in topic_pages if "OFFSET" in sql]


def test_drift_reports_missing_stale_and_extra_then_repairs(whoosh_settings):
    from modelsearch.backends import get_search_backend

    backend = get_search_backend("default")
    kept, renamed = (Topic.objects.create(name=n, slug=n.lower()) for n in ("Kept", "Renamed"))
    call_command("rebuild_modelsearch_index", stdout=StringIO())
    Topic.objects.filter(pk=renamed.pk).update(name="Renamed again")  # no signal: the index is now stale
    backend.add(Topic(pk=99_999, name="Ghost", slug="ghost"))  # a document with no row: extra
    missing = Topic.objects.bulk_create([Topic(name="Missing", slug="missing")])[0]

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("search_index_drift", stdout=out)
    report = out.getvalue()
    line = next(line for line in report.splitlines() if line.startswith("portal_topic"))
    assert "missing 1, stale 1, extra 1" in line
    assert f"missing: {missing.pk}" in report and f"stale: {renamed.pk}" in report and "extra: 99999" in report

    call_command("search_index_drift", repair=True, stdout=StringIO())
    clean = StringIO()
    call_command("search_index_drift", stdout=clean)
    assert "portal_topic: 3 objects in the database, 3 documents; missing 0, stale 0, extra 0" in clean.getvalue()
    assert {t.name for t in backend.search("again", Topic)} == {"Renamed again"}
    assert kept.pk


def test_a_document_is_the_same_whatever_order_the_database_returns_related_rows_in(indexes):
    """PostgreSQL returns a record's tags and topics in no fixed order; the document (and its
    digest, which search_index_drift compares) must not depend on it: a curated database read
    twice reported records as stale although nothing had changed."""
    from findings.models import FindingPage
    from portal.search.documents import PREFETCHED, build_document, prepare_queryset
    from tests.factories import FindingFactory, TopicFactory

    finding = FindingFactory(parent=indexes["finding"], topics=[TopicFactory(), TopicFactory(), TopicFactory()])
    finding.tags.add("regulation", "EU law", "telecom")
    finding.save()
    (read,) = prepare_queryset(FindingPage.objects.filter(pk=finding.pk))
    (reversed_read,) = prepare_queryset(FindingPage.objects.filter(pk=finding.pk))
    lists = [name for name in reversed_read.__dict__ if name.startswith(PREFETCHED)]
    assert lists  # the relations a document reads were fetched as lists
    for name in lists:
        reversed_read.__dict__[name].reverse()  # as another query may return them
    assert build_document(read) == build_document(reversed_read)
    assert build_document(read) == build_document(FindingPage.objects.get(pk=finding.pk))
