"""Import and export in the Wagtail admin, run by the background worker.

Upload record files (YAML/JSON, or a .zip of them): the portal keeps them in default storage,
checks them and shows what would change; nothing is written until the person confirms, which
queues the import (once, however many times it is confirmed) as a job for the worker. An export
is a job too; its .zip is downloaded from the job once the worker has written it. The page lists
the jobs and reloads itself while one is waiting or running (``portal.exchange.jobs``). All of it
is for superusers: an import can change any record and its sharing, and an export holds every
record, TLP:RED ones included.
"""

import uuid
import zipfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from portal import audit
from portal.exchange import jobs
from portal.exchange.files import MAX_FILE_BYTES, SUFFIXES
from portal.models import AuditEntry, ExchangeJob

MAX_ZIP_MEMBERS = 2000
#: Seconds between reloads of the page while a job waits or runs.
REFRESH_SECONDS = 3


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Record files",
        help_text="One or more .yaml, .yml or .json files in the portal's record format, or a .zip of them "
        "(see docs/data-format.md). Nothing is imported until you confirm.",
        widget=MultipleFileInput(attrs={"accept": ".yaml,.yml,.json,.zip"}),
    )


def _superuser_only(request):
    if not request.user.is_superuser:
        raise PermissionDenied


def _save_upload(uploaded, folder):
    """Write an uploaded file (or the record files inside an uploaded .zip) to ``folder`` in
    default storage; returns how many files were written."""
    name = Path(uploaded.name).name
    suffix = Path(name).suffix.lower()
    if uploaded.size > MAX_FILE_BYTES:
        raise forms.ValidationError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    if suffix in SUFFIXES:
        default_storage.save(f"{folder}/{name}", uploaded)
        return 1
    if suffix != ".zip":
        raise forms.ValidationError(f"{name}: only .yaml, .yml, .json or .zip files can be imported.")
    try:
        archive = zipfile.ZipFile(uploaded)
    except zipfile.BadZipFile as error:
        raise forms.ValidationError(f"{name} is not a readable .zip file.") from error
    members = [m for m in archive.infolist() if not m.is_dir() and Path(m.filename).suffix.lower() in SUFFIXES]
    if not members:
        raise forms.ValidationError(f"{name} holds no .yaml, .yml or .json files.")
    if len(members) > MAX_ZIP_MEMBERS:
        raise forms.ValidationError(f"{name} holds more than {MAX_ZIP_MEMBERS} files.")
    for member in members:
        if member.file_size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"{member.filename} in {name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    for member in members:
        # Flatten paths: never write outside the upload folder, whatever the archive says.
        target = "__".join(part for part in Path(member.filename).parts[-3:] if part not in ("..", "/"))
        default_storage.save(f"{folder}/{target}", ContentFile(archive.read(member)))
    return len(members)


def _job_url(job):
    return f"{reverse('portal_exchange')}?job={job.pk}"


class ExchangeView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "portal/admin/exchange.html"
    page_title = "Import and export records"
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        _superuser_only(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", UploadForm())
        listed = list(ExchangeJob.objects.select_related("started_by")[:20])
        context["jobs"], context["keep_days"] = listed, jobs.keep_days()
        if self.request.method == "GET":
            shown = context.get("job")
            waiting = any(job.waiting for job in listed) or (shown is not None and shown.waiting)
            context["refresh_seconds"] = REFRESH_SECONDS if waiting else None
        return context

    def get(self, request, *args, **kwargs):
        job = None
        if request.GET.get("job"):
            job = ExchangeJob.objects.filter(pk=_number(request.GET["job"])).select_related("started_by").first()
            if job is None:
                messages.error(
                    request, "There is no such job: it may have been cleaned up. The list shows the jobs kept."
                )
                return redirect("portal_exchange")
        return self.render_to_response(self.get_context_data(job=job))

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm(request)
        if "export" in request.POST:
            job = jobs.queue_export(request.user)
            messages.success(request, "Export queued. It runs in the background; this page shows when it is ready.")
            return redirect(_job_url(job))
        form = UploadForm(request.POST, request.FILES)
        context = {"form": form}
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**context), status=400)
        folder = f"{jobs.UPLOADS}/{uuid.uuid4().hex}"
        job = ExchangeJob(kind=ExchangeJob.Kind.IMPORT, upload_folder=folder)
        try:
            for uploaded in request.FILES.getlist("files"):
                _save_upload(uploaded, folder)
        except forms.ValidationError as error:
            jobs.delete_files(job)
            form.add_error("files", error)
            return self.render_to_response(self.get_context_data(**context), status=400)
        problems, changes = jobs.check(folder)
        context.update(problems=problems, checked=True)
        if problems:
            jobs.delete_files(job)
            return self.render_to_response(self.get_context_data(**context), status=400)
        context.update(
            changes=[c for c in changes if c.action != "unchanged"],
            unchanged=sum(1 for c in changes if c.action == "unchanged"),
        )
        if context["changes"]:
            job.status, job.started_by = ExchangeJob.Status.CHECKED, request.user
            job.report = jobs.import_report(changes, planned=True)
            job.save()
            context["job"] = job
        else:
            jobs.delete_files(job)
        return self.render_to_response(self.get_context_data(**context))

    def confirm(self, request):
        job = ExchangeJob.objects.filter(pk=_number(request.POST.get("job")), kind=ExchangeJob.Kind.IMPORT).first()
        if job is None:
            messages.error(request, "That upload has expired or was cleaned up. Upload the files again.")
            return redirect("portal_exchange")
        if jobs.queue_import(job):
            messages.success(request, "Import queued. It runs in the background; this page shows when it is done.")
        else:
            messages.warning(request, "This import was already confirmed; it is imported once. Its state is below.")
        return redirect(_job_url(job))


def _number(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def download_export(request):
    """The .zip an export job wrote (every record, term and crosswalk in the record format)."""
    _superuser_only(request)
    job = ExchangeJob.objects.filter(
        pk=_number(request.GET.get("job")), kind=ExchangeJob.Kind.EXPORT, status=ExchangeJob.Status.DONE
    ).first()
    if job is None or not job.export_file or not default_storage.exists(job.export_file):
        raise Http404("No such export: start one on the import and export page.")
    audit.record(AuditEntry.Action.EXPORT, request=request, target="admin download", job=job.pk, report=job.report)
    name = f"portal-records-{job.finished_at:%Y-%m-%d}-{job.pk}.zip"
    return FileResponse(
        default_storage.open(job.export_file, "rb"), as_attachment=True, filename=name, content_type="application/zip"
    )
