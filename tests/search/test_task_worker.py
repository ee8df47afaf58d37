"""The background worker (issue 17): with PORTAL_TASK_WORKER=1 search index updates are queued in
the database with the change itself and `manage.py task_worker` runs them; a rolled-back change
queues nothing; a task left running by a killed worker is run again when a worker starts."""

import datetime
import io

import pytest
from asgiref.local import Local
from django_tasks import TaskResultStatus, task_backends
from django_tasks_db.models import DBTaskResult

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from modelsearch.backends import get_search_backend

from tests.factories import FindingFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def reset_backends():
    task_backends.__dict__.pop("settings", None)
    task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture
def queued(settings, indexes):
    """The site's settings under PORTAL_TASK_WORKER=1: tasks go to the database queue."""
    finding = FindingFactory(parent=indexes["finding"], title="Before the worker")  # indexed at once
    settings.TASKS = {"default": {"BACKEND": "portal.services.tasks.QueuedBackend"}}
    reset_backends()
    yield finding
    reset_backends()


def hits(word):
    from portal.models import RecordPage

    return [r.pk for r in get_search_backend().search(word, RecordPage)]


def work():
    call_command("task_worker", "--batch", "--recover-all", verbosity=0, stderr=io.StringIO())


def test_the_worker_writes_what_was_queued(queued):
    queued.title = "Wombatized evaluation"
    queued.save_revision().publish()
    assert hits("wombatized") == []  # queued, not yet run
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    work()
    assert hits("wombatized") == [queued.pk]
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


def test_a_record_saved_many_times_in_one_transaction_is_queued_once(queued):
    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        for n in range(3):
            queued.title = f"Saved {n}"
            queued.save_revision().publish()
    index_updates = DBTaskResult.objects.filter(task_path="modelsearch.tasks.insert_or_update_object_task")
    assert index_updates.filter(args_kwargs__args=["findings", "findingpage", str(queued.pk)]).count() == 1


def test_a_rolled_back_change_queues_nothing(queued):
    before = DBTaskResult.objects.count()

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        queued.title = "Numbatized evaluation"
        queued.save_revision().publish()
        raise Killed
    assert DBTaskResult.objects.count() == before
    work()
    assert hits("numbatized") == []


def test_a_task_left_running_by_a_killed_worker_runs_again(queued):
    queued.title = "Quollified evaluation"
    queued.save_revision().publish()
    # A worker claimed the tasks and was killed before it finished them.
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["killed"])
    call_command("task_worker", "--batch", verbosity=0, stderr=io.StringIO())  # not stale yet: left alone
    assert hits("quollified") == []
    DBTaskResult.objects.update(started_at=timezone.now() - datetime.timedelta(hours=1))
    err = io.StringIO()
    call_command("task_worker", "--batch", verbosity=1, stderr=err)
    assert "Put back" in err.getvalue()
    assert hits("quollified") == [queued.pk]
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
