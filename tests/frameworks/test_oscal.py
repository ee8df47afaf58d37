"""OSCAL: frameworks as catalogs and crosswalks as mapping collections (API and files), checked
with compliance-trestle, and catalogs imported as new frameworks."""

import datetime
import json
from io import StringIO

import pytest
from trestle.oscal.catalog import Catalog
from trestle.oscal.mapping import MappingCollection

from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frameworks.models import FrameworkPage, Provision
from frameworks.oscal import MEDIA_TYPE, NS
from portal.models import RecordChange
from tests.factories import (
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FrameworkFactory,
    OrganisationFactory,
    ProvisionFactory,
)

pytestmark = pytest.mark.django_db

RMF = [
    (1, "function", "GOVERN", "Govern", "A culture of risk management is cultivated."),
    (2, "category", "GOVERN 1", "Policies", ""),
    (3, "subcategory", "GOVERN 1.1", "Legal requirements", "Legal and regulatory requirements are understood."),
    (3, "subcategory", "GOVERN 1.2", "Trustworthy characteristics", ""),
    (1, "function", "MAP", "Map", "Context is established."),
]
ISO = [
    (1, "clause", "4", "Context of the organization", ""),
    (2, "clause", "4.1", "Understanding the organization", "Determine external and internal issues."),
    (1, "clause", "6", "Planning", ""),
    (2, "clause", "6.1", "Actions to address risks", ""),
    (3, "clause", "6.1.1", "General", "Plan actions."),
    (2, "clause", "6.2", "AI objectives", ""),
    (1, "control", "A.2", "Policies related to AI", ""),
    (2, "control", "A.2.2", "AI policy", "Document a policy for AI."),
    (1, "risk", "LLM01:2025", "Prompt injection", ""),
]


def provisions(framework, rows):
    made = {}
    for i, (level, kind, code, title, text) in enumerate(rows):
        made[code] = ProvisionFactory(
            framework=framework, level=level, provision_type=kind, code=code, title=title, text=text, sort_order=i
        )
    return made


@pytest.fixture
def world(indexes):
    nist = OrganisationFactory(slug="nist", name="National Institute of Standards and Technology", acronym="NIST")
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="AI RMF", version="1.0", issuing_body=nist)
    iso = FrameworkFactory(parent=indexes["framework"], slug="iso", title="ISO/IEC 42001")
    hidden = FrameworkFactory(parent=indexes["framework"], slug="hidden", title="Hidden", sharing_level="TLP:RED")
    p, q = provisions(rmf, RMF), provisions(iso, ISO)
    Provision.objects.filter(pk=p["GOVERN 1.1"].pk).update(applies_from=datetime.date(2024, 1, 1))
    h = provisions(hidden, [(1, "article", "Art. 1", "Secret", "")])
    crosswalk = CrosswalkFactory(slug="rmf-iso", title="RMF to ISO", source_framework=rmf, target_framework=iso)
    for i, (left, relation, rationale, right, extra) in enumerate(
        [
            ("GOVERN 1.1", "equal", "syntactic", "4.1", {}),
            ("GOVERN 1.1", "equal", "semantic", "A.2.2", {}),
            ("GOVERN 1.2", "subset_of", "functional", "6.1.1", {"strength": 7, "note": "Narrower.", "source": "p. 4"}),
            ("GOVERN", "intersects_with", "semantic", "4.1", {}),  # a heading: not mappable in OSCAL
        ]
    ):
        CrosswalkMappingFactory(
            crosswalk=crosswalk,
            source_provision=p[left],
            target_provision=q[right],
            relation=relation,
            rationale=rationale,
            sort_order=i,
            **extra,
        )
    secret = CrosswalkFactory(slug="rmf-hidden", source_framework=rmf, target_framework=hidden)
    CrosswalkMappingFactory(crosswalk=secret, source_provision=p["MAP"], target_provision=h["Art. 1"])
    return {"rmf": rmf, "iso": iso, "hidden": hidden, "crosswalk": crosswalk}


def catalog_url(framework):
    return f"/api/v1/frameworks/{framework.translation_key}/oscal/"


def elements(node):
    """Every group and control under ``node``, depth first, as (kind, element)."""
    for kind in ("groups", "controls"):
        for element in node.get(kind, []):
            yield kind, element
            yield from elements(element)


def read_with_trestle(tmp_path, name, content, model):
    path = tmp_path / f"{name}.json"
    path.write_bytes(content)
    return model.oscal_read(path)


