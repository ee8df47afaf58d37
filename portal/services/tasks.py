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
at once. Its index updates of one transaction are written together when it commits, one write per
model (``index_objects``): saving a framework with 186 provisions, or importing the curated data,
wrote the index once per object. (With the worker each index update is still its own task.)

``TASKS_AFTER_COMMIT = False`` runs tasks at once (the test settings: a test's own transaction
never commits; the tests of this backend turn it on in transactional tests).
"""

import json
import logging

from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_db import DatabaseBackend

from django.apps import apps
from django.conf import settings
from django.db import transaction

from modelsearch import index

logger = logging.getLogger(__name__)


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


#: modelsearch's index update of one object (app label, model name, primary key).
INDEX_UPDATE = "modelsearch.tasks.insert_or_update_object_task"


def _flush_index_updates():
    """Write every index update waiting on this connection (``index_objects``). Each update leaves
    this callback; the first to run after a commit writes them all, the others find none left."""
    connection = transaction.get_connection()
    keys = list(getattr(connection, "portal_index_updates", {}))
    connection.portal_index_updates = {}
    if keys:
        index_objects(keys)


def index_objects(keys):
    """Index again the objects named by ``keys`` ((app label, model name, primary key), as
    modelsearch's task takes them), each once, with one write per model and search backend
    instead of one per object: an import of 200 records and their 1,000 provisions wrote the index
    1,381 times. Objects deleted since are passed over (their removal has its own update)."""
    by_model = {}
    for app_label, model_name, pk in dict.fromkeys(keys):
        by_model.setdefault((app_label, model_name), []).append(pk)
    for (app_label, model_name), pks in by_model.items():
        model = apps.get_model(app_label, model_name)
        indexed = {}
        for instance in model.objects.filter(pk__in=pks):
            found = index.get_indexed_instance(instance)
            if found is not None:
                indexed.setdefault(type(found), []).append(found)
        for indexed_model, objects in indexed.items():
            for backend_name, backend in index.get_search_backends_with_name(with_auto_update=True):
                try:
                    backend.add_bulk(indexed_model, objects)
                except Exception:
                    logger.exception(
                        "Could not add %d %s to the '%s' search backend", len(objects), model_name, backend_name
                    )
                    if not backend.catch_indexing_errors:
                        raise


class AfterCommitBackend(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        if not getattr(settings, "TASKS_AFTER_COMMIT", True):
            return super().enqueue(task, args, kwargs)
        self.validate_task(task)
        connection = transaction.get_connection()
        if task.module_path == INDEX_UPDATE and not kwargs and connection.in_atomic_block:
            # Index updates of one transaction are written together once it commits.
            if not hasattr(connection, "portal_index_updates"):
                connection.portal_index_updates = {}
            connection.portal_index_updates[tuple(str(arg) for arg in args)] = None
            transaction.on_commit(_flush_index_updates, robust=True)
            return self._result(task, args, kwargs)
        key = _key(task, args, kwargs)
        waiting = _enqueued(key)
        if waiting is not None:
            return waiting
        result = self._result(task, args, kwargs)
        _remember(key, result, run=lambda: self._execute_task(result))
        return result

    def _result(self, task, args, kwargs):
        return TaskResult(
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
