"""The admin's import and export on the real background worker (issue 17): confirmed in the
admin, queued in the database, run by `manage.py task_worker`; a worker killed in the middle of an
import leaves nothing written, and the worker that starts next imports all of it, once."""

import io
import zipfile

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from findings.models import FindingPage
from frameworks.models import FrameworkPage
from portal.exchange import importer as importer_module
from portal.exchange.jobs import run_import
from portal.models import ExchangeJob
from tests.portal.test_exchange_admin import URL, small
from tests.search.test_task_worker import reset_backends, work

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def queued(settings, indexes):
    """The site's settings under PORTAL_TASK_WORKER=1, with an empty default storage."""
    settings.TASKS = {"default": {"BACKEND": "portal.services.tasks.QueuedBackend"}}
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    reset_backends()
    yield
    reset_backends()


def imports_queued():
    return DBTaskResult.objects.filter(task_path="portal.exchange.jobs.run_import")


def test_an_import_and_an_export_confirmed_in_the_admin_run_on_the_worker(queued, admin_client):
    job = admin_client.post(URL, {"files": small()}).context["job"]
    response = admin_client.post(URL, {"confirm": "1", "job": job.pk}, follow=True)
    assert '<meta http-equiv="refresh"' in response.content.decode()  # waiting for the worker
    job.refresh_from_db()
    assert job.status == ExchangeJob.Status.QUEUED and not FrameworkPage.objects.exists()
    admin_client.post(URL, {"confirm": "1", "job": job.pk})  # a second click queues nothing
    assert imports_queued().count() == 1

    admin_client.post(URL, {"export": "1"})
    work()
    job.refresh_from_db()
    assert job.status == ExchangeJob.Status.DONE
    assert FrameworkPage.objects.filter(slug="tiny-framework", live=True).count() == 1
    export = ExchangeJob.objects.get(kind="export")
    assert export.status == ExchangeJob.Status.DONE
    content = admin_client.get(URL, {"job": export.pk}).content.decode()
    assert 'http-equiv="refresh"' not in content and "Download the export" in content
    response = admin_client.get(reverse("portal_exchange_download"), {"job": export.pk})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "frameworks/tiny-framework.yaml" in archive.namelist()


class Killed(BaseException):
    """What SIGKILL does to a worker: no ``except Exception`` runs, the open transaction is lost."""


def test_an_import_killed_in_the_middle_is_imported_whole_and_once_by_the_next_worker(
    queued, admin_client, monkeypatch
):
    job = admin_client.post(URL, {"files": small()}).context["job"]
    admin_client.post(URL, {"confirm": "1", "job": job.pk})

    # A worker claims the task and dies after saving the first of the two records.
    saved = []
    save_record = importer_module.Importer._save_record

    def save_then_die(self, page, record):
        if saved:
            raise Killed
        saved.append(record["slug"])
        save_record(self, page, record)

    monkeypatch.setattr(importer_module.Importer, "_save_record", save_then_die)
    with pytest.raises(Killed):
        run_import.call(job.pk)
    monkeypatch.undo()
    an_hour_ago = timezone.now() - timezone.timedelta(hours=1)
    imports_queued().update(status=TaskResultStatus.RUNNING, started_at=an_hour_ago, worker_ids=["killed"])
    job.refresh_from_db()
    assert saved and job.status == ExchangeJob.Status.RUNNING
    assert not FrameworkPage.objects.exists() and not FindingPage.objects.exists()  # nothing half-written

    err = io.StringIO()
    call_command("task_worker", "--batch", verbosity=1, stderr=err)
    assert "Put back" in err.getvalue()
    job.refresh_from_db()
    assert job.status == ExchangeJob.Status.DONE
    assert job.report.startswith("Imported: 2 created, 0 updated")
    finding = FindingPage.objects.get(slug="tiny-finding")
    assert FrameworkPage.objects.filter(slug="tiny-framework").count() == 1
    assert [link.target.slug for link in finding.links.all()] == ["tiny-framework"]
    revisions, finished = finding.revisions.count(), job.finished_at

    # Killed again, after the commit but before the worker marked the task done: run again, it
    # finds the job done and writes nothing.
    imports_queued().update(status=TaskResultStatus.RUNNING, started_at=an_hour_ago)
    call_command("task_worker", "--batch", verbosity=0, stderr=io.StringIO())
    job.refresh_from_db()
    assert (job.finished_at, finding.revisions.count()) == (finished, revisions)

    # And the same files uploaded again would change nothing.
    response = admin_client.post(URL, {"files": small()})
    assert "Nothing would change." in response.content.decode()


def test_without_a_worker_the_import_runs_after_the_commit_of_the_confirmation(settings, indexes, admin_client):
    settings.TASKS = {"default": {"BACKEND": "portal.services.tasks.AfterCommitBackend"}}
    settings.TASKS_AFTER_COMMIT = True
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    reset_backends()
    try:
        job = admin_client.post(URL, {"files": small()}).context["job"]
        response = admin_client.post(URL, {"confirm": "1", "job": job.pk}, follow=True)
    finally:
        reset_backends()
    job.refresh_from_db()
    assert job.status == ExchangeJob.Status.DONE and FrameworkPage.objects.filter(slug="tiny-framework").exists()
    assert "Imported: 2 created" in response.content.decode()
