"""Imports and exports started from the admin, run as background tasks (``ExchangeJob``).

Files live in default storage, where the worker reads them whatever machine it runs on: an
import's uploaded files under ``exchange/uploads/<folder>/``, an export's .zip under
``exchange/exports/``. Both are served only through the admin's views (superusers); default storage
is never published by a web server (settings, ``MEDIA_ROOT``).

Run again, a task does nothing twice. An import checks the files, plans and applies them in one
transaction, which also marks the job done: a worker killed in the middle leaves nothing written
and the job running, the task is put back in the queue (``manage.py task_worker``) and imports all
of it; a job marked done is never imported again (and the same files would change nothing
anyway). An export writes its .zip under a name of its own, replaced when run again.

Jobs older than ``PORTAL_EXCHANGE_KEEP_DAYS`` days (7 unless the settings say otherwise), and their
files, are deleted whenever a job finishes.
"""

import contextlib
import datetime
import logging
import tempfile
import zipfile
from pathlib import Path

from django_tasks import task

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from portal.exchange.exporter import export
from portal.exchange.importer import Importer
from portal.models import ExchangeJob

logger = logging.getLogger(__name__)

UPLOADS = "exchange/uploads"
EXPORTS = "exchange/exports"
Status = ExchangeJob.Status


def keep_days():
    return getattr(settings, "PORTAL_EXCHANGE_KEEP_DAYS", 7)


@contextlib.contextmanager
def local_copy(folder):
    """The files of ``folder`` in default storage, copied into a temporary folder of this process
    (the importer reads files from disk; default storage may be elsewhere)."""
    with tempfile.TemporaryDirectory(prefix="portal-import-") as local:
        try:
            _, names = default_storage.listdir(folder)
        except FileNotFoundError:
            names = []
        if not names:
            raise FileNotFoundError("the uploaded files are no longer there; upload them again")
        for name in names:
            with default_storage.open(f"{folder}/{name}", "rb") as source:
                Path(local, name).write_bytes(source.read())
        yield local


def relative(problem, local):
    """A problem as people read it: the uploaded file's name, not the temporary folder's path."""
    if str(problem.file).startswith(str(local)):
        problem.file = Path(problem.file).name
    return problem


def check(folder):
    """Check the uploaded files of ``folder`` and plan the import without writing anything:
    ``(problems, changes)``."""
    with local_copy(folder) as local:
        importer = Importer([local])
        problems = [relative(p, local) for p in importer.check()]
        return problems, ([] if problems else importer.plan())


def queue_import(job):
    """Queue a checked import once: ``True`` if this call queued it, ``False`` if it was queued
    already (a second click, the back button) or is no longer waiting for confirmation."""
    with transaction.atomic():
        confirmed = ExchangeJob.objects.filter(pk=job.pk, kind=ExchangeJob.Kind.IMPORT, status=Status.CHECKED).update(
            status=Status.QUEUED, queued_at=timezone.now()
        )
        if confirmed:
            run_import.enqueue(job.pk)
    return bool(confirmed)


def queue_export(user):
    with transaction.atomic():
        job = ExchangeJob.objects.create(
            kind=ExchangeJob.Kind.EXPORT, status=Status.QUEUED, started_by=user, queued_at=timezone.now()
        )
        run_export.enqueue(job.pk)
    return job


def _start(job_id):
    """Mark the job running; ``False`` when there is nothing to run (finished, or unknown)."""
    return bool(
        ExchangeJob.objects.filter(pk=job_id, status__in=ExchangeJob.WAITING).update(
            status=Status.RUNNING, started_at=timezone.now()
        )
    )


def _finish(job_id, status, **fields):
    ExchangeJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )


def import_report(changes, planned=False):
    """What an import did (or, ``planned``, would do), for people: counts, then one line per change."""
    done = [c for c in changes if c.action != "unchanged"]
    count = {action: sum(1 for c in changes if c.action == action) for action in ("create", "update", "unchanged")}
    verb = "Would import" if planned else "Imported"
    lines = [f"{verb}: {count['create']} created, {count['update']} updated, {count['unchanged']} unchanged."]
    lines += [f"{c.action} {c.label}" + (f" ({', '.join(c.fields)})" if c.fields else "") for c in done]
    return "\n".join(lines)


@task()
def run_import(job_id):
    """Import the job's uploaded files (see the module's docstring)."""
    if not _start(job_id):
        return
    try:
        folder = ExchangeJob.objects.get(pk=job_id).upload_folder
        with local_copy(folder) as local, transaction.atomic():
            # Held until the commit: a second run of the same job waits here, then finds it done.
            job = ExchangeJob.objects.select_for_update().get(pk=job_id)
            if job.status != Status.RUNNING:
                return
            importer = Importer([local])
            problems = [relative(p, local) for p in importer.check()]  # the database may have changed
            if problems:
                error = f"{len(problems)} problem(s) appeared since the check; nothing was imported.\n"
                _finish(job_id, Status.FAILED, error=error + "\n".join(map(str, problems)))
                return
            changes = importer.plan()
            importer.apply()
            _finish(job_id, Status.DONE, report=import_report(changes))
    except Exception as error:
        logger.exception("Import job %s failed", job_id)
        _finish(job_id, Status.FAILED, error=f"The import stopped: {error}. Nothing was imported.")
    finally:
        clean_old_jobs()


@task()
def run_export(job_id):
    """Write every record, term and crosswalk as a .zip of record files to default storage."""
    if not _start(job_id):
        return
    name = f"{EXPORTS}/portal-records-{job_id}.zip"
    try:
        with tempfile.TemporaryDirectory(prefix="portal-export-") as folder:
            written = export(Path(folder, "records"))
            archive_path = Path(folder, "export.zip")
            with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(written):
                    archive.write(path, Path(path).relative_to(Path(folder, "records")).as_posix())
            if default_storage.exists(name):  # written by a run that was stopped before the end
                default_storage.delete(name)
            with open(archive_path, "rb") as data:
                saved = default_storage.save(name, File(data))
        records = sum(1 for path in written if len(Path(path).relative_to(Path(folder, "records")).parts) > 1)
        _finish(job_id, Status.DONE, export_file=saved, report=f"{len(written)} files, {records} records.")
    except Exception as error:
        logger.exception("Export job %s failed", job_id)
        _finish(job_id, Status.FAILED, error=f"The export stopped: {error}.")
    finally:
        clean_old_jobs()


def delete_files(job):
    if job.export_file and default_storage.exists(job.export_file):
        default_storage.delete(job.export_file)
    if job.upload_folder:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            _, names = default_storage.listdir(job.upload_folder)
            for name in names:
                default_storage.delete(f"{job.upload_folder}/{name}")


def clean_old_jobs(now=None):
    """Delete the jobs, and their files, older than ``keep_days()``, except those still to run.
    An import's uploaded files go as soon as it is done (an unconfirmed one's with the job)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=keep_days())
    old = ExchangeJob.objects.filter(created_at__lt=cutoff).exclude(status__in=ExchangeJob.WAITING)
    for job in old:
        delete_files(job)
        job.delete()
    finished = ExchangeJob.objects.filter(kind=ExchangeJob.Kind.IMPORT, status__in=ExchangeJob.FINISHED)
    for job in finished.exclude(upload_folder=""):
        delete_files(job)
        ExchangeJob.objects.filter(pk=job.pk).update(upload_folder="")
    return len(old)
