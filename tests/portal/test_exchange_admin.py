"""Import and export in the admin: upload, see the dry-run report, confirm; the import and the
export are jobs for the background worker (run at once under the test settings); the page lists
them; the export is downloaded from its job. tests/portal/test_exchange_worker.py runs them on the
real worker."""

import datetime
import io
import tempfile
import zipfile
from pathlib import Path

import pytest

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from findings.models import FindingPage
from frameworks.models import FrameworkPage
from portal.exchange import jobs
from portal.models import AuditEntry, ExchangeJob
from tests.portal.test_exchange import forget_statistics, measured_records_table

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"
URL = "/admin/records-exchange/"


@pytest.fixture(autouse=True)
def empty_storage(settings):
    """A new, empty in-memory default storage for each test (changing the setting makes Django
    build it again)."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


SMALL = b"""format: portal-records/2
records:
  - kind: framework
    slug: tiny-framework
    sharing: {level: TLP:CLEAR}
    title: Tiny framework
    summary: A framework small enough for quick tests.
    publication_date: 2024-01-01
    framework:
      status: in_force
      legal_effect: voluntary
      provisions:
        - {level: 1, type: function, code: ONE, title: One, text: "The first and only function."}
  - kind: finding
    slug: tiny-finding
    sharing: {level: TLP:GREEN}
    title: Tiny finding
    summary: A finding small enough for quick tests.
    publication_date: 2024-02-01
    finding: {finding_type: evaluation, evidence_strength: moderate, status: preliminary}
    links:
      - {type: addresses, target: {kind: framework, slug: tiny-framework, provision: ONE}}
