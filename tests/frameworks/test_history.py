"""Frameworks that change: versions and amendments, provision lifecycle and dates, 'as of' views,
what changed between versions, crosswalk relations in the set-theory vocabulary, and the record
files (format 2, and format 1 still read)."""

import datetime
import io
import json
from pathlib import Path

import pytest

from django.core.management import CommandError, call_command
from django.urls import reverse

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from frameworks.models import CrosswalkMapping, FrameworkPage, Timeline
from frameworks.models.crosswalks import OLD_RELATIONS
from portal.models import RecordChange as Change

pytestmark = pytest.mark.django_db

ACT = """format: portal-records/2
records:
  - kind: framework
    slug: test-act
    title: Test Act
    summary: A law that changes.
    publication_date: 2024-07-12
    sharing: {level: TLP:CLEAR}
    framework:
      status: in_force
      legal_effect: binding
      effective_date: 2024-08-01
      versions:
        - {key: original, kind: original, title: The Act as adopted, adopted: 2024-06-13, published: 2024-07-12,
           in_force: 2024-08-01, applies_from: 2026-08-02}
        - {key: amend-1, kind: amendment, title: First amendment, identifier: Act 2026/1, adopted: 2026-07-08,
           published: 2026-07-24, in_force: 2026-07-27}
        - {key: amend-2, kind: amendment, title: Second amendment, adopted: 2026-11-01}
      provisions:
        - {level: 1, type: article, code: Art. 1, title: Scope, applies_from: 2025-02-02}
        - {level: 1, type: article, code: Art. 2, title: Definitions}
        - {level: 1, type: article, code: Art. 3, title: Old duty}
        - {level: 1, type: article, code: Art. 4, title: High-risk duties, applies_from: 2026-08-02}
        - {level: 1, type: article, code: Art. 5, title: New ban}
        - {level: 1, type: article, code: Art. 6, title: Transitional rule, applies_from: 2024-08-01,
           applies_until: 2026-01-01}
      changes:
        - {version: amend-1, code: Art. 2, change: renumbered, old_code: Art. 2a, note: Moved up.}
        - {version: amend-1, code: Art. 3, change: repealed, note: The duty is dropped.}
        - {version: amend-1, code: Art. 4, change: amended, note: Postponed., applies_from: 2027-12-02}
        - {version: amend-2, code: Art. 5, change: introduced, note: A new prohibition.}
  - kind: framework
    slug: other-code
    title: Other Code
    summary: A code of practice.
    publication_date: 2024-01-01
    sharing: {level: TLP:CLEAR}
    framework:
      provisions:
        - {level: 1, code: "1", title: One}
        - {level: 1, code: "2", title: Two}
  - kind: finding
    slug: a-finding
    title: A finding about old duties
    summary: It cites two articles.
    publication_date: 2025-01-01
    sharing: {level: TLP:CLEAR}
    links:
      - {type: addresses, target: {kind: framework, slug: test-act, provision: Art. 3}}
      - {type: addresses, target: {kind: framework, slug: test-act, provision: Art. 1}}
    finding: {finding_type: study, status: preliminary}
crosswalks:
  - slug: act-to-code
    title: Test Act to Other Code
    source: test-act
    target: other-code
    mappings:
      - {source: Art. 1, target: "1", relation: subset_of, rationale: semantic, strength: 8}
      - {source: Art. 4, target: "2", relation: not_related, rationale: functional}
"""


def day(text):
    return datetime.date.fromisoformat(text)


