"""Checks on the curated dataset in data/curated and on the record-file JSON Schema.

These tests read files only; they need no database.
"""

import copy
import datetime
import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "data" / "schema" / "records.schema.json"
CURATED = ROOT / "data" / "curated"

MINIMUM_COUNTS = {"framework": 25, "finding": 120, "lesson": 50}
MINIMUM_CROSSWALKS = 5


class _StringDateLoader(yaml.SafeLoader):
    """Keeps dates as the strings they are in the file, as a JSON document would."""


_StringDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_document(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_StringDateLoader)  # noqa: S506 - a SafeLoader subclass


def provision_anchor(code):
    """The same rule as frameworks.models.pages.provision_anchor: 'GOVERN 1.1' -> 'govern-1-1'."""
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-") or "provision"


CURATED_FILES = sorted(p for p in CURATED.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema):
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def documents():
    return {path: load_document(path) for path in CURATED_FILES}


@pytest.fixture(scope="module")
def records(documents):
    return [record for doc in documents.values() for record in doc.get("records", [])]


@pytest.fixture(scope="module")
def crosswalks(documents):
    return [crosswalk for doc in documents.values() for crosswalk in doc.get("crosswalks", [])]


@pytest.fixture(scope="module")
def terms(documents):
    sections = ("topics", "sectors", "jurisdictions", "organisations", "languages")
    return {section: [t for doc in documents.values() for t in doc.get(section, [])] for section in sections}


@pytest.fixture(scope="module")
def provision_codes(records):
    return {
        r["slug"]: {p["code"] for p in r["framework"].get("provisions", [])}
        for r in records
        if r["kind"] == "framework"
    }


def test_schema_is_a_valid_draft_2020_12_schema(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_curated_folder_has_files():
    assert CURATED_FILES, "data/curated holds no YAML or JSON files"


@pytest.mark.parametrize("path", CURATED_FILES, ids=lambda p: str(p.relative_to(CURATED)))
def test_every_curated_file_validates_against_the_schema(path, validator):
    errors = sorted(validator.iter_errors(load_document(path)), key=lambda e: list(e.absolute_path))
    messages = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:10]]
    assert not errors, f"{path.relative_to(ROOT)}:\n" + "\n".join(messages)


def test_dataset_meets_the_minimum_record_counts(records, crosswalks):
    counts = Counter(r["kind"] for r in records)
    for kind, minimum in MINIMUM_COUNTS.items():
        assert counts[kind] >= minimum, f"{counts[kind]} {kind} records, need at least {minimum}"
    assert len(crosswalks) >= MINIMUM_CROSSWALKS


def test_record_slugs_are_unique_per_kind(records):
    duplicates = [key for key, n in Counter((r["kind"], r["slug"]) for r in records).items() if n > 1]
    assert not duplicates


def test_record_uuids_are_present_and_unique(records):
    missing = [r["slug"] for r in records if not r.get("uuid")]
    assert not missing, f"records without a uuid: {missing}"
    duplicates = [u for u, n in Counter(r["uuid"] for r in records).items() if n > 1]
    assert not duplicates


def test_every_record_cites_a_source_url(records):
    assert not [r["slug"] for r in records if not r.get("source_url")]


def test_every_source_address_is_a_web_address(records, crosswalks):
    cited = [(r["slug"], r["source_url"]) for r in records]
    cited += [(c["slug"], c["source_url"]) for c in crosswalks]
    cited += [
        (r["slug"], v["source_url"])
        for r in records
        for v in r.get("framework", {}).get("versions", [])
        if v.get("source_url")
    ]
    assert not [(slug, url) for slug, url in cited if not re.fullmatch(r"https?://[^\s/]+\.[^\s/]+(/\S*)?", url)]


def test_no_work_is_recorded_twice(records):
    """Two findings or lessons citing the same paper, DOI or page are one record written twice."""
    for kind in ("finding", "lesson"):
        seen = {}
        for r in (r for r in records if r["kind"] == kind):
            keys = {("url", r["source_url"].rstrip("/"))}
            keys |= {(i["scheme"], str(i["value"]).lower()) for i in r.get("identifiers", [])}
            if r.get(kind, {}).get("doi"):
                keys.add(("doi", r[kind]["doi"].lower()))
            for key in keys:
                assert key not in seen, f"{r['slug']} and {seen[key]} both cite {key}"
                seen[key] = r["slug"]