def test_every_framework_and_crosswalk_is_an_oscal_document_trestle_reads(client, world, tmp_path):
    for name in ("rmf", "iso"):
        response = client.get(catalog_url(world[name]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(MEDIA_TYPE)
        parsed = read_with_trestle(tmp_path, name, response.content, Catalog)
        assert str(parsed.metadata.oscal_version.root.root).startswith("1.2")
    response = client.get("/api/v1/crosswalks/rmf-iso/oscal/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    collection = read_with_trestle(tmp_path, "rmf-iso", response.content, MappingCollection)
    assert len(collection.mappings[0].maps) == 3


def test_catalog_nests_the_provision_tree_with_ids_from_codes(client, world):
    rmf = client.get(catalog_url(world["rmf"])).json()["catalog"]
    found = {element["id"]: (kind, element) for kind, element in elements(rmf)}
    assert list(found) == ["GOVERN", "GOVERN_1", "GOVERN_1.1", "GOVERN_1.2", "MAP"]
    kind, control = found["GOVERN_1.1"]
    assert kind == "controls" and control["class"] == "subcategory"
    props = {(p["name"], p.get("ns")): p["value"] for p in control["props"]}
    assert props[("label", None)] == "GOVERN 1.1"
    assert props[("sort-id", None)] == "00003"
    assert props[("applies-from", NS)] == "2024-01-01"
    assert control["parts"] == [
        {"id": "GOVERN_1.1_smt", "name": "statement", "prose": "Legal and regulatory requirements are understood."}
    ]
    assert found["GOVERN"][0] == "groups" and found["GOVERN"][1]["parts"][0]["name"] == "overview"
    assert found["MAP"][0] == "controls"  # a function with nothing under it is a control
    party = rmf["metadata"]["parties"][0]
    assert party["name"] == "National Institute of Standards and Technology" and party["short-name"] == "NIST"

    iso = client.get(catalog_url(world["iso"])).json()["catalog"]
    kinds = {element["id"]: kind for kind, element in elements(iso)}
    # '6' holds a heading (6.1) beside a leaf (6.2): a group cannot hold both, so both are controls,
    # 6.1 with 6.1.1 nested; a control keeps its nested controls (A.2.2 in A.2).
    assert kinds == {
        "_4": "groups",
        "_4.1": "controls",
        "_6": "groups",
        "_6.1": "controls",
        "_6.1.1": "controls",
        "_6.2": "controls",
        "A.2": "controls",
        "A.2.2": "controls",
        "LLM01_2025": "controls",
    }


def test_mapping_collection_carries_relations_rationale_strength_and_gaps(client, world):
    document = client.get("/api/v1/crosswalks/rmf-iso/oscal/").json()["mapping-collection"]
    mapping = document["mappings"][0]
    assert mapping["source-resource"] == {"type": "catalog", "href": "http://testserver" + catalog_url(world["rmf"])}
    assert mapping["target-resource"]["href"].endswith(catalog_url(world["iso"]))
    maps = [
        (m["sources"][0]["id-ref"], m["relationship"], m["matching-rationale"], m["targets"][0]["id-ref"])
        for m in mapping["maps"]
    ]
    assert maps == [
        ("GOVERN_1.1", "equal-to", "syntactic", "_4.1"),
        ("GOVERN_1.1", "equivalent-to", "semantic", "A.2.2"),
        ("GOVERN_1.2", "subset-of", "functional", "_6.1.1"),
    ]
    narrower = mapping["maps"][2]
    assert {"name": "strength", "value": "7", "ns": NS} in narrower["props"]
    assert narrower["remarks"] == "Narrower.\n\nSource: p. 4"
    assert "GOVERN → 4.1" in mapping["remarks"]
    assert mapping["source-gap-summary"]["unmapped-controls"] == [{"with-ids": ["MAP"]}]
    assert mapping["target-gap-summary"]["unmapped-controls"] == [{"with-ids": ["_6.1", "_6.2", "A.2", "LLM01_2025"]}]
    assert document["provenance"]["matching-rationale"] in {"syntactic", "semantic", "functional"}


def test_exports_are_the_same_document_each_time(client, world):
    for url in (catalog_url(world["rmf"]), "/api/v1/crosswalks/rmf-iso/oscal/"):
        assert client.get(url).content == client.get(url).content
    assert client.get(catalog_url(world["rmf"])).json()["catalog"]["uuid"] != str(world["rmf"].translation_key)


def test_a_framework_the_caller_may_not_see_has_no_catalog(client, world, django_user_model):
    assert client.get(catalog_url(world["hidden"])).status_code == 404
    client.force_login(django_user_model.objects.create_user("petra", "petra@example.org", "pw"))
    assert client.get(catalog_url(world["hidden"])).status_code == 404
    assert client.get("/api/v1/crosswalks/rmf-hidden/oscal/").status_code == 404
    assert client.get("/api/v1/crosswalks/rmf-iso/oscal/").status_code == 200
    assert client.get("/api/v1/frameworks/00000000-0000-4000-8000-000000000000/oscal/").status_code == 404


def test_oscal_answers_take_a_fixed_number_of_queries(client, world):
    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count(catalog_url(world["rmf"]))  # warm Wagtail's cache of the site roots
    before = (count(catalog_url(world["rmf"])), count("/api/v1/crosswalks/rmf-iso/oscal/"))
    rmf, iso = world["rmf"], world["iso"]
    more = provisions(rmf, [(2, "category", f"MAP {i}", f"Map {i}", "Text.") for i in range(1, 30)])
    targets = provisions(iso, [(1, "clause", f"{i}", f"Clause {i}", "") for i in range(10, 30)])
    for i, code in enumerate(targets):
        CrosswalkMappingFactory(
            crosswalk=world["crosswalk"], source_provision=more[f"MAP {i + 1}"], target_provision=targets[code]
        )
    assert (count(catalog_url(rmf)), count("/api/v1/crosswalks/rmf-iso/oscal/")) == before


def test_a_crosswalk_with_nothing_mappable_answers_404_with_the_reason(client, world):
    world["crosswalk"].mappings.exclude(source_provision__code="GOVERN").delete()
    response = client.get("/api/v1/crosswalks/rmf-iso/oscal/")
    assert response.status_code == 404
    assert "needs at least one" in response.json()["error"]["message"]


def test_schema_lists_the_oscal_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content.decode()
    assert "/api/v1/frameworks/{uuid}/oscal/" in schema
    assert "/api/v1/crosswalks/{slug}/oscal/" in schema
    assert MEDIA_TYPE in schema


# -- files and import ---------------------------------------------------------------------------


def _ids(catalog):
    return [(kind, e["id"], e["title"], e.get("class"), e.get("parts"), e["props"]) for kind, e in elements(catalog)]


def test_a_catalog_round_trips_through_files_and_import(world, tmp_path):
    call_command("oscal_export", str(tmp_path / "out"), framework=["rmf", "iso"])
    first = json.loads((tmp_path / "out" / "catalogs" / "iso.json").read_text())
    assert (tmp_path / "out" / "mappings" / "rmf-iso.json").exists()
    Catalog.oscal_read(tmp_path / "out" / "catalogs" / "iso.json")
    MappingCollection.oscal_read(tmp_path / "out" / "mappings" / "rmf-iso.json")

    call_command(
        "oscal_import", str(tmp_path / "out" / "catalogs" / "iso.json"), slug="iso-copy", sharing_level="TLP:CLEAR"
    )
    copy = FrameworkPage.objects.get(slug="iso-copy")
    assert copy.live and copy.title == "ISO/IEC 42001" and copy.sharing_level == "TLP:CLEAR"
    assert RecordChange.objects.filter(record_uuid=copy.translation_key).exists()  # the change log saw it
    call_command("oscal_export", str(tmp_path / "again"), framework=["iso-copy"])
    second = json.loads((tmp_path / "again" / "catalogs" / "iso-copy.json").read_text())
    assert _ids(second["catalog"]) == _ids(first["catalog"])
    assert [(p.level, p.code) for p in copy.provisions.all()] == [(level, code) for level, _, code, _, _ in ISO]


def test_the_same_catalog_is_not_imported_twice(world, tmp_path):
    call_command("oscal_export", str(tmp_path), framework=["rmf"])
    path = str(tmp_path / "catalogs" / "rmf.json")
    call_command("oscal_import", path, slug="rmf-copy")
    with pytest.raises(CommandError):
        call_command("oscal_import", path, slug="rmf-other")
    with pytest.raises(CommandError):
        call_command("oscal_import", str(tmp_path / "catalogs" / "rmf.json"), slug="iso")
    assert not FrameworkPage.objects.filter(slug="rmf-other").exists()


def nist_like_catalog(**changes):
    """A small catalog in the shapes NIST's SP 800-53 catalog uses: families as groups, controls
    with two labels, parameters, a statement with lettered items, an enhancement nested."""
    control = {
        "id": "xx-1",
        "class": "SP800-53",
        "title": "Policy",
        "params": [{"id": "xx-1_prm_1", "label": "people to tell"}],
        "props": [
            {"name": "label", "value": "XX-01", "class": "zero-padded"},
            {"name": "label", "value": "XX-1"},
            {"name": "sort-id", "value": "xx-01"},
        ],
        "parts": [
            {
                "id": "xx-1_smt",
                "name": "statement",
                "parts": [
                    {
                        "id": "xx-1_smt.a",
                        "name": "item",
                        "props": [{"name": "label", "value": "a."}],
                        "prose": "Tell {{ insert: param, xx-1_prm_1 }} about it.",
                    },
                    {"id": "xx-1_smt.b", "name": "item", "props": [{"name": "label", "value": "b."}], "prose": "Act."},
                ],
            },
            {"id": "xx-1_gdn", "name": "guidance", "prose": "Background only."},
        ],
        "controls": [{"id": "xx-1.1", "title": "Enhancement", "props": [{"name": "label", "value": "XX-1(1)"}]}],
    }
    catalog = {
        "uuid": "3d1e2c55-6a0b-4f7e-9c11-7f1f0b9d0a42",
        "metadata": {
            "title": "Example Control Catalog",
            "last-modified": "2024-02-13T17:43:40Z",
            "version": "5.1",
            "oscal-version": "1.1.2",
            "links": [{"href": "https://example.org/catalog", "rel": "reference"}],
        },
        "groups": [{"id": "xx", "class": "family", "title": "Example Family", "controls": [control]}],
    }
    catalog.update(changes)
    return {"catalog": catalog}


def write(tmp_path, document, name="catalog.json"):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_a_nist_style_catalog_imports_as_a_new_framework(indexes, tmp_path):
    call_command("oscal_import", write(tmp_path, nist_like_catalog()), draft=True)
    page = FrameworkPage.objects.get(slug="example-control-catalog")
    assert not page.live  # a draft: its content is in its latest revision
    framework = page.get_latest_revision_as_object()
    assert framework.version == "5.1" and framework.source_url == "https://example.org/catalog"
    assert framework.publication_date == datetime.date(2024, 2, 13)
    rows = [(p.level, p.provision_type, p.code, p.title, p.text) for p in framework.provisions.all()]
    assert rows == [
        (1, "section", "xx", "Example Family", ""),
        (2, "control", "XX-1", "Policy", "a. Tell [Assignment: people to tell] about it.\n\nb. Act."),
        (3, "control", "XX-1(1)", "Enhancement", ""),
    ]


def csf_like_catalog():
    """Laid out as NIST's electronic CSF 2.0 catalog is: the OSCAL version written with a 'v', and
    labels that give a title with the identifier in brackets ('Organizational Context (GV.OC)')."""

    def label(value, sort_id):
        return [{"name": "sort-id", "value": sort_id}, {"name": "label", "value": value}]

    subcategory = {
        "id": "GV.OC-01",
        "class": "subcategory",
        "title": "GV.OC-01",
        "props": label("GV.OC-01", "00001.00001.00001"),
        "parts": [{"id": "GV.OC-01_statement", "name": "statement", "prose": "The mission is understood."}],
    }
    withdrawn = {
        "id": "ID.BE",
        "class": "category",
        "title": "Business Environment",
        "props": [*label("Business Environment (ID.BE)", "00002.00001"), {"name": "status", "value": "withdrawn"}],
        "links": [{"href": "#GV.OC", "rel": "moved-to"}],
        "controls": [{"id": "ID.BE-01", "title": "ID.BE-01", "props": [{"name": "status", "value": "withdrawn"}]}],
    }
    category = {
        "id": "GV.OC",
        "class": "category",
        "title": "Organizational Context",
        "props": label("A category title long enough to pass sixty characters (GV.OC)", "00001.00001"),
        "controls": [subcategory],
    }
    # NIST's file lists categories alphabetically; their sort-ids give the framework's own order.
    oversight = {
        "id": "GV.OV",
        "class": "category",
        "title": "Oversight",
        "props": label("Oversight (GV.OV)", "00001.00002"),
    }
    function = {"id": "GV", "class": "function", "title": "GOVERN", "props": label("GOVERN (GV)", "00001")}
    metadata = {"title": "Electronic Framework 2.0", "last-modified": "2026-05-11T16:01:09Z", "version": "1.2.0"}
    return {
        "catalog": {
            "uuid": "720a010b-253c-4a94-bb65-cb58400966f6",
            "metadata": {**metadata, "oscal-version": "v1.2.2"},
            "groups": [{**function, "controls": [oversight, withdrawn, category]}],
        }
    }


def test_a_catalog_laid_out_as_nists_csf_catalog_imports_with_its_identifiers_as_codes(indexes, tmp_path):
    """Withdrawn controls (status 'withdrawn', as NIST marks CSF 1.1's and SP 800-53's) are left
    out, and the command says which; siblings come in the order of their sort-ids; a version
    number in the title stays readable in the slug."""
    out = StringIO()
    call_command("oscal_import", write(tmp_path, csf_like_catalog()), stdout=out)
    assert "Left out 2 withdrawn controls: ID.BE, ID.BE-01." in out.getvalue()
    framework = FrameworkPage.objects.get(slug="electronic-framework-2-0")  # not "...-20"
    rows = [(p.level, p.provision_type, p.code, p.title) for p in framework.provisions.all()]
    assert rows == [
        (1, "function", "GV", "GOVERN"),
        (2, "category", "GV.OC", "Organizational Context"),
        (3, "subcategory", "GV.OC-01", "GV.OC-01"),
        (2, "category", "GV.OV", "Oversight"),
    ]


def deep_groups(depth):
    group = {"id": f"g{depth}", "title": "Deepest"}
    for level in range(depth - 1, 0, -1):
        group = {"id": f"g{level}", "title": f"Level {level}", "groups": [group]}
    return group


HOSTILE = {
    "wrong OSCAL version": (
        nist_like_catalog(metadata={**nist_like_catalog()["catalog"]["metadata"], "oscal-version": "1.0.4"}),
        "'1.0.4' is not supported",
    ),
    "duplicate ids": (
        nist_like_catalog(controls=[{"id": "xx-1", "title": "Again"}]),
        "the id 'xx-1' is also used at catalog.groups.0.controls.0",
    ),
    "provisions nested too deep": (nist_like_catalog(groups=[deep_groups(7)]), "the portal holds 6 levels"),
    "JSON nested too deep": ('{"catalog": ' + "[" * 5000 + "]" * 5000 + "}", "nested"),
    "not JSON": ("{catalog: }", "is not valid JSON"),
    "not a catalog": ({"profile": {}}, "is not an OSCAL catalog"),
    "a control without a title": (nist_like_catalog(controls=[{"id": "yy-1"}]), "catalog.controls.0.title"),
    "a title too long for a provision": (
        nist_like_catalog(controls=[{"id": "yy-1", "title": "x" * 600}]),
        "its title is 600 characters",
    ),
    "no provisions": (nist_like_catalog(groups=None), "has no groups or controls"),
    "a title that gives no slug": (
        nist_like_catalog(metadata={**nist_like_catalog()["catalog"]["metadata"], "title": "!!!"}),
        "gives no slug: name one with --slug",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_bad_catalog_is_refused_with_a_clear_report_and_nothing_stored(indexes, tmp_path, capsys, case):
    document, message = HOSTILE[case]
    if isinstance(document, dict) and document.get("catalog", {}).get("groups", "") is None:
        del document["catalog"]["groups"]
    before = (FrameworkPage.objects.count(), Provision.objects.count())
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("oscal_import", write(tmp_path, document))
    assert message in capsys.readouterr().err
    assert (FrameworkPage.objects.count(), Provision.objects.count()) == before


def test_a_huge_catalog_is_refused_before_it_is_read(indexes, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("frameworks.oscal_import.MAX_FILE_BYTES", 2**20)
    padded = json.dumps(nist_like_catalog()) + " " * 2**21
    with pytest.raises(CommandError):
        call_command("oscal_import", write(tmp_path, padded))
    assert "is 2 MB; catalogs over 1 MB are refused" in capsys.readouterr().err
    assert not FrameworkPage.objects.exists()


def test_the_export_command_keeps_to_the_sharing_levels_asked_for(world, tmp_path):
    call_command("oscal_export", str(tmp_path), sharing_level=["TLP:RED"])
    assert sorted(p.name for p in tmp_path.rglob("*.json")) == ["hidden.json"]  # no crosswalk without its pair
    with pytest.raises(CommandError, match="No framework nope"):
        call_command("oscal_export", str(tmp_path), framework=["nope"])


def test_a_title_with_underscores_gives_a_slug_the_record_files_accept(indexes, tmp_path):
    """Django's slugify keeps underscores, which a record's slug may not hold: the import was
    refused with a generic slug error for a title such as NIST's "NIST_SP-800-53_rev5"."""
    metadata = {**nist_like_catalog()["catalog"]["metadata"], "title": "NIST_SP 800-53 Rev 5"}
    call_command("oscal_import", write(tmp_path, nist_like_catalog(metadata=metadata)))
    assert FrameworkPage.objects.filter(slug="nist-sp-800-53-rev-5").exists()