"""


def small():
    return [SimpleUploadedFile("small.yaml", SMALL)]


def uploads(*names):
    return [SimpleUploadedFile(name, (FIXTURES / name).read_bytes()) for name in names]


def stored_files(folder):
    try:
        return default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


def all_uploaded_files():
    try:
        folders = default_storage.listdir(jobs.UPLOADS)[0]
    except FileNotFoundError:
        return []
    return [name for folder in folders for name in stored_files(f"{jobs.UPLOADS}/{folder}")]


def test_the_page_addresses_are_the_ones_the_tests_use():
    assert reverse("portal_exchange") == URL


def test_superuser_uploads_sees_the_report_and_confirms(admin_client, admin_user, indexes):
    response = admin_client.post(URL, {"files": small()})
    content = response.content.decode()
    assert response.status_code == 200
    assert "create</strong> framework tiny-framework" in content
    assert not FrameworkPage.objects.exists()  # nothing yet: this was the dry run
    job = response.context["job"]
    assert job.status == ExchangeJob.Status.CHECKED and job.started_by == admin_user
    assert sorted(stored_files(job.upload_folder)) == ["small.yaml"]

    response = admin_client.post(URL, {"confirm": "1", "job": job.pk}, follow=True)
    content = response.content.decode()
    assert "Import queued" in content
    assert FrameworkPage.objects.filter(slug="tiny-framework", live=True).exists()
    job.refresh_from_db()
    assert job.status == ExchangeJob.Status.DONE and job.finished_at is not None
    assert job.report.startswith("Imported: ")
    assert "create framework tiny-framework" in job.report
    assert "Imported: " in content and "Import " + str(job.pk) in content  # the report and the jobs list
    assert stored_files(job.upload_folder) == []  # the uploaded files go once imported


def test_confirming_twice_imports_once(admin_client, indexes):
    job = admin_client.post(URL, {"files": small()}).context["job"]
    admin_client.post(URL, {"confirm": "1", "job": job.pk})
    job.refresh_from_db()
    finished, report = job.finished_at, job.report
    revisions = FrameworkPage.objects.get(slug="tiny-framework").revisions.count()
    # A double click, or the back button and the same form again.
    response = admin_client.post(URL, {"confirm": "1", "job": job.pk}, follow=True)
    assert "already confirmed; it is imported once" in response.content.decode()
    job.refresh_from_db()
    assert (job.finished_at, job.report) == (finished, report)
    assert FrameworkPage.objects.get(slug="tiny-framework").revisions.count() == revisions


def test_a_confirmation_of_an_unknown_upload_says_so(admin_client, indexes):
    response = admin_client.post(URL, {"confirm": "1", "job": "999999"}, follow=True)
    assert "expired or was cleaned up" in response.content.decode()
    response = admin_client.post(URL, {"confirm": "1", "job": "not a number"}, follow=True)
    assert "expired or was cleaned up" in response.content.decode()


def test_an_import_that_meets_changed_data_fails_with_the_problems_and_writes_nothing(admin_client, indexes):
    job = admin_client.post(URL, {"files": small()}).context["job"]
    default_storage.save(f"{job.upload_folder}/late.yaml", io.BytesIO(b"format: portal-records/2\nrecords: 3\n"))
    response = admin_client.post(URL, {"confirm": "1", "job": job.pk}, follow=True)
    job.refresh_from_db()
    assert job.status == ExchangeJob.Status.FAILED
    assert "appeared since the check; nothing was imported" in job.error
    assert "late.yaml" in job.error and tempfile.gettempdir() not in job.error
    assert "appeared since the check" in response.content.decode()
    assert not FrameworkPage.objects.exists()


def test_the_page_reloads_while_a_job_waits_and_not_after(admin_client, admin_user, indexes):
    job = ExchangeJob.objects.create(kind="export", status="running", started_by=admin_user)
    response = admin_client.get(URL, {"job": job.pk})
    content = response.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in content
    assert "is running this job" in content
    ExchangeJob.objects.filter(pk=job.pk).update(status="failed", error="The export stopped: disk full.")
    content = admin_client.get(URL, {"job": job.pk}).content.decode()
    assert 'http-equiv="refresh"' not in content
    assert "The export stopped: disk full." in content


def test_an_unknown_job_is_said_to_be_gone(admin_client, indexes):
    response = admin_client.get(URL, {"job": "424242"}, follow=True)
    assert "no such job" in response.content.decode()


def test_an_import_from_the_admin_leaves_the_database_its_table_statistics(admin_client, indexes):
    forget_statistics()
    job = admin_client.post(URL, {"files": small()}).context["job"]
    assert not measured_records_table()  # the dry run writes nothing and measures nothing
    admin_client.post(URL, {"confirm": "1", "job": job.pk})
    assert measured_records_table()


def test_a_zip_of_record_files_is_accepted(admin_client, indexes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in FIXTURES.glob("*.yaml"):
            archive.write(path, f"records/{path.name}")
        archive.writestr("../../evil.yaml", "format: portal-records/1\n")
    upload = SimpleUploadedFile("records.zip", buffer.getvalue(), content_type="application/zip")
    response = admin_client.post(URL, {"files": [upload]})
    assert response.status_code == 200
    assert "create</strong> finding indirect-prompt-injection" in response.content.decode()
    # Paths are flattened into the job's folder, whatever the archive says.
    folder = response.context["job"].upload_folder
    expected = sorted([f"records__{p.name}" for p in FIXTURES.glob("*.yaml")] + ["evil.yaml"])
    assert sorted(stored_files(folder)) == expected
    assert default_storage.listdir("")[0] == ["exchange"] and default_storage.listdir("exchange")[0] == ["uploads"]


def test_a_zip_without_record_files_is_refused_with_a_message(admin_client, indexes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "no records here")
    upload = SimpleUploadedFile("empty.zip", buffer.getvalue(), content_type="application/zip")
    response = admin_client.post(URL, {"files": [upload]})
    assert response.status_code == 400
    assert "empty.zip holds no .yaml, .yml or .json files." in response.content.decode()
    assert not ExchangeJob.objects.exists()


def test_bad_files_are_reported_and_nothing_is_kept(admin_client, indexes):
    bad = SimpleUploadedFile("bad.yaml", b"format: portal-records/1\nrecords:\n  - kind: poem\n")
    response = admin_client.post(URL, {"files": [bad]})
    content = response.content.decode()
    assert response.status_code == 400
    assert "problem" in content and "bad.yaml" in content
    assert not response.context.get("job")
    assert not ExchangeJob.objects.exists()
    assert all_uploaded_files() == []
    assert not FindingPage.objects.exists()


def test_other_file_types_are_refused_with_a_message(admin_client, indexes):
    response = admin_client.post(URL, {"files": [SimpleUploadedFile("x.exe", b"MZ")]})
    assert response.status_code == 400
    assert "only .yaml, .yml, .json or .zip" in response.content.decode()
    assert not ExchangeJob.objects.exists() and all_uploaded_files() == []


def test_files_that_would_change_nothing_make_no_job(admin_client, indexes):
    job = admin_client.post(URL, {"files": small()}).context["job"]
    admin_client.post(URL, {"confirm": "1", "job": job.pk})
    response = admin_client.post(URL, {"files": small()})
    assert "Nothing would change." in response.content.decode()
    assert response.context.get("job") is None
    assert list(ExchangeJob.objects.values_list("pk", flat=True)) == [job.pk]


def test_an_export_is_a_job_whose_zip_is_downloaded_and_audited(admin_client, indexes):
    admin_client.post(URL, {"confirm": "1", "job": admin_client.post(URL, {"files": small()}).context["job"].pk})
    response = admin_client.post(URL, {"export": "1"}, follow=True)
    assert "Export queued" in response.content.decode()
    job = ExchangeJob.objects.get(kind="export")
    assert job.status == ExchangeJob.Status.DONE
    assert job.report.endswith(" 2 records.") and default_storage.exists(job.export_file)
    assert f'href="{reverse("portal_exchange_download")}?job={job.pk}"' in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()  # made, not yet downloaded

    response = admin_client.get(reverse("portal_exchange_download"), {"job": job.pk})
    assert response["Content-Type"] == "application/zip"
    assert f"portal-records-{job.finished_at:%Y-%m-%d}-{job.pk}.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"frameworks/tiny-framework.yaml", "findings/tiny-finding.yaml", "taxonomy.yaml"} <= set(archive.namelist())
    entry = AuditEntry.objects.get(action="export")
    assert entry.detail["job"] == job.pk


def test_a_download_that_is_not_a_finished_export_is_404(admin_client, admin_user, indexes):
    download = reverse("portal_exchange_download")
    assert admin_client.get(download).status_code == 404
    assert admin_client.get(download, {"job": "x"}).status_code == 404
    running = ExchangeJob.objects.create(kind="export", status="running", started_by=admin_user)
    assert admin_client.get(download, {"job": running.pk}).status_code == 404
    gone = ExchangeJob.objects.create(kind="export", status="done", export_file="exchange/exports/gone.zip")
    assert admin_client.get(download, {"job": gone.pk}).status_code == 404


def test_old_jobs_and_their_files_are_deleted_when_a_job_finishes(admin_client, admin_user, settings, indexes):
    settings.PORTAL_EXCHANGE_KEEP_DAYS = 2
    old = ExchangeJob.objects.create(
        kind="export",
        status="done",
        export_file=default_storage.save("exchange/exports/old.zip", io.BytesIO(b"PK")),
        created_at=timezone.now() - datetime.timedelta(days=3),
    )
    forgotten = ExchangeJob.objects.create(
        kind="import",
        status="checked",
        upload_folder="exchange/uploads/forgotten",
        created_at=timezone.now() - datetime.timedelta(days=3),
    )
    default_storage.save("exchange/uploads/forgotten/a.yaml", io.BytesIO(b"format: portal-records/2\n"))
    waiting = ExchangeJob.objects.create(
        kind="export", status="queued", created_at=timezone.now() - datetime.timedelta(days=3)
    )
    recent = ExchangeJob.objects.create(kind="export", status="failed", error="x")
    admin_client.post(URL, {"export": "1"})
    kept = set(ExchangeJob.objects.values_list("pk", flat=True))
    assert old.pk not in kept and forgotten.pk not in kept
    assert {waiting.pk, recent.pk} <= kept
    assert not default_storage.exists("exchange/exports/old.zip")
    assert stored_files("exchange/uploads/forgotten") == []
    assert "kept 2 days" in admin_client.get(URL).content.decode()


def test_only_superusers_may_import_or_export(client, editor, indexes):
    client.force_login(editor)
    job = ExchangeJob.objects.create(kind="export", status="done", export_file="exchange/exports/x.zip")
    assert client.get(URL).status_code in (302, 403)
    assert client.post(URL, {"export": "1"}).status_code in (302, 403)
    assert client.post(URL, {"confirm": "1", "job": job.pk}).status_code in (302, 403)
    assert client.get(reverse("portal_exchange_download"), {"job": job.pk}).status_code in (302, 403)
    assert ExchangeJob.objects.count() == 1
