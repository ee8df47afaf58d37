"""“Cite this”: BibTeX, RIS and CSL-JSON for findings and frameworks, and their downloads."""

import datetime
import json
import re

import pytest

from portal.citation import bibtex, csl_json, ris
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

TRICKY_TITLE = "Braces {and} ampersands & 100% of_models #1 on GPT-4"


@pytest.fixture
def finding(indexes):
    return FindingFactory(
        parent=indexes["finding"],
        slug="tricky",
        title=TRICKY_TITLE,
        summary="Summary with\na line break.",
        authors="José Müller\nÓ Briain, Zoë\nStandards and Testing Group",
        venue="Journal of AI & Society",
        doi="10.1234/ai_safety.2024",
        source_url="https://example.org/paper",
        publication_date=datetime.date(2024, 3, 9),
    )


@pytest.fixture
def framework(indexes):
    body = OrganisationFactory(name="Department of Science and Technology", acronym="DST")
    return FrameworkFactory(
        parent=indexes["framework"],
        slug="code",
        title="Code of Practice for AI",
        issuing_body=body,
        version="2.0",
        publication_date=datetime.date(2023, 11, 1),
    )


def unescaped_braces_balance(text):
    """True when every unescaped ``{`` has its ``}``, in order."""
    depth = 0
    for char in re.sub(r"\\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_bibtex_of_a_finding_escapes_special_characters_and_keeps_accents(finding):
    entry = bibtex(finding)
    assert entry.startswith("@article{muller2024braces,\n")
    assert r"\{and\}" in entry and r"\&" in entry and r"100\%" in entry and r"of\_models" in entry and r"\#1" in entry
    assert "author = {José Müller and Ó Briain, Zoë and {Standards and Testing Group}}," in entry
    assert "{GPT-4}" in entry  # capitals kept when a style lower-cases titles
    assert r"journal = {Journal of AI \& Society}," in entry
    assert "year = {2024}," in entry and "month = mar," in entry
    # DOIs and URLs are verbatim fields: not escaped.
    assert "doi = {10.1234/ai_safety.2024}," in entry
    assert "url = {https://example.org/paper}," in entry
    assert unescaped_braces_balance(entry)
    assert entry.rstrip().endswith("}")


def test_bibtex_citation_key_is_ascii_and_stable(finding):
    key = re.match(r"@\w+\{([^,]+),", bibtex(finding)).group(1)
    assert key == "muller2024braces"
    assert re.match(r"@\w+\{([^,]+),", bibtex(finding)).group(1) == key


def test_ris_of_a_finding_has_one_tag_per_line_and_authors_family_name_first(finding):
    text = ris(finding)
    lines = text.split("\r\n")
    assert lines[0] == "TY  - JOUR"
    assert lines[-2:] == ["ER  - ", ""]
    assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) for line in lines[:-1])
    assert "AU  - Müller, José" in lines and "AU  - Ó Briain, Zoë" in lines
    assert f"TI  - {TRICKY_TITLE}" in lines
    assert "T2  - Journal of AI & Society" in lines
    assert "PY  - 2024" in lines and "DA  - 2024/03/09/" in lines
    assert "DO  - 10.1234/ai_safety.2024" in lines and "UR  - https://example.org/paper" in lines
    assert "AB  - Summary with a line break." in lines


def test_csl_json_of_a_finding_is_one_valid_item(finding):
    [item] = json.loads(csl_json(finding))
    assert item["id"] == "muller2024braces"
    assert item["type"] == "article-journal"
    assert item["title"] == TRICKY_TITLE
    assert item["author"][:2] == [{"family": "Müller", "given": "José"}, {"family": "Ó Briain", "given": "Zoë"}]
    assert item["issued"] == {"date-parts": [[2024, 3, 9]]}
    assert item["container-title"] == "Journal of AI & Society"
    assert item["DOI"] == "10.1234/ai_safety.2024"
    assert item["URL"] == "https://example.org/paper"


