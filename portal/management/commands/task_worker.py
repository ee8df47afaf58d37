"""Run the background worker: the tasks queued in the database (search index updates and other
tasks), one at a time, until stopped.

    manage.py task_worker                  # a worker (PORTAL_TASK_WORKER=1 in the site's settings too)
    manage.py task_worker --batch          # run what is queued, then exit
    manage.py task_worker --recover-all    # first put back every task left running (one worker only)

A worker killed in the middle of a task (SIGKILL, a crash, a lost machine) leaves that task marked
as running. On start this worker puts such tasks back in the queue: those that started more than
``--stale-after`` seconds ago (default 600), or all of them with ``--recover-all`` (right when
there is only this worker, as under ``make run``). The tasks it runs are written to be run again
safely: an index update reads the record as it is now and writes its document.
"""

import datetime

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone


def recover(stale_after=None):
    """Put back in the queue the tasks left running by a worker that stopped; returns how many.
    ``stale_after`` (seconds): only those that started longer ago; None: all of them."""
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    if stale_after is not None:
        running = running.filter(started_at__lt=timezone.now() - datetime.timedelta(seconds=stale_after))
    return running.update(status=TaskResultStatus.READY, started_at=None)


class Command(BaseCommand):
    help = "Run queued background tasks (search index updates…), after putting back those a stopped worker left."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")
        parser.add_argument(
            "--recover-all",
            action="store_true",
            help="Put back every task marked as running (use only when no other worker runs).",
        )
        parser.add_argument(
            "--stale-after",
            type=int,
            default=600,
            help="Put back tasks that started more than this many seconds ago (default 600).",
        )
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between looks at an empty queue.")

    def handle(self, *args, batch=False, recover_all=False, stale_after=600, interval=0.5, verbosity=1, **options):
        recovered = recover(None if recover_all else stale_after)
        if recovered and verbosity:
            self.stderr.write(f"Put back {recovered} task(s) left running by a stopped worker.")
        arguments = ["--no-startup-delay", "--no-reload", f"--interval={interval}"]
        if batch:
            arguments.append("--batch")
        call_command("db_worker", *arguments, verbosity=verbosity)
