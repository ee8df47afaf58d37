"""manage.py import_atlas (issue 18, part 2): MITRE ATLAS from its published data file, on an
excerpt of ATLAS 5.6.0 (tests/fixtures/atlas): tactics, techniques and sub-techniques with their
ids, names, maturity and dates; idempotent; what a new release changes; bad files refused."""

import io
from pathlib import Path

import pytest
import yaml

from django.core.management import CommandError, call_command

from frameworks.models import FrameworkPage
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

EXCERPT = Path(__file__).resolve().parents[1] / "fixtures" / "atlas" / "ATLAS-excerpt.yaml"


def run(*args):
    out = io.StringIO()
    call_command("import_atlas", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def outline(framework):
    return [(p.level, p.provision_type, p.code, p.title) for p in framework.provisions.all()]


@pytest.fixture
def mitre(indexes):
    return OrganisationFactory(slug="mitre", name="MITRE")


def test_the_first_import_creates_the_framework_with_the_matrix_as_its_outline(mitre):
    out = run(EXCERPT)
    assert "ATLAS 5.6.0: 3 tactics, 6 techniques and sub-techniques." in out
    atlas = FrameworkPage.objects.get(slug="mitre-atlas")
    assert atlas.live and atlas.version == "ATLAS 5.6.0" and atlas.issuing_body == mitre
    assert outline(atlas) == [
        (1, "tactic", "AML.TA0002", "Reconnaissance"),
        (2, "technique", "AML.T0000", "Search Open Technical Databases"),
        (3, "technique", "AML.T0000.000", "Journals and Conference Proceedings"),
        (3, "technique", "AML.T0000.001", "Pre-Print Repositories"),
        (2, "technique", "AML.T0001", "Search Open AI Vulnerability Analysis"),
        (2, "technique", "AML.T0003", "Search Victim-Owned Websites"),
        (1, "tactic", "AML.TA0004", "Initial Access"),
        (2, "technique", "AML.T0093", "Prompt Infiltration via Public-Facing Application"),
        (1, "tactic", "AML.TA0006", "Persistence"),
    ]
    multi = atlas.provisions.get(code="AML.T0093").text
    assert "Initial Access (AML.TA0004), Persistence (AML.TA0006)" in multi
    assert multi.endswith("https://atlas.mitre.org/techniques/AML.T0093")
    first = atlas.provisions.get(code="AML.T0000").text
    assert "(maturity: demonstrated)" in first and "ATT&CK T1596" in first and "2021-05-13" in first
    assert str(atlas.publication_date) == "2025-12-18"  # the newest modification in the file (AML.T0093)


def test_a_second_import_of_the_same_file_changes_nothing(mitre):
    run(EXCERPT)
    atlas = FrameworkPage.objects.get(slug="mitre-atlas")
    revisions = atlas.revisions.count()
    out = run(EXCERPT)
    assert "No provision changed since the last import." in out and "Nothing to import" in out
    assert atlas.revisions.count() == revisions


def test_a_new_release_reports_what_changed_and_keeps_the_records_own_fields(mitre, tmp_path):
    run(EXCERPT)
    atlas = FrameworkPage.objects.get(slug="mitre-atlas")
    atlas.summary = "Edited by staff."
    atlas.save_revision().publish()
    data = yaml.safe_load(EXCERPT.read_text())
    data["version"] = "5.7.0"
    techniques = data["matrices"][0]["techniques"]
    techniques[:] = [t for t in techniques if t["id"] != "AML.T0003"]
    next(t for t in techniques if t["id"] == "AML.T0001")["name"] = "Search Public Vulnerability Analysis"
    techniques.append({"id": "AML.T0999", "name": "A new technique", "tactics": ["AML.TA0006"], "maturity": "feasible"})
    release = tmp_path / "ATLAS.yaml"
    release.write_text(yaml.safe_dump(data))
    out = run(release)
    assert "added    AML.T0999 A new technique" in out
    assert "removed  AML.T0003 Search Victim-Owned Websites" in out
    assert "renamed  AML.T0001 'Search Open AI Vulnerability Analysis' → 'Search Public Vulnerability Analysis'" in out
    atlas = FrameworkPage.objects.get(pk=atlas.pk)
    assert atlas.version == "ATLAS 5.7.0" and atlas.summary == "Edited by staff."
    assert outline(atlas)[-1] == (2, "technique", "AML.T0999", "A new technique")
    assert not atlas.provisions.filter(code="AML.T0003").exists()


def test_dry_run_and_write_change_nothing_stored(mitre, tmp_path):
    assert "Dry run" in run(EXCERPT, "--dry-run")
    assert not FrameworkPage.objects.filter(slug="mitre-atlas").exists()
    target = tmp_path / "mitre-atlas.yaml"
    run(EXCERPT, "--write", target)
    assert not FrameworkPage.objects.exists()
    written = yaml.safe_load(target.read_text())
    assert written["format"] == "portal-records/2"
    assert len(written["records"][0]["framework"]["provisions"]) == 9
    call_command("import_records", str(target), stdout=io.StringIO(), stderr=io.StringIO())
    assert "Nothing to import" in run(EXCERPT)  # the written file is exactly what the command imports


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(id="NOT-ATLAS"), "not an ATLAS data file"),
        (lambda d: d["matrices"][0]["techniques"].append(dict(d["matrices"][0]["techniques"][0])), "appears twice"),
        (lambda d: d["matrices"][0]["techniques"][0].update(tactics=["AML.TA9999"]), "unknown tactics AML.TA9999"),
        (lambda d: d["matrices"][0]["techniques"][0].update(id="T0000"), "is not an ATLAS id"),
        (lambda d: d["matrices"][0]["techniques"][0].update(maturity="rumoured"), "unknown maturity"),
        (lambda d: d["matrices"][0]["techniques"][0].update(created_date="yesterday"), "is not YYYY-MM-DD"),
        (
            lambda d: d["matrices"][0]["techniques"].__setitem__(
                slice(0, 1), []
            ),  # the sub-techniques' technique is gone
            "is not in the file",
        ),
    ],
)
def test_a_file_that_is_not_atlas_is_refused_and_nothing_is_stored(mitre, tmp_path, change, message):
    data = yaml.safe_load(EXCERPT.read_text())
    change(data)
    bad = tmp_path / "ATLAS.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(CommandError, match=message):
        run(bad)
    assert not FrameworkPage.objects.exists()


def test_unreadable_and_broken_files_are_refused(mitre, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: ATLAS\nmatrices: [\n")
    with pytest.raises(CommandError, match="not valid YAML"):
        run(broken)