def write(tmp_path, text, name="act.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def load(tmp_path, text=ACT, name="act.yaml"):
    err = io.StringIO()
    try:
        call_command("import_records", str(write(tmp_path, text, name)), stdout=io.StringIO(), stderr=err)
    except CommandError as error:
        raise AssertionError(err.getvalue()) from error
    return FrameworkPage.objects.get(slug="test-act")


def import_errors(tmp_path, text, name="bad.yaml"):
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_records", str(write(tmp_path, text, name)), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def act(tmp_path, indexes):
    return load(tmp_path)


def standing(act, code, on):
    return Timeline(act).standing(act.provisions.get(code=code), day(on))


# -- where a provision stands --------------------------------------------------------------


@pytest.mark.parametrize(
    "code, on, state",
    [
        ("Art. 1", "2025-02-01", "not_yet"),
        ("Art. 1", "2025-02-02", "applies"),
        ("Art. 2", "2026-08-01", "not_yet"),  # the framework's date of application
        ("Art. 2", "2026-08-02", "applies"),
        ("Art. 3", "2026-07-26", "not_yet"),
        ("Art. 3", "2026-07-27", "repealed"),  # the day the amendment entered into force
        ("Art. 4", "2026-08-02", "not_yet"),  # postponed by the amendment in force
        ("Art. 4", "2027-12-02", "applies"),
        ("Art. 5", "2030-01-01", "pending"),  # introduced by an amendment not yet in force
        ("Art. 6", "2025-12-31", "applies"),
        ("Art. 6", "2026-01-01", "ended"),
    ],
)
def test_a_provision_stands_where_its_dates_and_the_versions_in_force_put_it(act, code, on, state):
    assert standing(act, code, on).state == state


def test_before_the_amendment_is_in_force_its_change_is_pending_and_the_old_date_holds(act):
    art4 = standing(act, "Art. 4", "2026-07-01")
    assert art4.applies_from == day("2026-08-02")
    assert [change.change for change, _ in art4.pending] == ["amended"]
    assert standing(act, "Art. 2", "2026-08-02").previous_codes == ["Art. 2a"]


def test_version_states_follow_their_dates(act):
    versions = {v.key: v for v in act.versions.all()}
    assert versions["original"].state_on(day("2025-01-01")) == "in_force"
    assert versions["amend-1"].state_on(day("2026-07-10")) == "adopted"
    assert versions["amend-1"].state_on(day("2026-07-27")) == "in_force"
    assert versions["amend-2"].state_label(day("2026-12-06")) == "Adopted, not yet in force"
    assert versions["amend-2"].state_on(day("2026-10-01")) == "proposed"


# -- the web ------------------------------------------------------------------------------


def test_the_framework_page_shows_the_history_and_each_provisions_changes(client, act):
    html = client.get("/frameworks/test-act/").content.decode()
    assert "Versions and amendments" in html
    assert "First amendment" in html and "Act 2026/1" in html
    assert "Adopted, not yet in force" in html  # the second amendment, today
    assert "Repealed by <a" in html
    assert 'id="art-2a"' in html  # an old anchor lands on the renumbered provision
    assert "(was Art. 2a)" in html
    assert "/frameworks/test-act/changes/" in html


def test_as_of_shows_only_the_provisions_that_apply_that_day(client, act):
    html = client.get("/frameworks/test-act/", {"as_of": "2026-08-02"}).content.decode()
    assert "Provisions that apply on" in html and "2 August 2026" in html
    assert 'id="art-1"' in html and 'id="art-2"' in html
    for gone in ("art-3", "art-4", "art-5", "art-6"):
        assert f'id="{gone}"' not in html
    everything = client.get("/frameworks/test-act/").content.decode()
    assert 'id="art-4"' in everything


def test_a_bad_as_of_is_a_400_with_a_message(client, act):
    response = client.get("/frameworks/test-act/", {"as_of": "2026-13-40"})
    assert response.status_code == 400
    assert "is not a date: write it as YYYY-MM-DD" in response.content.decode()
    assert client.get("/frameworks/test-act/evidence/", {"as_of": "soon"}).status_code == 400


def test_the_evidence_map_as_of_a_day(client, act):
    html = client.get("/frameworks/test-act/evidence/", {"as_of": "2026-08-02"}).content.decode()
    assert "Art. 1" in html and "Art. 3" not in html
    assert "provisions that apply on" in html


def test_what_changed_between_two_versions(client, act):
    html = client.get("/frameworks/test-act/changes/").content.decode()  # the latest and the one before
    assert "A new prohibition." in html and "Moved up." not in html
    html = client.get("/frameworks/test-act/changes/", {"from": "original", "to": "amend-1"}).content.decode()
    assert "Moved up." in html and "The duty is dropped." in html and "A new prohibition." not in html
    response = client.get("/frameworks/test-act/changes/", {"from": "amend-2", "to": "original"})
    assert response.status_code == 400
    assert "older than" in response.content.decode()
    assert client.get("/frameworks/test-act/changes/", {"to": "nope"}).status_code == 400


def test_a_link_to_a_repealed_provision_says_so(client, act):
    html = client.get("/findings/a-finding/").content.decode()
    assert "(Repealed by First amendment)" in html
    assert html.count('class="provision-standing"') == 1  # Art. 1 is unchanged


# -- the API ------------------------------------------------------------------------------


def api(client, act, path="", **params):
    response = client.get(f"/api/v1/frameworks/{act.translation_key}/{path}", params)
    return response


def test_the_api_gives_versions_and_each_provisions_dates_and_changes(client, act):
    data = api(client, act).json()["framework"]
    assert [v["key"] for v in data["versions"]] == ["original", "amend-1", "amend-2"]
    assert data["versions"][2]["in_force"] is None
    art2 = data["provisions"][1]
    assert art2["previous_codes"] == ["Art. 2a"]
    assert art2["changes"][0]["change"] == "renumbered"
    assert data["provisions"][0]["applies_from"] == "2025-02-02"


def test_the_api_as_of_and_changed_since(client, act):
    nodes = api(client, act, "provisions/", as_of="2026-08-02").json()
    assert [(n["code"], n["state"]) for n in nodes] == [("Art. 1", "applies"), ("Art. 2", "applies")]
    assert api(client, act, "provisions/", as_of="02/08/2026").status_code == 400
    assert len(api(client, act, "provisions/", changed_since="2000-01-01").json()) == 6
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert api(client, act, "provisions/", changed_since=future).json() == []
    provision = act.provisions.get(code="Art. 6")
    provision.title = "Transitional rule, renamed"
    provision.save()
    changed = api(client, act, "provisions/", changed_since=provision.changed_at.isoformat()).json()
    assert [n["code"] for n in changed] == ["Art. 6"]


def test_a_lookup_by_a_former_code_redirects_to_the_current_one(client, act):
    current = api(client, act, "provisions/art-2/")
    assert current.status_code == 200 and current.json()["code"] == "Art. 2"
    old = api(client, act, "provisions/Art.%202a/")
    assert old.status_code == 301
    assert old["Location"].endswith(f"/api/v1/frameworks/{act.translation_key}/provisions/art-2/")
    missing = api(client, act, "provisions/art-99/")
    assert missing.status_code == 404 and "art-99" in json.dumps(missing.json())


def test_the_api_says_what_changed_between_versions(client, act):
    data = api(client, act, "changes/", from_version="original", to_version="amend-1").json()
    assert data["from"] == "original" and data["to"] == "amend-1"
    assert [(c["code"], c["change"]) for c in data["changes"]] == [
        ("Art. 2", "renumbered"),
        ("Art. 3", "repealed"),
        ("Art. 4", "amended"),
    ]
    assert api(client, act, "changes/").json()["changes"][0]["code"] == "Art. 5"
    bad = api(client, act, "changes/", to_version="nope")
    assert bad.status_code == 400 and "nope" in json.dumps(bad.json())


# -- crosswalk relations -------------------------------------------------------------------


def test_a_crosswalk_read_the_other_way_round_gives_the_converse_relation(client, act):
    other = FrameworkPage.objects.get(slug="other-code")
    forward = client.get("/api/v1/crosswalks/", {"source": str(act.translation_key)}).json()[0]
    assert forward["mappings"][0]["relation"] == "subset_of"
    assert forward["mappings"][0]["rationale"] == "semantic" and forward["mappings"][0]["strength"] == 8
    backward = client.get("/api/v1/crosswalks/", {"source": str(other.translation_key)}).json()[0]
    assert backward["reversed"] is True
    assert backward["mappings"][0]["relation"] == "superset_of"
    html = client.get("/frameworks/other-code/compare/test-act/").content.decode()
    assert "Superset of" in html


def test_coverage_counts_related_and_wholly_covered_provisions(client, act):
    html = client.get("/frameworks/test-act/compare/other-code/").content.decode()
    # Art. 1 is a subset of 1 (related and covered); Art. 4 was examined and is not related.
    assert "1 of 6 provisions of Test Act relate to Other Code (17%), 1 wholly covered" in html
    assert "1 of 2 provisions of Other Code relate to Test Act (50%), 0 wholly covered" in html


# -- the files -----------------------------------------------------------------------------


def test_export_import_export_is_byte_identical(tmp_path, act):
    first, second = tmp_path / "one", tmp_path / "two"
    call_command("export_records", str(first), stdout=io.StringIO())
    call_command("import_records", str(first), stdout=io.StringIO(), stderr=io.StringIO())
    call_command("export_records", str(second), stdout=io.StringIO())
    names = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert names == sorted(p.relative_to(second) for p in second.rglob("*.yaml"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    exported = "".join(p.read_text() for p in first.rglob("*.yaml"))
    assert "format: portal-records/2" in exported
    assert "old_code: Art. 2a" in exported and "relation: subset_of" in exported


def test_a_format_1_file_still_imports_with_its_relations_re_expressed(tmp_path, indexes):
    old = (
        ACT.replace("portal-records/2", "portal-records/1").split("      versions:")[0].rstrip()
        + """
      provisions:
        - {level: 1, type: article, code: Art. 1, title: Scope}
        - {level: 1, type: article, code: Art. 3, title: Old duty}
        - {level: 1, type: article, code: Art. 4, title: High-risk duties}
  - kind: framework
    slug: other-code
    title: Other Code
    summary: A code of practice.
    publication_date: 2024-01-01
    framework:
      provisions:
        - {level: 1, code: "1", title: One}
        - {level: 1, code: "2", title: Two}
crosswalks:
  - slug: act-to-code
    title: Test Act to Other Code
    source: test-act
    target: other-code
    mappings:
      - {source: Art. 1, target: "1", relation: equivalent}
      - {source: Art. 3, target: "1", relation: partial}
      - {source: Art. 4, target: "2", relation: related}
"""
    )
    load(tmp_path, old, "old.yaml")
    mappings = CrosswalkMapping.objects.order_by("sort_order")
    assert [(m.relation, m.rationale) for m in mappings] == [
        ("equal", "semantic"),
        ("intersects_with", "semantic"),
        ("intersects_with", "functional"),
    ]


def test_a_format_1_file_with_a_key_of_format_2_is_refused(tmp_path, indexes):
    report = import_errors(tmp_path, ACT.replace("portal-records/2", "portal-records/1"))
    assert (
        "records[0].framework: Additional properties are not allowed ('changes', 'versions' were unexpected)" in report
    )


@pytest.mark.parametrize(
    "before, after, message",
    [
        (
            "change: renumbered, old_code: Art. 2a",
            "change: renumbered, old_code: Art. 3",
            "records[0].framework.changes[0].old_code: the old code 'Art. 3' collides with the provision 'Art. 3'",
        ),
        (
            "title: First amendment, identifier: Act 2026/1, adopted: 2026-07-08",
            "title: First amendment, identifier: Act 2026/1, adopted: 2020-07-08",
            "records[0].framework.versions[1].adopted: this amendment is dated 2020-07-08, before the version it "
            "follows ('original', 2024-06-13)",
        ),
        (
            "published: 2026-07-24, in_force: 2026-07-27",
            "published: 2026-07-24, in_force: 2026-07-01",
            "records[0].framework.versions[1].in_force: in force 2026-07-01 is before published 2026-07-24",
        ),
        (
            "applies_from: 2024-08-01,",
            "applies_from: 2026-02-01,",
            "records[0].framework.provisions[5].applies_until: applies until 2026-01-01 is before applies from",
        ),
        (
            "{version: amend-2, code: Art. 5",
            "{version: amend-9, code: Art. 5",
            "records[0].framework.changes[3].version: there is no version 'amend-9' in this framework",
        ),
        (
            "relation: subset_of, rationale: semantic",
            "relation: identical, rationale: semantic",
            "crosswalks[0].mappings[0].relation: 'identical' is not one of",
        ),
        (
            "relation: not_related, rationale: functional",
            "relation: not_related, rationale: gut feeling",
            "crosswalks[0].mappings[1].rationale: 'gut feeling' is not one of",
        ),
        ("strength: 8", "strength: 11", "crosswalks[0].mappings[0].strength: 11 is greater than the maximum of 10"),
    ],
)
def test_bad_history_in_a_file_is_named_and_nothing_changes(tmp_path, act, before, after, message):
    assert before in ACT
    report = import_errors(tmp_path, ACT.replace(before, after))
    assert message in report
    act.refresh_from_db()
    assert act.versions.count() == 3 and act.provision_changes.count() == 4
    assert CrosswalkMapping.objects.first().relation == "subset_of"


# -- the admin -----------------------------------------------------------------------------


def edit_form(page, versions=(), provisions=(), changes=()):
    return nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "summary": page.summary,
            "publication_date": page.publication_date.isoformat(),
            "body": streamfield([]),
            "sharing_level": page.sharing_level,
            "status": "in_force",
            "legal_effect": "binding",
            "versions": inline_formset(list(versions)),
            "provisions": inline_formset(list(provisions)),
            "provision_changes": inline_formset(list(changes)),
            "external_ids": inline_formset([]),
            "links": inline_formset([]),
            "intro": rich_text(""),
        }
    )


def version(key, **dates):
    return {"key": key, "kind": "amendment", "title": key.title(), "identifier": "", "source_url": "", "note": ""} | {
        name: dates.get(name, "") for name in ("adopted", "published", "in_force", "applies_from", "withdrawn")
    }


def provision(code, **extra):
    return {"level": 1, "provision_type": "article", "code": code, "title": code, "text": ""} | {
        "applies_from": extra.get("applies_from", ""),
        "applies_until": extra.get("applies_until", ""),
    }


def change(version_key, code, kind="amended", old_code="", applies_from=""):
    return {
        "version": version_key,
        "code": code,
        "change": kind,
        "note": "",
        "old_code": old_code,
        "applies_from": applies_from,
    }


@pytest.mark.parametrize(
    "versions, provisions, changes, message",
    [
        (
            [version("one", adopted="2024-06-13"), version("two", adopted="2023-01-01")],
            [provision("Art. 1")],
            [],
            "This amendment is dated 2023-01-01, before the version it follows (&#x27;one&#x27;, 2024-06-13)",
        ),
        (
            [version("one", adopted="2024-06-13"), version("two", adopted="2025-01-01")],
            [provision("Art. 1"), provision("Art. 2")],
            [change("two", "Art. 2", "renumbered", old_code="Art 1")],
            "The old code &#x27;Art 1&#x27; collides with the provision &#x27;Art. 1&#x27;",
        ),
        (
            [version("one", adopted="2024-06-13", published="2024-06-01")],
            [provision("Art. 1")],
            [],
            "Published 2024-06-01 is before adopted 2024-06-13",
        ),
        (
            [version("one")],
            [provision("Art. 1", applies_from="2026-01-01", applies_until="2025-01-01")],
            [],
            "Applies until 2025-01-01 is before applies from 2026-01-01",
        ),
        (
            [version("one")],
            [provision("Art. 1")],
            [change("zwei", "Art. 1")],
            "There is no version &#x27;zwei&#x27; in this framework",
        ),
    ],
)
def test_the_admin_form_names_what_is_wrong_and_stores_nothing(
    admin_client, indexes, versions, provisions, changes, message
):
    from tests.factories import FrameworkFactory

    page = FrameworkFactory(parent=indexes["framework"], slug="formed", title="Formed")
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = admin_client.post(url, edit_form(page, versions, provisions, changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    page.refresh_from_db()
    assert page.versions.count() == 0 and page.latest_revision is None or not page.versions.exists()


def test_the_admin_form_saves_a_good_history(admin_client, indexes):
    from tests.factories import FrameworkFactory

    page = FrameworkFactory(parent=indexes["framework"], slug="formed", title="Formed")
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    data = edit_form(
        page,
        [version("one", adopted="2024-06-13", in_force="2024-08-01"), version("two", adopted="2026-01-01")],
        [provision("Art. 1", applies_from="2025-02-02"), provision("Art. 2")],
        [change("two", "Art. 2", "renumbered", old_code="Art. 1a")],
    )
    data["action-publish"] = "action-publish"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = FrameworkPage.objects.get(pk=page.pk)
    assert [v.key for v in page.versions.all()] == ["one", "two"]
    assert page.provision_changes.get().old_code == "Art. 1a"


# -- followers and mirrors learn of amendments ------------------------------------------------


def test_an_amendment_is_a_change_of_the_framework_record(tmp_path, act):
    before = Change.objects.filter(record_uuid=act.translation_key).count()
    amended = ACT.replace(
        "        - {key: amend-2, kind: amendment, title: Second amendment, adopted: 2026-11-01}",
        "        - {key: amend-2, kind: amendment, title: Second amendment, adopted: 2026-11-01, in_force: 2026-12-01}",
    )
    load(tmp_path, amended, "amended.yaml")
    assert Change.objects.filter(record_uuid=act.translation_key).count() == before + 1


def test_the_curated_eu_ai_act_reads_its_dates_from_fields(indexes):
    curated = Path(__file__).resolve().parents[2] / "data" / "curated"
    call_command(
        "import_records",
        str(curated / "taxonomy.yaml"),
        str(curated / "frameworks" / "eu-ai-act.yaml"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    act = FrameworkPage.objects.get(slug="eu-ai-act")
    timeline = Timeline(act)
    art5 = act.provisions.get(code="Art. 5")
    assert art5.applies_from == day("2025-02-02")
    assert timeline.standing(art5, day("2025-02-02")).applies
    assert len(timeline.versions) >= 2


def test_the_migration_re_expresses_stored_mappings_by_the_documented_rule(tmp_path, act):
    """Migration 0003's rule, run on mappings stored in the old vocabulary (as they were before)."""
    import importlib

    from django.apps import apps as registry

    migration = importlib.import_module("frameworks.migrations.0003_framework_history")
    first, second = CrosswalkMapping.objects.order_by("sort_order")
    CrosswalkMapping.objects.filter(pk=first.pk).update(relation="equivalent", rationale="functional")
    CrosswalkMapping.objects.filter(pk=second.pk).update(relation="related", rationale="semantic")
    migration.re_express(registry, None)
    assert [(m.relation, m.rationale) for m in CrosswalkMapping.objects.order_by("sort_order")] == [
        ("equal", "semantic"),
        ("intersects_with", "functional"),
    ]
    assert migration.OLD_RELATIONS == OLD_RELATIONS  # the rule format 1 files are read by


def test_a_treaty_adopted_but_not_yet_in_force_says_so(client, tmp_path, indexes):
    """A framework adopted but not yet in force (a convention awaiting ratifications) is neither a
    draft for consultation nor in force: its status says which it is, on the page and in the API."""
    treaty = load(tmp_path, ACT.replace("status: in_force", "status: adopted"))
    assert treaty.get_status_display() == "Adopted, not yet in force"
    page = client.get(treaty.url)
    assert "Adopted, not yet in force" in page.content.decode()
    body = client.get(f"/api/v1/records/{treaty.translation_key}/").json()
    fields = body["framework"]
    assert (fields["status"], fields["status_label"]) == ("adopted", "Adopted, not yet in force")
