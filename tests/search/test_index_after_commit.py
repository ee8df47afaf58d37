"""The search index is written after the transaction that changed a record commits, with all of
the record (issue 17): a rolled-back publish leaves nothing in the index, and a record's topics
are in its document at once, so the index agrees with the database."""

import pytest

from django.db import transaction

from modelsearch.backends import get_search_backend

from portal.search.drift import backend_drift
from tests.factories import FindingFactory, TopicFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def after_commit(settings, indexes):
    """The site's own setting: index updates run once the transaction commits."""
    settings.TASKS_AFTER_COMMIT = True


def hits(word):
    from portal.models import RecordPage

    return [r.pk for r in get_search_backend().search(word, RecordPage)]


def test_a_rolled_back_publish_leaves_no_search_hit(after_commit, indexes):
    finding = FindingFactory(parent=indexes["finding"], title="Placeholder")

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        finding.title = "Quokkaphonic attack"
        finding.save_revision().publish()
        raise Killed
    assert hits("quokkaphonic") == []


def test_a_committed_publish_is_indexed_with_its_topics(after_commit, indexes):
    topic = TopicFactory(name="Zebrafinch robustness")
    finding = FindingFactory(parent=indexes["finding"], title="Committed finding")
    with transaction.atomic():
        finding.topics.set([topic])
        finding.save_revision().publish()
    assert hits("zebrafinch") == [finding.pk]
    # The finding's documents agree with the database (other tests' leftovers are not this test's).
    behind = [o for _, r in backend_drift(get_search_backend()) for o in r.stale + r.missing if o.pk == finding.pk]
    assert behind == []


def test_one_update_per_object_per_transaction_written_once_per_model(after_commit, indexes, monkeypatch):
    """Each object saved in a transaction is indexed once, and the index is written once per model
    for all of them when the transaction commits, not once per object (an import of the curated
    data wrote it 1,381 times)."""
    backend_class = type(get_search_backend())
    writes = []
    real = backend_class.add_bulk
    monkeypatch.setattr(
        backend_class,
        "add_bulk",
        lambda self, model, objects: writes.append((model, list(objects))) or real(self, model, objects),
    )
    findings = [FindingFactory(parent=indexes["finding"], title=f"Placeholder {n}") for n in range(3)]
    writes.clear()
    with transaction.atomic():
        for round_ in range(3):
            for n, finding in enumerate(findings):
                finding.title = f"Batched otterwise {n} {round_}"
                finding.save_revision().publish()
        assert writes == []  # nothing is written before the commit
    finding_writes = [objects for model, objects in writes if model.__name__ == "FindingPage"]
    assert len(finding_writes) == 1 and sorted(o.pk for o in finding_writes[0]) == sorted(f.pk for f in findings)
    assert len(writes) == len({model for model, _ in writes})
    assert sorted(hits("otterwise")) == sorted(f.pk for f in findings)
    behind = [
        o
        for _, r in backend_drift(get_search_backend())
        for o in r.stale + r.missing
        if o.pk in {f.pk for f in findings}
    ]
    assert behind == []


def test_a_new_site_leaves_no_page_missing_from_the_index(indexes):
    """Right after the site is set up (as ``make run`` does), the page index agrees with the
    database: Wagtail's root page, created by a migration without signals, is indexed too."""
    from wagtail.models import Page

    reports = [r for index, r in backend_drift(get_search_backend()) if index.get_key() == "wagtailcore_page"]
    missing = {o.pk for r in reports for o in r.missing}
    assert Page.get_first_root_node().pk not in missing
