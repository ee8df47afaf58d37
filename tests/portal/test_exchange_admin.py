"""Import and export in the admin: upload, see the dry-run report, confirm; download an export."""

import io
import zipfile
from pathlib import Path

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from findings.models import FindingPage
from frameworks.models import FrameworkPage
from portal.models import AuditEntry
from tests.portal.test_exchange import forget_statistics, measured_records_table

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def uploads(*names):
    return [SimpleUploadedFile(name, (FIXTURES / name).read_bytes()) for name in names]


def test_superuser_uploads_sees_the_report_and_confirms(admin_client, indexes):
    url = reverse("portal_exchange")
    response = admin_client.post(url, {"files": uploads("taxonomy.yaml", "frameworks.yaml")})
    content = response.content.decode()
    assert response.status_code == 200
    assert "create</strong> framework nist-ai-rmf" in content
    assert not FrameworkPage.objects.exists()  # nothing yet: this was the dry run
    key = response.context["key"]
    response = admin_client.post(url, {"confirm": "1", "key": key}, follow=True)
    assert "Imported:" in response.content.decode()
    assert FrameworkPage.objects.filter(slug="nist-ai-rmf", live=True).exists()
    # The same upload key cannot be replayed.
    response = admin_client.post(url, {"confirm": "1", "key": key}, follow=True)
    assert "expired or was already imported" in response.content.decode()


def test_an_import_from_the_admin_leaves_the_database_its_table_statistics(admin_client, indexes):
    forget_statistics()
    url = reverse("portal_exchange")
    key = admin_client.post(url, {"files": uploads("taxonomy.yaml", "frameworks.yaml")}).context["key"]
    assert not measured_records_table()  # the dry run writes nothing and measures nothing
    admin_client.post(url, {"confirm": "1", "key": key})
    assert measured_records_table()


def test_a_zip_of_record_files_is_accepted(admin_client, indexes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in FIXTURES.glob("*.yaml"):
            archive.write(path, f"records/{path.name}")
        archive.writestr("../../evil.yaml", "format: portal-records/1\n")
    upload = SimpleUploadedFile("records.zip", buffer.getvalue(), content_type="application/zip")
    response = admin_client.post(reverse("portal_exchange"), {"files": [upload]})
    assert response.status_code == 200
    assert "create</strong> finding indirect-prompt-injection" in response.content.decode()


def test_bad_files_are_reported_and_nothing_is_imported(admin_client, indexes):
    bad = SimpleUploadedFile("bad.yaml", b"format: portal-records/1\nrecords:\n  - kind: poem\n")
    response = admin_client.post(reverse("portal_exchange"), {"files": [bad]})
    content = response.content.decode()
    assert "problem" in content and "bad.yaml" in content
    assert "key" not in response.context or not response.context.get("key")
    assert not FindingPage.objects.exists()


def test_other_file_types_are_refused_with_a_message(admin_client, indexes):
    response = admin_client.post(reverse("portal_exchange"), {"files": [SimpleUploadedFile("x.exe", b"MZ")]})
    assert response.status_code == 400
    assert "only .yaml, .yml, .json or .zip" in response.content.decode()


def test_download_export_is_a_zip_of_record_files_and_is_audited(admin_client, indexes):
    from django.core.management import call_command

    call_command("import_records", str(FIXTURES), stdout=io.StringIO(), stderr=io.StringIO())
    response = admin_client.get(reverse("portal_exchange_download"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "frameworks/nist-ai-rmf.yaml" in archive.namelist()
    assert AuditEntry.objects.filter(action="export").exists()


def test_only_superusers_may_import_or_export(client, editor, indexes):
    client.force_login(editor)
    assert client.get(reverse("portal_exchange")).status_code in (302, 403)
    assert client.get(reverse("portal_exchange_download")).status_code in (302, 403)