def test_finding_without_venue_or_authors_is_cited_as_a_paper_by_its_organisations(indexes):
    org = OrganisationFactory(name="AI Safety Institute", acronym="AISI")
    finding = FindingFactory(parent=indexes["finding"], title="The evaluation", organisations=[org])
    assert bibtex(finding).startswith("@misc{aisi2024evaluation,")
    assert "author = {{AI Safety Institute}}," in bibtex(finding)
    assert ris(finding).startswith("TY  - GEN\r\nAU  - AI Safety Institute\r\n")
    [item] = json.loads(csl_json(finding, url="https://portal.example/findings/x/"))
    assert item["type"] == "article" and item["author"] == [{"literal": "AI Safety Institute"}]
    assert item["URL"] == "https://portal.example/findings/x/"


def test_voluntary_framework_is_cited_as_a_report_by_its_issuing_body(framework):
    entry = bibtex(framework)
    assert entry.startswith("@techreport{dst2023code,")
    assert "author = {{Department of Science and Technology}}," in entry
    assert "institution = {Department of Science and Technology}," in entry
    assert "note = {Version 2.0}," in entry
    assert unescaped_braces_balance(entry)
    lines = ris(framework).split("\r\n")
    assert lines[0] == "TY  - RPRT"
    assert "AU  - Department of Science and Technology" in lines and "ET  - 2.0" in lines
    [item] = json.loads(csl_json(framework))
    assert item["type"] == "report"
    assert item["author"] == [{"literal": "Department of Science and Technology"}]
    assert item["version"] == "2.0"


def test_binding_framework_is_cited_as_legislation(framework):
    framework.legal_effect = "binding"
    framework.title = "DST Act (Regulation (EU) 2023/99)"
    # The issuer's acronym is not repeated as the key's title word; only all-capital words are braced.
    assert bibtex(framework).startswith("@misc{dst2023act,")
    assert "title = {{DST} Act (Regulation {(EU)} 2023/99)}," in bibtex(framework)
    assert "organization = {Department of Science and Technology}," in bibtex(framework)
    assert ris(framework).startswith("TY  - LEGAL\r\n")
    [item] = json.loads(csl_json(framework))
    assert item["type"] == "legislation" and item["authority"] == "Department of Science and Technology"


def test_cite_downloads_have_their_content_type_and_a_file_name(client, finding):
    expected = {
        "bib": "application/x-bibtex",
        "ris": "application/x-research-info-systems",
        "json": "application/vnd.citationstyles.csl+json",
    }
    for fmt, content_type in expected.items():
        response = client.get(f"/cite/{finding.uuid}.{fmt}")
        assert response.status_code == 200
        assert response["Content-Type"] == f"{content_type}; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="tricky.{fmt}"'
        assert "Müller" in response.content.decode("utf-8")


def test_cite_of_a_framework_without_a_source_points_to_its_portal_page(client, framework):
    response = client.get(f"/cite/{framework.uuid}.bib")
    assert "url = {http://testserver/frameworks/code/}," in response.content.decode()


def test_cite_is_not_found_for_hidden_draft_unknown_and_uncitable_records(client, catalogue, indexes):
    lesson = LessonFactory(parent=indexes["lesson"])
    for record in [*catalogue.hidden, lesson]:
        response = client.get(f"/cite/{record.uuid}.bib")
        assert response.status_code == 404, record.slug
        assert record.title not in response.content.decode()
    assert client.get("/cite/00000000-0000-4000-8000-000000000000.bib").status_code == 404
    assert client.get(f"/cite/{catalogue.finding.uuid}.pdf").status_code == 404


def test_partner_may_cite_a_green_record(client, catalogue, partner):
    green = catalogue.hidden[0]
    client.force_login(partner)
    response = client.get(f"/cite/{green.uuid}.ris")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]


def test_finding_and_framework_pages_offer_cite_this_with_an_escaped_bibtex_preview(client, catalogue, indexes):
    FindingFactory(parent=indexes["finding"], slug="angle", title="Attacks <script> on & models")
    content = client.get("/findings/angle/").content.decode()
    finding = client.get("/findings/angle/").context["page"]
    for fmt in ("bib", "ris", "json"):
        assert f'href="/cite/{finding.uuid}.{fmt}"' in content
    assert "<details>" in content and "@misc{" in content
    assert r"Attacks &lt;script&gt; on \&amp; models" in content
    framework_page = client.get("/frameworks/ai-rmf/").content.decode()
    assert f'href="/cite/{catalogue.framework.uuid}.bib"' in framework_page
    assert "@techreport{nist2024ai," in framework_page
    assert "/cite/" not in client.get("/lessons/public-lesson/").content.decode()