def test_arxiv_identifiers_agree_with_the_address_and_the_doi(records):
    """An arXiv paper's address, identifier and DataCite DOI (10.48550/arXiv.<id>) name the same paper."""
    for r in records:
        arxiv = {str(i["value"]) for i in r.get("identifiers", []) if i["scheme"] == "arxiv"}
        if r.get("source_url", "").startswith("https://arxiv.org/abs/"):
            assert r["source_url"].rsplit("/", 1)[1] in arxiv, f"{r['slug']}: its arXiv address has no identifier"
        dois = [str(i["value"]) for i in r.get("identifiers", []) if i["scheme"] == "doi"]
        dois += [r.get("finding", {}).get("doi") or ""]
        for doi in dois:
            if doi.lower().startswith("10.48550/arxiv."):
                assert doi.split(".", 2)[2] in arxiv, f"{r['slug']}: DOI {doi} names another arXiv paper"


def test_every_finding_has_a_citation(records):
    for r in records:
        if r["kind"] == "finding":
            finding = r["finding"]
            assert finding.get("authors"), f"{r['slug']} has no authors"
            assert finding.get("venue"), f"{r['slug']} has no venue"
            assert finding.get("doi") or r.get("source_url"), f"{r['slug']} has neither DOI nor URL"


def test_papers_cited_from_arxiv_are_dated_by_their_arxiv_month(records):
    """The dataset's rule (data/curated/README.md, "Dates"): a paper cited from arXiv is dated the
    first day of the month in its identifier (``2209.07858`` → ``2022-09-01``)."""
    wrong = []
    for r in records:
        if r.get("source_url", "").startswith("https://arxiv.org/abs/"):
            number = r["source_url"].rsplit("/", 1)[1]
            expected = f"20{number[:2]}-{number[2:4]}-01"
            if str(r["publication_date"]) != expected:
                wrong.append((r["slug"], str(r["publication_date"]), expected))
    assert not wrong


def test_every_lesson_says_what_happened_and_what_was_learned(records):
    for r in records:
        if r["kind"] == "lesson":
            lesson = r["lesson"]
            assert lesson.get("what_happened"), r["slug"]
            assert lesson.get("recommendations"), r["slug"]
            assert r.get("sectors"), f"{r['slug']} has no sector"


def test_provision_codes_are_unique_per_framework_after_anchoring(records):
    for r in records:
        if r["kind"] != "framework":
            continue
        anchors = Counter(provision_anchor(p["code"]) for p in r["framework"].get("provisions", []))
        clashes = [a for a, n in anchors.items() if n > 1]
        assert not clashes, f"{r['slug']}: codes collide as anchors {clashes}"


def test_provision_outlines_start_at_level_one_and_descend_one_level_at_a_time(records):
    for r in records:
        if r["kind"] != "framework":
            continue
        previous = 0
        for p in r["framework"].get("provisions", []):
            assert 1 <= p["level"] <= 6
            assert p["level"] <= previous + 1, f"{r['slug']} {p['code']} jumps from level {previous}"
            previous = p["level"]


def test_framework_changes_name_a_version_and_a_provision_of_their_own_framework(records):
    """A change says what one of the framework's versions did to one of its provisions; a renumbered
    provision's former code may not be the code of another provision now."""
    for r in records:
        if r["kind"] != "framework":
            continue
        framework = r["framework"]
        keys = [v["key"] for v in framework.get("versions", [])]
        assert len(keys) == len(set(keys)), f"{r['slug']}: version keys repeat"
        codes = {p["code"] for p in framework.get("provisions", [])}
        for change in framework.get("changes", []):
            assert change["version"] in keys, (r["slug"], change)
            assert change["code"] in codes, (r["slug"], change)
            if change.get("old_code"):
                assert change["old_code"] not in codes, (r["slug"], change)


def test_framework_dates_are_in_order(records):
    for r in records:
        if r["kind"] == "framework":
            start, end = r["framework"].get("effective_date"), r["framework"].get("end_date")
            if start and end:
                assert datetime.date.fromisoformat(end) >= datetime.date.fromisoformat(start), r["slug"]


def test_lesson_end_dates_are_not_before_start_dates(records):
    for r in records:
        if r["kind"] == "lesson":
            start, end = r["lesson"].get("event_date"), r["lesson"].get("event_end_date")
            if start and end:
                assert datetime.date.fromisoformat(end) >= datetime.date.fromisoformat(start), r["slug"]


def test_every_link_target_resolves_within_the_dataset(records, provision_codes):
    keys = {(r["kind"], r["slug"]) for r in records}
    for r in records:
        for link in r.get("links", []):
            target = link["target"]
            where = f"{r['kind']}/{r['slug']} -> {target}"
            assert (target["kind"], target["slug"]) in keys, f"missing record: {where}"
            if "provision" in target:
                assert target["provision"] in provision_codes[target["slug"]], f"missing provision: {where}"


