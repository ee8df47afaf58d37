"""Import and export of record files (docs/data-format.md)."""

import io
import re
from pathlib import Path

import pytest

from django.core.management import CommandError, call_command
from django.db import connection

from findings.models import FindingPage, LessonPage
from frameworks.models import Crosswalk, FrameworkPage
from portal.models import CrossLink

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, verbosity=1)
    return out.getvalue() + err.getvalue()


def test_importing_the_demo_twice_changes_nothing_the_second_time(db):
    first = run("import_records", str(DEMO))
    assert "to create" in first
    revisions = sum(p.revisions.count() for p in FindingPage.objects.all())
    second = run("import_records", str(DEMO))
    assert "0 to create, 0 to update" in second
    assert sum(p.revisions.count() for p in FindingPage.objects.all()) == revisions
    assert FrameworkPage.objects.count() == 3


def test_import_creates_provisions_links_and_crosswalks_from_files(db):
    run("import_records", str(DEMO))
    rmf = FrameworkPage.objects.get(slug="nist-ai-rmf")
    assert rmf.live
    assert rmf.provisions.filter(code="GOVERN 1.1", level=3).exists()
    link = CrossLink.objects.get(
        source__slug="low-resource-languages-jailbreak-gpt-4", target_provision__code="MEASURE 2.7"
    )
    assert link.target_id == rmf.pk
    assert Crosswalk.objects.get(slug="nist-ai-rmf-to-singapore-model-framework").mappings.count() == 5


def test_changed_file_updates_the_record_with_a_new_revision(db, tmp_path):
    run("import_records", str(DEMO))
    finding = FindingPage.objects.get(slug="ignore-previous-prompt")
    revisions = finding.revisions.count()
    changed = tmp_path / "findings.yaml"
    changed.write_text((DEMO / "findings.yaml").read_text().replace("Simple hand-written inputs", "Short inputs"))
    out = run("import_records", str(DEMO / "taxonomy.yaml"), str(DEMO / "frameworks.yaml"), str(changed))
    assert "update    finding ignore-previous-prompt (summary)" in out
    finding.refresh_from_db()
    assert finding.summary.startswith("Short inputs")
    assert finding.revisions.count() == revisions + 1
    assert FindingPage.objects.filter(slug="ignore-previous-prompt").count() == 1


def test_dry_run_reports_changes_and_writes_nothing(db):
    out = run("import_records", "--dry-run", str(DEMO))
    assert "create    framework nist-ai-rmf" in out
    assert "Nothing was written" in out
    assert not FrameworkPage.objects.exists()


