"""Query text a user can type never raises and never costs more than a bounded amount: the
backend never hands text to Whoosh's query parser, it analyses it into at most 32 plain terms."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelsearch.query import Fuzzy, Phrase, PlainText

from portal.models import Topic
from portal.search.analysis import query_units
from portal.search.rebuild import rebuild_backend

pytestmark = pytest.mark.django_db

HOSTILE = [
    "*",
    "ka*",
    "?",
    '"unbalanced quote',
    "((((((",
    "))))",
    "(" * 1000 + "deep" + ")" * 1000,
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "-",
    "+",
    "title:secret",
    "unknown_field:value",
    "field:",
    "a" * 100_000,
    "word " * 20_000,
    "\x00",
    "nul\x00byte\x01\x02\x1f control",
    "\u202e\u200b\ufeff",
    "~2 ^3 [a TO z] {x TO y}",
    "安全 safety 안전 ความปลอดภัย Ŝecurité",
    "\ud7ff\ue000\U0010ffff",
    "😀" * 500,
    "",
    "   ",
]


@pytest.fixture
def topic_index(whoosh_backend):
    Topic.objects.create(name="Deep safety evaluation", slug="deep", description="Secret title words.")
    rebuild_backend(whoosh_backend)
    return whoosh_backend


def _run_everything(backend, text):
    for query in (text, PlainText(text), PlainText(text, operator="and"), Phrase(text), Fuzzy(text)):
        results = backend.search(query, Topic)
        assert isinstance(results.count(), int)
        assert len(list(results[:10])) <= 1
    assert len(list(backend.autocomplete(text, Topic)[:10])) <= 1


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_query_text_returns_results_or_nothing(topic_index, text):
    _run_everything(topic_index, text)


def test_words_inside_hostile_syntax_still_match(topic_index):
    assert [t.name for t in topic_index.search("(((deep)))", Topic)] == ["Deep safety evaluation"]
    assert [t.name for t in topic_index.search('"secret', Topic)] == ["Deep safety evaluation"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_returns_results_or_nothing(topic_index, text):
    _run_everything(topic_index, text)


@given(st.text(min_size=0, max_size=5000))
def test_query_analysis_is_bounded(text):
    units = query_units(text)
    assert len(units) <= 32
    assert all(len(term) <= 64 for unit in units for term in unit)
