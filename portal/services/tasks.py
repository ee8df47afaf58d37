"""Background work that must see committed data: a task backend that runs each task once the
transaction that enqueued it commits (``TASKS`` in settings).

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

from django.conf import settings
from django.db import transaction


class AfterCommitBackend(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        if not getattr(settings, "TASKS_AFTER_COMMIT", True):
            return super().enqueue(task, args, kwargs)
        self.validate_task(task)
        connection = transaction.get_connection()
        key = (task.module_path, json.dumps([args, kwargs], sort_keys=True, default=str))
        for _, waiting, _ in connection.run_on_commit:
            if getattr(waiting, "task_key", None) == key:
                return waiting.task_result
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

        def run():
            self._execute_task(result)

        run.task_key, run.task_result = key, result
        transaction.on_commit(run, robust=True)
        return result