BAD = {
    "malformed.yaml": "format: portal-records/1\nrecords: [\n",
    "unknown_key.yaml": "format: portal-records/1\nrecords:\n  - kind: finding\n    slug: x\n    colour: red\n",
    "missing_link.yaml": """format: portal-records/1
records:
  - kind: finding
    slug: orphan-link
    title: T
    summary: S
    publication_date: 2024-01-01
    links:
      - {type: addresses, target: {kind: framework, slug: nowhere, provision: X 1}}
""",
    "duplicate_codes.yaml": """format: portal-records/1
records:
  - kind: framework
    slug: dup
    title: T
    summary: S
    publication_date: 2024-01-01
    framework:
      provisions:
        - {level: 1, code: A 1, title: One}
        - {level: 1, code: a-1, title: Two}
""",
    "bad_dates.yaml": """format: portal-records/1
records:
  - kind: lesson
    slug: bad-dates
    title: T
    summary: S
    publication_date: 2024-02-30
    lesson: {context: C, what_happened: W, event_date: 2024-05-02, event_end_date: 2024-05-01}
""",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_are_reported_with_file_and_line_and_nothing_changes(db, tmp_path, name):
    run("import_records", str(DEMO))
    before = FindingPage.objects.count(), FrameworkPage.objects.count()
    bad = tmp_path / name
    bad.write_text(BAD[name])
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_records", str(DEMO), str(bad), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert f"{bad}:" in report
    assert (FindingPage.objects.count(), FrameworkPage.objects.count()) == before


def test_missing_path_is_reported(db):
    with pytest.raises(CommandError):
        call_command("import_records", "/no/such/folder", stdout=io.StringIO(), stderr=io.StringIO())


def test_export_then_import_into_an_empty_database_then_export_gives_identical_files(db, tmp_path):
    run("import_records", str(DEMO))
    first, second = tmp_path / "first", tmp_path / "second"
    run("export_records", str(first))
    files = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert Path("frameworks/nist-ai-rmf.yaml") in files and Path("crosswalks.yaml") in files

    # Empty the database of records and terms, then import the export.
    from wagtail.models import Page

    from portal.models import TERM_MODELS, RecordPage

    Crosswalk.objects.all().delete()
    for page in RecordPage.objects.all():
        Page.objects.filter(pk=page.pk).delete()
    while TERM_MODELS["topics"].objects.exists():  # leaves first: a parent topic is protected
        TERM_MODELS["topics"].objects.filter(children__isnull=True).delete()
    for model in TERM_MODELS.values():
        model.objects.all().delete()
    run("import_records", str(first))
    run("export_records", str(second))
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    assert sorted(p.relative_to(second) for p in second.rglob("*.yaml")) == files


def test_export_is_deterministic(db, tmp_path):
    run("import_records", str(DEMO))
    run("export_records", str(tmp_path / "a"))
    run("export_records", str(tmp_path / "b"))
    for path in (tmp_path / "a").rglob("*.yaml"):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


def test_export_can_be_limited_to_one_kind(db, tmp_path):
    run("import_records", str(DEMO))
    run("export_records", "--kind", "lesson", str(tmp_path))
    assert not (tmp_path / "findings").exists()
    assert len(list((tmp_path / "lessons").glob("*.yaml"))) == 4
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("export_records", "--kind", "poem", str(tmp_path), stdout=io.StringIO())


def measured_records_table():
    """Whether the database measured the records' table in this test (SQLite: since its
    statistics were dropped; PostgreSQL: since the test's transaction began)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return False
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'portal_recordpage'")
            return cursor.fetchone()[0] > 0
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # read the statistics as they are now
        cursor.execute("SELECT last_analyze >= now() FROM pg_stat_user_tables WHERE relname = 'portal_recordpage'")
        return bool(cursor.fetchone()[0])


def forget_statistics():
    """SQLite: drop the statistics, so that ``measured_records_table`` sees new ones. (On
    PostgreSQL it looks at when they were taken.)"""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")


@pytest.mark.parametrize("command", ["import_records", "load_demo"])
def test_bulk_loads_leave_the_database_its_table_statistics(db, settings, command):
    settings.PORTAL_DEMO_DATA = str(DEMO)
    settings.PORTAL_SAMPLE_DATA = ""
    forget_statistics()
    assert not measured_records_table()
    run(command, str(DEMO)) if command == "import_records" else run(command)
    assert measured_records_table()


def test_load_demo_keeps_edits_and_creates_the_admin_only_once(db, django_user_model, settings):
    settings.PORTAL_DEMO_DATA = str(DEMO)
    out = run("load_demo")
    assert re.search(r"^    admin +\S+ +administrator$", out, re.M)
    assert "sample-agency-member" in out
    finding = FindingPage.objects.get(slug="ignore-previous-prompt")
    finding.summary = "Edited by staff."
    finding.save_revision().publish()
    again = run("load_demo")
    assert "administrator" not in again and "sample-agency-member" not in again
    finding.refresh_from_db()
    assert finding.summary == "Edited by staff."
    assert django_user_model.objects.count() == 5  # the admin and four sample partners


def test_round_trip_keeps_sharing_levels_owners_and_named_people(db, tmp_path, django_user_model):
    run("import_records", str(DEMO))
    django_user_model.objects.create_user("reader")
    restricted = tmp_path / "restricted.yaml"
    restricted.write_text(
        """format: portal-records/1
organisations:
  - {slug: partner-agency, name: Partner Agency}
records:
  - kind: lesson
    slug: restricted-lesson
    title: Restricted lesson
    summary: Only for named readers.
    publication_date: 2025-01-01
    sharing: {level: TLP:RED, owner: partner-agency, organisations: [partner-agency], people: [reader]}
    lesson: {context: C, what_happened: W}
"""
    )
    run("import_records", str(restricted))
    exported = tmp_path / "out"
    run("export_records", "--sharing-level", "TLP:RED", str(exported))
    text = (exported / "lessons" / "restricted-lesson.yaml").read_text()
    assert "level: TLP:RED" in text and "owner: partner-agency" in text and "- reader" in text
    assert not (exported / "findings").exists()
    assert "0 to create, 0 to update" in run("import_records", "--dry-run", str(exported))


def test_a_sharing_change_by_import_is_audited(db, tmp_path):
    from portal.models import AuditEntry

    run("import_records", str(DEMO))
    changed = tmp_path / "findings.yaml"
    changed.write_text(
        (DEMO / "findings.yaml").read_text().replace("sharing: {level: TLP:CLEAR}", "sharing: {level: TLP:GREEN}", 1)
    )
    run("import_records", str(DEMO / "taxonomy.yaml"), str(DEMO / "frameworks.yaml"), str(changed))
    entry = AuditEntry.objects.get(action="sharing_changed")
    assert entry.detail["before"]["level"] == "TLP:CLEAR" and entry.detail["after"]["level"] == "TLP:GREEN"


def test_deeply_nested_and_huge_files_are_refused_with_a_clear_report(db, tmp_path, monkeypatch):
    from portal.exchange import files

    deep = tmp_path / "deep.yaml"
    deep.write_text("format: portal-records/1\nrecords: " + "[" * 200 + "]" * 200 + "\n")
    huge = tmp_path / "huge.yaml"
    huge.write_text("format: portal-records/1\n# " + "x" * 2000 + "\n")
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_records", str(deep), str(huge), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "deep.yaml" in report and "too deeply nested" in report
    assert "huge.yaml" in report and "refused" in report


def test_every_kind_of_record_has_registered_its_file_form(db):
    from portal.exchange import kinds
    from portal.models import RecordPage

    assert set(kinds.registered()) == set(RecordPage.kind_models())
    assert list(kinds.sections()) == ["synonyms", "search_promotions", "crosswalks"]


def test_the_apps_checks_of_their_own_parts_report_what_is_wrong(db, tmp_path, monkeypatch):
    """The meaning checks, which the apps register for their kinds and crosswalks, report on their
    own (without the JSON Schema, which refuses some of these files first)."""
    from portal.exchange import validate

    run("import_records", str(DEMO))
    monkeypatch.setattr(validate, "SCHEMA_FOLDER", tmp_path / "no-schemas")
    bad = tmp_path / "parts.yaml"
    bad.write_text(
        """format: portal-records/1
records:
  - kind: finding
    slug: points-into-a-finding
    title: T
    summary: S
    publication_date: 2024-01-01
    links:
      - {type: cites, target: {kind: finding, slug: ignore-previous-prompt, provision: X 1}}
    finding: {doi: not-a-doi}
  - kind: framework
    slug: issued-by-nobody
    title: T
    summary: S
    publication_date: 2024-01-01
    framework:
      issuing_body: nobody
      effective_date: 2024-05-02
      end_date: 2024-05-01
      provisions:
        - {level: 2, code: A 1, title: Too deep}
crosswalks:
  - slug: to-a-missing-provision
    title: T
    source: nist-ai-rmf
    target: eu-ai-act
    mappings:
      - {source: NOPE 9, target: Art. 15, relation: related}
"""
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_records", str(DEMO), str(bad), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    for message in (
        "records[0].links[0].target.provision: only frameworks have provisions",
        "records[0].finding.doi: this is not a DOI (10.xxxx/...)",
        "records[1].framework.issuing_body: there is no organisation 'nobody'",
        "records[1].framework.end_date: end date 2024-05-01 is before effective date 2024-05-02",
        "records[1].framework.provisions[0].level: level 2 cannot follow level 0",
        "crosswalks[0].mappings[0].source: framework 'nist-ai-rmf' has no provision 'NOPE 9'",
    ):
        assert message in report


def test_import_shows_its_progress_in_the_progress_bar_of_the_index_rebuild(db):
    err = io.StringIO()
    call_command("import_records", str(DEMO), stdout=io.StringIO(), stderr=err, verbosity=1)
    saved = FindingPage.objects.count() + FrameworkPage.objects.count() + LessonPage.objects.count()
    assert re.search(rf"^Saving records \[#{{30}}\] {saved}/{saved} 100% ", err.getvalue(), re.M)
    # Nothing to save, nothing to show.
    err = io.StringIO()
    call_command("import_records", str(DEMO), stdout=io.StringIO(), stderr=err, verbosity=1)
    assert "Saving records" not in err.getvalue()


def test_a_body_of_plain_paragraphs_imports_as_paragraph_blocks_and_reimports_unchanged(db, tmp_path):
    """docs/data-format.md allows a body of plain strings, one paragraph each; it used to pass the
    checks and then crash the import with a TypeError."""
    run("import_records", str(DEMO))
    changed = tmp_path / "findings.yaml"
    text = (DEMO / "findings.yaml").read_text()
    slug_line = "slug: ignore-previous-prompt\n"
    assert slug_line in text
    indent = text.split(slug_line)[0].rsplit("\n", 1)[1].replace("-", " ")
    body = f"{indent}body:\n{indent}- First paragraph, with <angle> & ampersand.\n{indent}- Second paragraph.\n"
    changed.write_text(text.replace(slug_line, slug_line + body, 1))
    files = (str(DEMO / "taxonomy.yaml"), str(DEMO / "frameworks.yaml"), str(changed))
    out = run("import_records", *files)
    assert "update    finding ignore-previous-prompt (body)" in out
    finding = FindingPage.objects.get(slug="ignore-previous-prompt")
    assert [(block.block_type, str(block.value)) for block in finding.body] == [
        ("paragraph", "<p>First paragraph, with &lt;angle&gt; &amp; ampersand.</p>"),
        ("paragraph", "<p>Second paragraph.</p>"),
    ]
    assert "0 to create, 0 to update" in run("import_records", *files)


def test_a_record_file_without_sharing_reimports_unchanged(db, tmp_path):
    """A record whose file names no sharing is TLP:GREEN; importing the same file again changes
    nothing (it used to plan "update (sharing)" every time: a new revision and an audit entry)."""
    run("import_records", str(DEMO))
    text = (DEMO / "findings.yaml").read_text()
    without = re.sub(r"^ +sharing: \{level: TLP:[A-Z+]+\}\n", "", text, flags=re.M)
    assert without != text
    changed = tmp_path / "findings.yaml"
    changed.write_text(without)
    files = (str(DEMO / "taxonomy.yaml"), str(DEMO / "frameworks.yaml"), str(changed))
    run("import_records", *files)
    assert "0 to create, 0 to update" in run("import_records", *files)


def test_load_demo_gives_the_sample_partners_follows_and_a_webhook_administrator(db, django_user_model, settings):
    from portal.models import Follow

    settings.PORTAL_DEMO_DATA = str(DEMO)
    out = run("load_demo")
    assert re.search(r"^    sample-telecom-member +\S+ +partner, administrator of sample-telecom-operator$", out, re.M)
    telecom = django_user_model.objects.get(username="sample-telecom-member")
    assert telecom.memberships.get().is_administrator
    assert client_sees_webhooks(telecom)
    assert set(Follow.objects.filter(user=telecom).values_list("subject", "key")) == {
        ("sector", "telecommunications"),
        ("kind", "lesson"),
    }
    run("load_demo")
    assert Follow.objects.count() == 3  # the second run adds nothing


def client_sees_webhooks(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return "Register an endpoint" in client.get("/account/webhooks/").content.decode()
