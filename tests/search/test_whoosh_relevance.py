"""Relevance: BM25F with the SearchField boosts. A small judged set pins the ranking."""

import datetime

import pytest

from modelsearch.query import PlainText

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
