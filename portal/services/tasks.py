"""Background work that must see committed data: the two task backends of ``TASKS`` in settings.

``QueuedBackend`` (with ``PORTAL_TASK_WORKER=1``) writes each task to the database queue of
django-tasks-db in the transaction that enqueues it, so a rolled-back change queues nothing, and
``manage.py task_worker`` runs it after the commit. ``AfterCommitBackend`` (without a worker) runs
each task in the web process once the transaction that enqueued it commits. Both enqueue a task
with the same arguments once per transaction: saving a record saves its row several times.

modelsearch enqueues an index update for every saved searchable object (``post_save``). Run at
once, as django-tasks' immediate backend does, the update was written inside the editor's
transaction: before the record's topics and tags were saved (modelcluster saves them after the
row), holding the index lock while the transaction stayed open, and even when the transaction then
rolled back. With this backend the update runs after the commit and reads the record as
committed, all of it; a rolled-back transaction runs nothing; the same task with the same
arguments enqueued more than once in one transaction runs once. Outside a transaction a task runs
at once.

``TASKS_AFTER_COMMIT = False`` runs tasks at once (the test settings: a test's own transaction
never commits; the tests of this backend turn it on in transactional tests).
"""

import json

from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_db import DatabaseBackend

from django.conf import settings
from django.db import transaction


def _key(task, args, kwargs):
    return (task.module_path, json.dumps([args, kwargs], sort_keys=True, default=str))


def _enqueued(key):
    """The result of the same task already enqueued in the current transaction, or None. Each
    enqueue leaves a commit callback carrying its key: a rollback drops them with the rest."""
    for _, waiting, _ in transaction.get_connection().run_on_commit:
        if getattr(waiting, "task_key", None) == key:
            return waiting.task_result
    return None


def _remember(key, result, run=None):
    def callback():
        if run is not None:
            run()

    callback.task_key, callback.task_result = key, result
    transaction.on_commit(callback, robust=True)


class QueuedBackend(DatabaseBackend):
    def enqueue(self, task, args, kwargs):
        key = _key(task, args, kwargs)
        result = _enqueued(key)
        if result is None:
            result = super().enqueue(task, args, kwargs)
            _remember(key, result)
        return result


class AfterCommitBackend(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        if not getattr(settings, "TASKS_AFTER_COMMIT", True):
            return super().enqueue(task, args, kwargs)
        self.validate_task(task)
        key = _key(task, args, kwargs)
        waiting = _enqueued(key)
        if waiting is not None:
            return waiting
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )

        _remember(key, result, run=lambda: self._execute_task(result))
        return result
