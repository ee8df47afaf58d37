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


def test_one_update_per_object_per_transaction(after_commit, indexes):
    from django_tasks.signals import task_finished

    runs = []

    def count(sender, task_result, **kwargs):
        runs.append((task_result.task.module_path, *task_result.args))

    task_finished.connect(count)
    try:
        finding = FindingFactory(parent=indexes["finding"], title="Saved thrice")
        runs.clear()
        with transaction.atomic():
            for n in range(3):
                finding.title = f"Saved thrice {n}"
                finding.save_revision().publish()
        index_update = ("modelsearch.tasks.insert_or_update_object_task", "findings", "findingpage", str(finding.pk))
        assert runs.count(index_update) == 1
    finally:
        task_finished.disconnect(count)


def test_a_new_site_leaves_no_page_missing_from_the_index(indexes):
    """Right after the site is set up (as ``make run`` does), the page index agrees with the
    database: Wagtail's root page, created by a migration without signals, is indexed too."""
    from wagtail.models import Page

    reports = [r for index, r in backend_drift(get_search_backend()) if index.get_key() == "wagtailcore_page"]
    missing = {o.pk for r in reports for o in r.missing}
    assert Page.get_first_root_node().pk not in missing
