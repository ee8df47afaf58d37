"""The ranking engine (portal/search/vectors.py) answers as Whoosh's own BM25F searcher does.

Over random small corpora (two text fields, written by the rebuild's bulk writer with impact
side files for every term, then changed by ordinary saves that add segments and delete
documents) and random queries (terms over boosted fields, ``Or``, ``And``, phrases of common and
rare words, a filter), the engine's matches have the same count, and its top N the same
documents in the same order with the same scores, as ``searcher.search`` on the same index.

Where they may differ: a document's score is a sum of its terms' scores, which the engine adds
term by term and Whoosh adds along its tree of matchers; the two sums can differ in the last
bits of a float, so scores are compared to 1e-9 and two documents whose scores are equal to
that precision may come in either order (Whoosh and the engine both put exact ties in document
order). Nothing else is allowed to differ.

Whoosh is asked for every match (``limit=None``) and its list is cut at N: its search for the
top N alone is not exact on segments the bulk writer wrote. The bulk writer inlines the postings
of terms in at most 8 documents into the term table, which Whoosh reads back as a
``ListMatcher``, and with its block-quality skipping (the default) ``WrappingMatcher.replace``,
the wrapper of a boosted term, hands the ``ListMatcher`` the score threshold without dividing it
by the boost, so a document whose boosted title term would put it in the top N is skipped. This
test found that; the backend's own fallback to Whoosh (``IndexView.ranked_by_whoosh``) asks for
every match, and the last assertion holds it to the engine.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from portal.search.analysis import stem_word
from portal.search.phrases import PhraseQuery
from portal.search.rebuild import Rebuild
from portal.search.storage import IndexStore
from portal.search.whoosh_internals import Union

WORDS = ["zorb", "quix", "flam", "trel", "vond", "gasp", "mirk", "tund", "plov", "skee"]
TERMS = [stem_word(word) for word in WORDS]
FIELDS = {"title": 2.0, "body": 1.0}
TOLERANCE = 1e-9

texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)
documents = st.fixed_dictionaries({"title": texts, "body": texts})


def _document(key, fields):
    doc = {"doc_id": str(key), "content_type": ["test.doc"]}
    for name, text in fields.items():
        if text:
            doc[f"t__{name}"] = [text]
    return doc


@st.composite
def queries(draw, common):
    """A text query as the query compiler builds them: each unit on every field with the field's
    boost, units joined by ``Or`` or ``And``, a phrase as a :class:`PhraseQuery` per field."""
    units = []
    for _ in range(draw(st.integers(1, 3))):
        boost = draw(st.sampled_from([1.0, 1.0, 3.0]))
        if draw(st.booleans()):
            term = draw(st.sampled_from(TERMS))
            parts = [wq.Term(f"t__{name}", term, boost=boost * b) for name, b in FIELDS.items()]
        else:
            phrase = draw(st.lists(st.sampled_from(TERMS), min_size=2, max_size=3))
            parts = [PhraseQuery(name, phrase, common, boost=boost * b) for name, b in FIELDS.items()]
        units.append(Union(parts))
    if len(units) == 1:
        return units[0]
    return wq.And(units) if draw(st.booleans()) else Union(units)


def _grouped(hits):
    """``hits`` [(document, score)] as runs of scores equal to the tolerance: [(score, {documents})]."""
    runs = []
    for doc, score in hits:
        if runs and abs(runs[-1][0] - score) <= TOLERANCE * max(1.0, abs(score)):
            runs[-1][1].add(doc)
        else:
            runs.append((score, {doc}))
    return runs


def _assert_same_ranking(engine, whoosh, everything):
    """``engine`` and ``whoosh`` (top N lists) agree: same scores rank by rank, same documents
    in the same order up to runs of equal scores (the last run may be cut differently by N, so
    there the documents must come from the same run of the full ranking ``everything``)."""
    assert len(engine) == len(whoosh)
    for (_doc, ours), (_other, theirs) in zip(engine, whoosh, strict=True):
        assert ours == pytest.approx(theirs, rel=TOLERANCE, abs=TOLERANCE)
    full = {doc: index for index, (_score, docs) in enumerate(_grouped(everything)) for doc in docs}
    ours_runs, their_runs = _grouped(engine), _grouped(whoosh)
    assert len(ours_runs) == len(their_runs)
    for position, ((_s, ours), (_t, theirs)) in enumerate(zip(ours_runs, their_runs, strict=True)):
        if position < len(ours_runs) - 1:
            assert ours == theirs
        else:
            assert {full[doc] for doc in ours | theirs} == {full[next(iter(theirs))]}


def _build(tmp_path, corpus, changes, common, name):
    store = IndexStore(tmp_path / name)
    # Several segments, and every term gets a stored impact vector, as frequent terms of a large
    # rebuild do.
    rebuild = Rebuild(store, segment_postings=40, impact_min_docs=1).start()
    rebuild.set_common(common)
    rebuild.add(_document(key, fields) for key, fields in enumerate(corpus))
    rebuild.finish()
    ops = []
    for key, fields in changes:
        key = key % max(len(corpus), 1)
        ops.append(("delete", str(key)) if fields is None else ("add", _document(key, fields)))
    store.apply(ops)
    return store


counter = itertools.count()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    corpus=st.lists(documents, min_size=1, max_size=25),
    changes=st.lists(st.tuples(st.integers(0, 30), st.none() | documents), max_size=6),
    common=st.sets(st.sampled_from(TERMS), max_size=4),
    data=st.data(),
)
def test_the_engine_ranks_as_whoosh_bm25f_searcher(tmp_path, corpus, changes, common, data):
    store = _build(tmp_path, corpus, changes, frozenset(common), f"index{next(counter)}")
    view = store.view()
    searcher = view.searcher
    text = data.draw(queries(frozenset(common)), label="query")
    kept = data.draw(st.none() | st.sets(st.integers(0, 30), min_size=1), label="filter")
    allowed, whoosh_filter = None, None
    if kept is not None:
        keys = Union([wq.Term("doc_id", str(key)) for key in sorted(kept)])
        allowed, whoosh_filter = view.filter(keys), keys

    matches = view.matches(text, allowed)
    assert matches.ranked  # the engine ranked it; Whoosh was not asked
    everything = list(searcher.search(text, limit=None, filter=whoosh_filter, terms=False).items())
    assert matches.count == len(everything)
    for n in sorted({1, 3, 10, max(matches.count, 1)}):
        whoosh = everything[:n]
        _assert_same_ranking(matches.top(n), whoosh, everything)
        # What the backend asks of Whoosh for text the engine cannot rank gives the same.
        _assert_same_ranking(view.ranked_by_whoosh(text, matches, n), whoosh, everything)


def test_a_word_repeated_more_than_255_times_in_one_document_is_ranked_by_the_engine(tmp_path):
    """A term's vector numbers its (frequency, length) pairs, whatever the frequency: one long
    document that repeats a word does not send every search for that word to Whoosh's searcher,
    and the engine's ranking is still Whoosh's."""
    corpus = [{"title": "zorb quix", "body": " ".join(["zorb"] * 300)}]  # bulk-written, with a side file
    corpus += [{"title": "flam", "body": f"zorb {'trel ' * n}"} for n in range(20)]
    saved = [(1, {"title": " ".join(["zorb"] * 260), "body": "quix"})]  # in a segment of an ordinary save
    store = _build(tmp_path, corpus, saved, frozenset(), "repeated")
    view = store.view()
    term = stem_word("zorb")
    text = Union([wq.Term(f"t__{name}", term, boost=b) for name, b in FIELDS.items()])

    matches = view.matches(text)
    assert matches.ranked
    everything = list(view.searcher.search(text, limit=None, terms=False).items())
    assert matches.count == len(everything) == 21
    for n in (1, 3, 21):
        _assert_same_ranking(matches.top(n), everything[:n], everything)
