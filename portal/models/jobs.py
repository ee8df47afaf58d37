"""Imports and exports started from the admin, run by the background worker.

An import job is written when a superuser's uploaded files have been checked (``CHECKED``: the
files wait in default storage under ``upload_folder``); confirming it moves it to ``QUEUED`` once,
whatever the number of clicks, and the worker imports. An export job is queued at once; the worker
writes its .zip to default storage (``export_file``). What the portal does with them is
``portal.exchange.jobs``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExchangeJob(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, waiting for confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    #: Jobs the worker still has to run (or is running, or was killed running).
    WAITING = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.DONE, Status.FAILED)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: What the job did, for people (an import's created and updated items, an export's files).
    report = models.TextField(blank=True)
    #: Why it failed, for people.
    error = models.TextField(blank=True)
    #: An import's uploaded record files: a folder in default storage.
    upload_folder = models.CharField(max_length=200, blank=True)
    #: An export's .zip: a file name in default storage.
    export_file = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.pk} ({self.get_status_display().lower()})"

    @property
    def waiting(self):
        return self.status in self.WAITING

    @property
    def finished(self):
        return self.status in self.FINISHED

    @property
    def report_lines(self):
        """The report's first line sums it up; one line per change follows."""
        return self.report.splitlines()

    @property
    def error_lines(self):
        return self.error.splitlines()
