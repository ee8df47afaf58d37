"""What a search looks at besides titles and text: tags, sectors, identifiers, UUIDs and the
provisions of frameworks, through the public search (``portal.services.search``), for visitors
who may see the record and never for those who may not."""

import pytest

from django.contrib.auth.models import AnonymousUser

from portal.models import ExternalIdentifier, RecordPage, SharingLevel
from portal.services import matching, search
from tests.factories import FindingFactory, FrameworkFactory, OrganisationFactory, ProvisionFactory, SectorFactory

pytestmark = pytest.mark.django_db


def visible():
    return RecordPage.objects.visible_to(AnonymousUser())


def titles(query):
    return [record.title for record in search.search(visible(), query).records]


def publish(page):
    page.save_revision().publish()
    return page


@pytest.fixture
def finding(indexes):
    page = FindingFactory(
        parent=indexes["finding"], live=False, title="Plain title", summary="Nothing else.", sectors=[]
    )
    page.sectors.set([SectorFactory(name="Telecommunications")])
    page.tags.add("quokka tests")
    ExternalIdentifier.objects.create(record=page, scheme="cve", value="CVE-2024-3094", sort_order=0)
    ExternalIdentifier.objects.create(record=page, scheme="doi", value="10.1234/Example.5678", sort_order=1)
    return publish(page)


def test_tags_and_sectors_of_a_published_record_are_searched(finding):
    """They are saved after the page row (modelcluster): the record is indexed again when published."""
    assert titles("quokka") == ["Plain title"]
    assert titles("telecommunications") == ["Plain title"]


@pytest.mark.parametrize(
    "query",
    [
        "CVE-2024-3094",
        "cve-2024-3094",
        "10.1234/example.5678",
        "doi:10.1234/EXAMPLE.5678",
        "https://doi.org/10.1234/Example.5678",
    ],
)
def test_an_identifier_finds_its_record_first_whatever_its_case(finding, indexes, query):
    FindingFactory(parent=indexes["finding"], title="About 2024 and 3094", summary="CVE numbers 2024 3094.")
    assert titles(query)[0] == "Plain title"


def test_a_uuid_finds_its_record(finding):
    assert titles(str(finding.translation_key)) == ["Plain title"]
    assert titles(str(finding.translation_key).upper()) == ["Plain title"]


def test_identifiers_and_uuids_of_records_the_visitor_may_not_see_find_nothing(indexes):
    hidden = FindingFactory(
        parent=indexes["finding"],
        live=False,
        sharing_level=SharingLevel.AMBER,
        owning_organisation=OrganisationFactory(),
    )
    ExternalIdentifier.objects.create(record=hidden, scheme="cve", value="CVE-2031-0001", sort_order=0)
    publish(hidden)
    assert titles("CVE-2031-0001") == []
    assert titles(str(hidden.translation_key)) == []


def test_a_provision_title_finds_its_framework_and_the_result_names_the_provision(indexes):
    long_framework = FrameworkFactory(parent=indexes["framework"], title="A long regulation", summary="Rules.")
    for n in range(40):
        ProvisionFactory(framework=long_framework, code=f"Art. {n}", title=f"Obligations of kind {n} for providers")
    ProvisionFactory(framework=long_framework, code="Art. 73", title="Reporting of serious incidents")
    FindingFactory(parent=indexes["finding"], title="Incident databases", summary="Reporting of incidents.")
    outcome = search.search(visible(), "serious incident reporting")
    assert outcome.records[0].title == "A long regulation"
    part = outcome.records[0].matched_part
    assert (part.code, part.title, part.anchor) == ("Art. 73", "Reporting of serious incidents", "art-73")


def test_a_provision_of_a_framework_the_visitor_may_not_see_finds_nothing(indexes):
    hidden = FrameworkFactory(
        parent=indexes["framework"], sharing_level=SharingLevel.AMBER, owning_organisation=OrganisationFactory()
    )
    ProvisionFactory(framework=hidden, code="S1", title="Quarantined widget handling")
    assert titles("quarantined widget") == []


def test_records_matching_every_word_come_before_records_matching_some(indexes):
    FindingFactory(parent=indexes["finding"], title="Attacks attacks attacks", summary="Attacks on attacks.")
    FindingFactory(parent=indexes["finding"], title="Jailbreak attacks", summary="A study.")
    assert titles("jailbreak attacks")[0] == "Jailbreak attacks"


def test_a_word_that_matches_nothing_is_searched_as_its_closest_spelling_and_said(indexes):
    FindingFactory(parent=indexes["finding"], title="Jailbreak attacks", summary="A study.")
    FindingFactory(parent=indexes["finding"], title="Prompt attacks", summary="Another study.")
    outcome = search.search(visible(), "jailbrake attacks")
    assert outcome.corrected == "jailbreak attacks"
    assert [record.title for record in outcome.records][0] == "Jailbreak attacks"


