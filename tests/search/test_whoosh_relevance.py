"""Relevance: BM25F with the SearchField boosts. A small judged set pins the ranking."""

import datetime

import pytest

from modelsearch.query import Phrase, PlainText

from portal.models import RecordPage
from portal.search.rebuild import rebuild_backend
from tests.factories import FindingFactory

pytestmark = pytest.mark.django_db

DOCUMENTS = {
    "title": ("Watermarking generated text", "A study of detection methods.", ""),
    "summary": ("Detecting synthetic media", "Robust watermarking for images and text.", ""),
    "methodology": ("Provenance standards review", "Content credentials compared.", "We tried watermarking too."),
    "sycophancy": ("Sycophancy in assistants", "Models agree with users who are wrong.", ""),
    "both": ("Sycophancy and deception", "Deceptive sycophancy under pressure.", ""),
    "other": ("Energy use of training runs", "Measuring carbon cost.", ""),
}

# query -> the expected order of the documents it should find
JUDGED = {
    "watermarking": ["title", "summary", "methodology"],
    "sycophancy": ["both", "sycophancy"],
    "sycophancy deception": ["both", "sycophancy"],
    "carbon energy": ["other"],
}


@pytest.fixture
def ranked(indexes, whoosh_backend):
    pages = {}
    for key, (title, summary, methodology) in DOCUMENTS.items():
        pages[key] = FindingFactory(
            parent=indexes["finding"],
            title=title,
            summary=summary,
            methodology=methodology,
            publication_date=datetime.date(2024, 1, 1),
        )
    rebuild_backend(whoosh_backend)
    return {page.pk: key for key, page in pages.items()}


@pytest.mark.parametrize("query", JUDGED)
def test_judged_queries_rank_as_expected(whoosh_backend, ranked, query):
    results = whoosh_backend.search(PlainText(query, operator="or"), RecordPage)
    assert [ranked[r.pk] for r in results] == JUDGED[query]


def test_title_match_outranks_summary_match_outranks_body_match(whoosh_backend, ranked):
    results = whoosh_backend.search("watermarking", RecordPage).annotate_score("score")
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] > scores[2] > 0


# Word forms through a real index: stems, irregular forms, accents and hyphenated words.

WORD_FORMS = {
    "evaluating": ("Evaluating refusal behaviour", "Refusals measured on held-out prompts."),
    "hallucination": ("Hallucination in legal research tools", "Invented case law in answers."),
    "jailbroken": ("Jailbroken assistants leak system prompts", "Instructions exposed after attacks."),
    "universe": ("Simulated universe for agents", "A sandbox world for tests."),
    "accented": ("Stealing part of a production language model", "Carlini, Tramèr and others."),
    "plain": ("Membership inference from first principles", "Carlini and Tramer again."),
    "hyphenated": ("Self-driving car crash review", "Braking too late at night."),
    "spaced": ("Self driving car crash in fog", "Sensors blinded by weather."),
    "closed": ("Selfdriving car crash inquiry", "A regulator's report."),
    "cars": ("Car crash statistics", "Injuries per million kilometres."),
    "xz": ("Backdoor in xz utils", "CVE-2024-3094 was planted by a maintainer."),
    "other_cve": ("Another library flaw", "CVE-2024-1234 and GHSA-c2qf-rxjj-qqgw describe it."),
}


@pytest.fixture
def forms(indexes, whoosh_backend):
    pages = {}
    for key, (title, summary) in WORD_FORMS.items():
        pages[key] = FindingFactory(
            parent=indexes["finding"], title=title, summary=summary, publication_date=datetime.date(2024, 1, 1)
        )
    rebuild_backend(whoosh_backend)
    return {page.pk: key for key, page in pages.items()}


def found(backend, forms, query):
    return {forms[r.pk] for r in backend.search(query, RecordPage)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("evaluation", {"evaluating"}),
        ("evaluate", {"evaluating"}),
        ("evaluations", {"evaluating"}),
        ("hallucinated", {"hallucination"}),
        ("hallucinating", {"hallucination"}),
        ("jailbreak", {"jailbroken"}),
        ("jailbreaking", {"jailbroken"}),
        ("university", set()),
    ],
)
def test_a_word_finds_the_other_forms_of_its_word(whoosh_backend, forms, query, expected):
    assert found(whoosh_backend, forms, query) == expected


@pytest.mark.parametrize("query", ["Tramer", "Tramèr", "TRAMÈR"])
def test_a_name_is_found_with_or_without_its_accent(whoosh_backend, forms, query):
    assert found(whoosh_backend, forms, query) == {"accented", "plain"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("self-driving car crash", {"hyphenated", "spaced", "closed"}),
        ("self driving car crash", {"hyphenated", "spaced"}),
        ("selfdriving car crash", {"hyphenated", "closed"}),
        ("self-driving", {"hyphenated", "spaced", "closed"}),
        ("driving", {"hyphenated", "spaced"}),
    ],
)
def test_a_hyphenated_word_is_found_split_joined_and_hyphenated(whoosh_backend, forms, query, expected):
    assert found(whoosh_backend, forms, PlainText(query, operator="and")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("self-driving car", {"hyphenated", "spaced", "closed"}),
        ("self driving car", {"hyphenated", "spaced"}),
        ("driving car crash", {"hyphenated", "spaced"}),
        ("car self-driving", set()),
    ],
)
def test_phrases_with_hyphenated_words_keep_their_order(whoosh_backend, forms, query, expected):
    assert found(whoosh_backend, forms, Phrase(query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("CVE-2024-3094", {"xz"}),
        ("cve-2024-3094", {"xz"}),
        ("CVE-2024-1234", {"other_cve"}),
        ("GHSA-c2qf-rxjj-qqgw", {"other_cve"}),
    ],
)
def test_an_identifier_with_hyphens_finds_exactly_its_record(whoosh_backend, forms, query, expected):
    assert found(whoosh_backend, forms, query) == expected


def test_autocomplete_finds_a_hyphenated_word_by_the_prefixes_of_its_parts(whoosh_backend, forms):
    found_pages = {forms[r.pk] for r in whoosh_backend.autocomplete("self-driv", RecordPage, operator="and")}
    assert found_pages == {"hyphenated", "spaced"}


@pytest.mark.parametrize(
    "query",
    [
        PlainText("self-driving car crash", operator="or"),
        PlainText("self-driving car", operator="and"),
        Phrase("self-driving car"),
        PlainText("CVE-2024-3094 jailbroken", operator="or"),
    ],
    ids=str,
)
def test_hyphenated_queries_score_as_whoosh_scores_them(whoosh_backend, forms, query):
    """The ranking engine scores a hyphenated word's joined term or phrase of parts as Whoosh's
    own BM25F searcher does (which scores the page when the results are ordered by a field)."""
    results = whoosh_backend.search(query, RecordPage).annotate_score("score")
    view = results._view()
    assert view.matches(results.query_compiler.text_query(view.common)).ranked  # by the engine
    by_engine = {r.pk: r.score for r in results}
    ordered = whoosh_backend.search(query, RecordPage.objects.order_by("pk"), order_by_relevance=False)
    by_whoosh = {r.pk: r.score for r in ordered.annotate_score("score")}
    assert by_engine.keys() == by_whoosh.keys() and by_engine
    assert by_engine == pytest.approx(by_whoosh, rel=1e-9)
    assert list(by_engine.values()) == sorted(by_engine.values(), reverse=True)
