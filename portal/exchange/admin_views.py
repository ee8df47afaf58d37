"""Import and export in the Wagtail admin.

Upload record files (YAML/JSON, or a .zip of them): the portal checks them and shows what
would change, and nothing is written until the person confirms. Download an export as a .zip.
Both are for superusers: an import can change any record and its sharing, and an export holds
every record, TLP:RED ones included.
"""

import io
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from portal import audit
from portal.exchange.exporter import export
from portal.exchange.files import MAX_FILE_BYTES, SUFFIXES
from portal.exchange.importer import Importer
from portal.models import AuditEntry

UPLOADS = Path(tempfile.gettempdir()) / "portal-uploads"
MAX_ZIP_MEMBERS = 2000


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
    """Write an uploaded file (or the record files inside an uploaded .zip) into ``folder``."""
    name = Path(uploaded.name).name
    suffix = Path(name).suffix.lower()
    if uploaded.size > MAX_FILE_BYTES:
        raise forms.ValidationError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    if suffix in SUFFIXES:
        with open(folder / name, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        return
    if suffix != ".zip":
        raise forms.ValidationError(f"{name}: only .yaml, .yml, .json or .zip files can be imported.")
    try:
        archive = zipfile.ZipFile(uploaded)
    except zipfile.BadZipFile as error:
        raise forms.ValidationError(f"{name} is not a readable .zip file.") from error
    members = [m for m in archive.infolist() if not m.is_dir() and Path(m.filename).suffix.lower() in SUFFIXES]
    if len(members) > MAX_ZIP_MEMBERS:
        raise forms.ValidationError(f"{name} holds more than {MAX_ZIP_MEMBERS} files.")
    for member in members:
        if member.file_size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"{member.filename} in {name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
        # Flatten paths: never write outside the upload folder, whatever the archive says.
        target = folder / "__".join(Path(member.filename).parts[-3:])
        with archive.open(member) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)


class ExchangeView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "portal/admin/exchange.html"
    page_title = "Import and export records"
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        _superuser_only(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm(request)
        form = UploadForm(request.POST, request.FILES)
        context = {"form": form}
        if form.is_valid():
            key = uuid.uuid4().hex
            folder = UPLOADS / key
            folder.mkdir(parents=True)
            try:
                for uploaded in request.FILES.getlist("files"):
                    _save_upload(uploaded, folder)
            except forms.ValidationError as error:
                shutil.rmtree(folder, ignore_errors=True)
                form.add_error("files", error)
                return self.render_to_response(self.get_context_data(**context), status=400)
            importer = Importer([str(folder)])
            problems = importer.check()
            context.update(problems=[_relative(p, folder) for p in problems], checked=True)
            if not problems:
                changes = importer.plan()
                context.update(
                    changes=[c for c in changes if c.action != "unchanged"],
                    unchanged=sum(1 for c in changes if c.action == "unchanged"),
                    key=key,
                )
                request.session["portal_import_upload"] = key
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return self.render_to_response(self.get_context_data(**context), status=200 if form.is_valid() else 400)

    def confirm(self, request):
        key = request.POST.get("key", "")
        if not key or request.session.get("portal_import_upload") != key or not (UPLOADS / key).is_dir():
            messages.error(request, "That upload has expired or was already imported. Upload the files again.")
            return redirect("portal_exchange")
        folder = UPLOADS / key
        try:
            importer = Importer([str(folder)])
            problems = importer.check()  # the database may have changed since the check
            if problems:
                messages.error(request, f"{len(problems)} problem(s) appeared since the check; nothing was imported.")
                return redirect("portal_exchange")
            changes = importer.plan()
            importer.apply()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            request.session.pop("portal_import_upload", None)
        created = sum(1 for c in changes if c.action == "create")
        updated = sum(1 for c in changes if c.action == "update")
        messages.success(request, f"Imported: {created} created, {updated} updated.")
        return redirect("portal_exchange")


def _relative(problem, folder):
    problem.file = Path(problem.file).name if str(problem.file).startswith(str(folder)) else problem.file
    return problem


def download_export(request):
    """Every record, term and crosswalk as a .zip in the record format."""
    _superuser_only(request)
    with tempfile.TemporaryDirectory() as folder:
        written = export(folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(written):
                archive.write(path, Path(path).relative_to(folder).as_posix())
    buffer.seek(0)
    audit.record(AuditEntry.Action.EXPORT, request=request, target="admin download", files=len(written))
    return FileResponse(buffer, as_attachment=True, filename="portal-records.zip", content_type="application/zip")
