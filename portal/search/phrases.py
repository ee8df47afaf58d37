"""Phrase search: word pairs for common words, positions for the rest ("common grams").

A phrase query must find documents holding its words next to each other, in order. Comparing
positions is cheap per document but costs something for every document holding all the words,
and for two frequent words that is most of the index. So, as Lucene's CommonGrams filter does,
each pair of consecutive words that are both *common* is also indexed as one term in the
``s__<path>`` field ("risk manag"): a phrase of two common words is one term lookup, and a
longer phrase is narrowed to the documents holding all its pairs before positions are compared.
A pair with a rarer word is not indexed: the rare word already narrows the candidates to a few
documents, whose positions are compared.

Which words are common is decided per generation of an index, when a rebuild starts, from a
sample of its documents (words in at least :data:`COMMON_FRACTION` of them), and stored with the
generation (see :mod:`portal.search.storage`): every document of a generation is written with the
same list, so the query side knows which pairs exist. An index that was never rebuilt has no
common words and compares positions for every phrase, which is fine while it is small.
"""

from collections import Counter

from whoosh import query as wq
from whoosh.matching import FilterMatcher, IntersectionMatcher, NullMatcher

from . import schema
from .analysis import VALUE_BREAK, pair_term, text_positions
from .whoosh_internals import raw_matcher, seek

#: A word is common when it occurs in at least this fraction of the sampled documents.
COMMON_FRACTION = 0.01
#: Fewer sampled documents than this give no common words (small indexes need none).
MIN_SAMPLE = 1000
#: At most this many common words (the most frequent).
MAX_COMMON = 2000


def common_words(documents):
    """The common words of a sample of documents (dicts from ``build_document``)."""
    counts = Counter()
    sampled = 0
    for document in documents:
        sampled += 1
        words = set()
        for name, values in document.items():
            if name.startswith("t__"):
                words.update(text_positions(VALUE_BREAK.join(values)))
        counts.update(words)
    if sampled < MIN_SAMPLE:
        return frozenset()
    threshold = COMMON_FRACTION * sampled
    return frozenset(word for word, count in counts.most_common(MAX_COMMON) if count >= threshold)


def indexed_pairs(text, common):
    """The pair terms indexed for ``text``: consecutive words that are both common."""
    if not common:
        return []
    by_position = {}
    for term, places in text_positions(text).items():
        if term in common:
            for place in places:
                at = by_position.get(place)
                if at is None:
                    by_position[place] = [term]
                else:
                    at.append(term)
    pairs = []
    for place, firsts in by_position.items():
        seconds = by_position.get(place + 1)
        if seconds is None:
            continue
        if len(firsts) == 1 and len(seconds) == 1:
            # One word a position (all but the bigram scripts): no inner loops.
            pairs.append(pair_term(firsts[0], seconds[0]))
        else:
            pairs.extend([pair_term(first, second) for first in firsts for second in seconds])
    return pairs


class PhraseQuery(wq.Query):
    """``terms`` on consecutive positions of the text field ``path`` (see the module docstring);
    ``common`` is the common-word list of the generation being searched."""

    def __init__(self, path, terms, common, boost=1.0):
        self.path = path
        self.terms = tuple(terms)
        self.common = common
        self.boost = boost

    def __repr__(self):
        return f"PhraseQuery({self.path!r}, {self.terms!r}, boost={self.boost})"

    def _key(self):
        return (self.path, self.terms, self.boost)

    def __eq__(self, other):
        return type(other) is type(self) and other._key() == self._key()

    def __hash__(self):
        return hash(self._key())

    def is_leaf(self):
        return True

    def pairs(self):
        """The indexed pair terms this phrase contains."""
        common = self.common
        pairs = zip(self.terms, self.terms[1:], strict=False)
        return [pair_term(a, b) for a, b in pairs if a in common and b in common]

    def exact_pair(self):
        """The one pair term that answers this phrase exactly (two common words), or None."""
        pairs = self.pairs()
        return pairs[0] if len(self.terms) == 2 and pairs else None

    def estimate_size(self, ixreader):
        pair = self.exact_pair()
        if pair is not None:
            return ixreader.doc_frequency(schema.pairs_field(self.path), pair)
        return min(ixreader.doc_frequency(schema.text_field(self.path), t) for t in self.terms)

    def _candidates(self, searcher, context):
        """The intersection of the phrase's pairs and words, or None if one of them is absent."""
        parts = [wq.Term(schema.pairs_field(self.path), p).matcher(searcher, context) for p in self.pairs()]
        parts += [wq.Term(schema.text_field(self.path), t).matcher(searcher, context) for t in self.terms]
        if any(not m.is_active() for m in parts):
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = IntersectionMatcher(combined, part)
        return combined

    def matcher(self, searcher, context=None):
        pair = self.exact_pair()
        if pair is not None:
            return wq.Term(schema.pairs_field(self.path), pair, boost=self.boost).matcher(searcher, context)
        candidates = self._candidates(searcher, context)
        if candidates is None:
            return NullMatcher()
        # Whoosh hands a query the searcher of one segment at a time.
        found = consecutive_docs(searcher.reader(), self.path, self.terms, list(candidates.all_ids()))
        if not found:
            return NullMatcher()
        return PhraseMatcher(self._candidates(searcher, context), frozenset(found), boost=self.boost)


class PhraseMatcher(FilterMatcher):
    """The documents of the intersection of a phrase's words (and pairs) where the words are
    consecutive, scored as the intersection. Never skips by block quality: the found documents
    are not in the child's blocks' bounds."""

    def supports_block_quality(self):
        return False


def consecutive(places):
    """Whether the position lists ``places`` (one per word of a phrase, in order) hold a run of
    consecutive positions."""
    first, *rest = places
    later = [set(p) for p in rest]
    return any(all(start + offset in p for offset, p in enumerate(later, 1)) for start in first)


def consecutive_docs(reader, path, terms, docs, blocks=None):
    """The phrase matcher: the documents of ``docs`` (sorted document numbers of one segment)
    where ``terms`` sit on consecutive positions of the text field ``path``. Both Whoosh's path
    (:meth:`PhraseQuery.matcher`) and the ranking engine's call it; ``blocks``: the segment's
    :class:`~portal.search.whoosh_internals.BlockCache`."""
    fieldname = schema.text_field(path)
    fieldobj = reader.schema[fieldname]
    matchers = []
    for term in terms:
        tbytes = fieldobj.to_bytes(term)
        if (fieldname, tbytes) not in reader:
            return []
        matchers.append(raw_matcher(reader, fieldname, tbytes))
    found = []
    for doc in docs:
        places = []
        for matcher in matchers:
            if not seek(matcher, doc, blocks):
                break
            places.append(matcher.value_as("positions"))
        else:
            if consecutive(places):
                found.append(doc)
    return found