def test_no_record_links_to_itself_or_repeats_a_link(records):
    for r in records:
        seen = set()
        for link in r.get("links", []):
            target = link["target"]
            is_self = (target["kind"], target["slug"]) == (r["kind"], r["slug"])
            assert not is_self or "provision" in target, r["slug"]
            key = (link["type"], target["kind"], target["slug"], target.get("provision"))
            assert key not in seen, f"{r['slug']} repeats link {key}"
            seen.add(key)


def test_findings_and_lessons_link_to_provisions(records):
    for r in records:
        if r["kind"] in {"finding", "lesson"}:
            assert any("provision" in link["target"] for link in r.get("links", [])), r["slug"]


def test_every_crosswalk_mapping_uses_codes_of_its_own_frameworks(crosswalks, provision_codes):
    for crosswalk in crosswalks:
        assert crosswalk["source"] in provision_codes, crosswalk["slug"]
        assert crosswalk["target"] in provision_codes, crosswalk["slug"]
        assert crosswalk.get("source_url"), f"{crosswalk['slug']} cites no source"
        for mapping in crosswalk["mappings"]:
            assert mapping["source"] in provision_codes[crosswalk["source"]], (crosswalk["slug"], mapping)
            assert mapping["target"] in provision_codes[crosswalk["target"]], (crosswalk["slug"], mapping)


def test_crosswalk_slugs_are_unique_and_mappings_not_repeated(crosswalks):
    assert len({c["slug"] for c in crosswalks}) == len(crosswalks)
    for crosswalk in crosswalks:
        pairs = Counter((m["source"], m["target"]) for m in crosswalk["mappings"])
        assert not [p for p, n in pairs.items() if n > 1], crosswalk["slug"]


def test_taxonomy_terms_are_unique(terms):
    for section, items in terms.items():
        slugs = Counter(t["slug"] for t in items)
        assert not [s for s, n in slugs.items() if n > 1], section
        names = Counter(t["name"] for t in items)
        assert not [s for s, n in names.items() if n > 1], section
    for section in ("jurisdictions", "languages"):
        codes = Counter(t["code"] for t in terms[section])
        assert not [c for c, n in codes.items() if n > 1], section


def test_topic_parents_exist_and_form_a_tree(terms):
    parents = {t["slug"]: t.get("parent") for t in terms["topics"]}
    for slug, parent in parents.items():
        seen = {slug}
        while parent:
            assert parent in parents, f"topic {slug} has unknown parent {parent}"
            assert parent not in seen, f"topic {slug} is in a cycle"
            seen.add(parent)
            parent = parents[parent]


def test_records_use_only_defined_taxonomy_terms(records, terms):
    topics = {t["slug"] for t in terms["topics"]}
    sectors = {t["slug"] for t in terms["sectors"]}
    jurisdictions = {t["code"] for t in terms["jurisdictions"]}
    languages = {t["code"] for t in terms["languages"]}
    organisations = {t["slug"] for t in terms["organisations"]}
    for r in records:
        assert set(r.get("topics", [])) <= topics, (r["slug"], set(r.get("topics", [])) - topics)
        assert set(r.get("sectors", [])) <= sectors, (r["slug"], set(r.get("sectors", [])) - sectors)
        assert set(r.get("jurisdictions", [])) <= jurisdictions, r["slug"]
        assert set(r.get("languages", [])) <= languages, (r["slug"], set(r.get("languages", [])) - languages)
        assert set(r.get("organisations", [])) <= organisations, r["slug"]
        if r["kind"] == "framework" and r["framework"].get("issuing_body"):
            assert r["framework"]["issuing_body"] in organisations, r["slug"]
    for organisation in terms["organisations"]:
        if organisation.get("jurisdiction"):
            assert organisation["jurisdiction"] in jurisdictions, organisation["slug"]


def test_topic_tree_covers_the_mit_domains_and_subdomains(terms):
    children = Counter(t.get("parent") for t in terms["topics"] if t.get("parent"))
    assert sum(children.values()) >= 24, "the topic tree lacks MIT AI Risk Repository subdomains"
    assert len([t for t in terms["topics"] if not t.get("parent")]) >= 7


def test_every_language_defined_is_used_by_a_record(records, terms):
    used = {code for r in records for code in r.get("languages", [])}
    assert {t["code"] for t in terms["languages"]} <= used


# The schema turns bad documents away.