def test_promoted_results_come_first_with_their_note_on_the_web_and_in_the_api(client, indexes):
    from portal.models import PromotedRecord, SearchPromotion

    matching = FindingFactory(parent=indexes["finding"], title="Model evaluation methods", summary="Evaluation.")
    chosen = FindingFactory(parent=indexes["finding"], title="A guide editors like", summary="Unrelated words.")
    hidden = FindingFactory(
        parent=indexes["finding"],
        title="Restricted guide",
        sharing_level=SharingLevel.AMBER,
        owning_organisation=OrganisationFactory(),
    )
    promotion = SearchPromotion.objects.create(query="model evaluation", slug="model-evaluation")
    PromotedRecord.objects.create(promotion=promotion, record=hidden, note="Secret note", sort_order=0)
    PromotedRecord.objects.create(promotion=promotion, record=chosen, note="Start here", sort_order=1)

    assert titles("Model  Evaluation") == ["A guide editors like", "Model evaluation methods"]
    assert titles("evaluation")[0] == matching.title  # another query: no promotion
    page = client.get("/search/", {"q": "model evaluation"}).content.decode()
    assert "Recommended for this search</strong>: Start here" in page
    assert "Secret note" not in page and "Restricted guide" not in page
    hits = client.get("/api/v1/search/", {"q": "model evaluation"}).json()["results"]
    assert [hit["promoted"] for hit in hits] == [{"note": "Start here"}, None]


def test_the_backend_searches_of_one_query_are_bounded_however_many_words_it_has(indexes, monkeypatch):
    FindingFactory(parent=indexes["finding"], title="Jailbreak attacks", summary="A study.")
    asked = []
    real = matching._backend_ranking
    monkeypatch.setattr(matching, "_backend_ranking", lambda text, operator: asked.append(text) or real(text, operator))
    search.search(visible(), " ".join(f"zzq{n}" for n in range(80)))
    assert len(asked) == 2  # every word, then some; no word is looked at on its own
    asked.clear()
    search.search(visible(), "jailbrake zzq1 zzq2 zzq3 zzq4 zzq5 zzq6 zzq7")
    assert len(asked) <= 2 + 8 + 2  # the query; each word on its own; the corrected query


def test_the_database_backend_folds_accents_as_the_portal_configures_it(indexes, settings):
    """On PostgreSQL through the text search configuration of migration 0013 (the settings name
    it), on SQLite through FTS5's own folding."""
    backend = {key: value for key, value in settings.WAGTAILSEARCH_BACKENDS["default"].items() if key != "PATH"}
    settings.WAGTAILSEARCH_BACKENDS = {"default": {**backend, "BACKEND": "modelsearch.backends.database"}}
    FindingFactory(parent=indexes["finding"], title="Stealing part of a production model", authors="Florian Tramèr")
    FindingFactory(parent=indexes["finding"], title="Another paper", authors="Florian Tramer")
    assert (
        sorted(titles("Tramer")) == sorted(titles("Tramèr")) == ["Another paper", "Stealing part of a production model"]
    )


def test_every_surface_drops_question_words_the_same_way(client, indexes):
    """The search and the API's record list with ``q`` share one rule (``match``): question words
    go wherever a query is matched."""
    FindingFactory(parent=indexes["finding"], title="Evaluating agents", summary="A benchmark.")
    FindingFactory(parent=indexes["finding"], title="Do anything now", summary="Jailbreak prompts.")
    listed = client.get("/api/v1/records/", {"q": "how do I evaluate"}).json()["results"]
    assert [item["title"] for item in listed] == ["Evaluating agents"]
    assert titles("how do I evaluate") == ["Evaluating agents"]


def test_records_holding_the_words_side_by_side_come_before_those_holding_them_apart(indexes, monkeypatch):
    """A query of a few words ("incident reporting") ranks the records that hold the words together,
    in their own text or in one of their provisions, above records that hold them apart, however
    often; the rest keep their order."""
    FindingFactory(
        parent=indexes["finding"],
        title="Reporting on a red-teaming exercise",
        summary="Incidents of bias, many incidents, incidents in every language; reporting them took weeks.",
    )
    FindingFactory(parent=indexes["finding"], title="An agent study", summary="Operators describe incident reporting.")
    framework = FrameworkFactory(parent=indexes["framework"], title="A code of practice", summary="Guidance.")
    ProvisionFactory(framework=framework, code="D4", title="Incident Reporting", text="Tell the regulator.")
    found = titles("incident reporting")
    assert set(found[:2]) == {"An agent study", "A code of practice"}
    assert found[2] == "Reporting on a red-teaming exercise"
    monkeypatch.setattr(matching, "MAX_PHRASE_WORDS", 0)  # without the rule, the record with the words apart wins
    assert titles("incident reporting")[0] == "Reporting on a red-teaming exercise"