GOOD_DOCUMENT = {
    "format": "portal-records/2",
    "records": [
        {
            "kind": "finding",
            "slug": "example-finding",
            "title": "Example finding",
            "summary": "A short summary.",
            "publication_date": "2023-10-03",
            "source_url": "https://arxiv.org/abs/2310.02446",
            "links": [
                {
                    "type": "addresses",
                    "target": {"kind": "framework", "slug": "nist-ai-rmf-1-0", "provision": "MEASURE 2.7"},
                }
            ],
            "finding": {"finding_type": "study", "status": "preliminary", "doi": "10.48550/arXiv.2310.02446"},
        }
    ],
}


def _mutated(change):
    document = copy.deepcopy(GOOD_DOCUMENT)
    change(document)
    return document


def test_schema_accepts_a_minimal_good_document(validator):
    assert not list(validator.iter_errors(GOOD_DOCUMENT))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["records"][0].update(colour="blue"), id="unknown-record-key"),
        pytest.param(lambda d: d.update(extra=[]), id="unknown-top-level-key"),
        pytest.param(lambda d: d["records"][0]["finding"].update(impact="x"), id="unknown-kind-field"),
        pytest.param(lambda d: d["records"][0].update(publication_date="2023-02-30"), id="impossible-date"),
        pytest.param(lambda d: d["records"][0].update(publication_date="03/10/2023"), id="non-iso-date"),
        pytest.param(lambda d: d["records"][0]["links"][0].update(type="endorses"), id="bad-link-type"),
        pytest.param(lambda d: d["records"][0].update(slug="Not A Slug"), id="bad-slug"),
        pytest.param(lambda d: d["records"][0]["finding"].update(doi="doi:10.1/x"), id="bad-doi"),
        pytest.param(lambda d: d["records"][0].update(kind="essay"), id="bad-kind"),
        pytest.param(lambda d: d["records"][0].update(summary="x" * 1501), id="summary-too-long"),
        pytest.param(lambda d: d["records"][0].update(jurisdictions=["usa"]), id="bad-jurisdiction-code"),
        pytest.param(lambda d: d.update(format="portal-records/3"), id="wrong-format-version"),
        pytest.param(lambda d: d["records"][0].update(lesson={}), id="fields-of-another-kind"),
        pytest.param(lambda d: d["records"][0].pop("publication_date"), id="missing-required-field"),
        pytest.param(
            lambda d: d["records"][0]["links"][0]["target"].update(kind="finding"),
            id="provision-on-non-framework",
        ),
        pytest.param(
            lambda d: d.update(
                crosswalks=[
                    {
                        "slug": "x",
                        "title": "X",
                        "source": "a",
                        "target": "b",
                        "mappings": [{"source": "1", "target": "2", "relation": "identical"}],
                    }
                ]
            ),
            id="bad-crosswalk-relation",
        ),
    ],
)
def test_schema_rejects_bad_documents(validator, change):
    assert list(validator.iter_errors(_mutated(change)))


def test_the_datasets_readme_names_only_files_and_folders_that_exist():
    readme = (CURATED / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"`((?:data|tests|docs)/[^`*\s]*)`", readme)
    assert "data/samples/" in named
    missing = [path for path in named if not (ROOT / path).exists()]
    assert not missing, f"data/curated/README.md names {missing}, which do not exist"


def test_the_datasets_readme_describes_every_file_and_folder():
    """data/curated/README.md says what each file holds and how its facts were checked."""
    readme = (CURATED / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([^`*\s]+)`", readme))
    undescribed = [
        str(path.relative_to(CURATED))
        for path in CURATED_FILES
        if str(path.relative_to(CURATED)) not in named and f"{path.parent.relative_to(CURATED)}/" not in named
    ]
    assert not undescribed, f"data/curated/README.md does not describe {undescribed}"


def test_the_nist_ai_rmf_to_iso_iec_42001_crosswalk_carries_a_row_for_every_subcategory(records, crosswalks):
    """NIST's published crosswalk has a row for each of the AI RMF's subcategories; ours carries them all."""
    (framework,) = [r for r in records if r["kind"] == "framework" and r["slug"] == "nist-ai-rmf-1-0"]
    subcategories = {p["code"] for p in framework["framework"]["provisions"] if p["type"] == "subcategory"}
    assert len(subcategories) == 72
    (crosswalk,) = [c for c in crosswalks if c["slug"] == "nist-ai-rmf-to-iso-iec-42001"]
    assert subcategories <= {m["source"] for m in crosswalk["mappings"]}
    # Rows checked one by one against the published table (data/curated/README.md).
    pairs = {(m["source"], m["target"]) for m in crosswalk["mappings"]}
    assert {("GOVERN 2.1", "9.1"), ("MAP 1.4", "A.5.2"), ("MAP 1.4", "A.9.4"), ("MAP 1.4", "A.6.2.2")} <= pairs
