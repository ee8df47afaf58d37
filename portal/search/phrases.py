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

from bisect import bisect_left
from collections import Counter, OrderedDict
from itertools import accumulate

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import IntersectionMatcher, Matcher, NullMatcher, ReadTooFar

from . import schema
from .analysis import pair_term, text_positions

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
                words.update(text_positions(schema.VALUE_BREAK.join(values)))
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

    def matcher(self, searcher, context=None):
        pair = self.exact_pair()
        if pair is not None:
            return wq.Term(schema.pairs_field(self.path), pair, boost=self.boost).matcher(searcher, context)
        words = [wq.Term(schema.text_field(self.path), t).matcher(searcher, context) for t in self.terms]
        narrowing = [wq.Term(schema.pairs_field(self.path), p).matcher(searcher, context) for p in self.pairs()]
        parts = narrowing + words
        if any(not m.is_active() for m in parts):
            return NullMatcher()
        combined = parts[0]
        for part in parts[1:]:
            combined = IntersectionMatcher(combined, part)
        return VerifiedPhraseMatcher(combined, words, self.boost)


class VerifiedPhraseMatcher(Matcher):
    """The documents of ``child`` (an intersection holding the word matchers ``words``) where
    the words sit on consecutive positions."""

    def __init__(self, child, words, boost=1.0):
        self.child = child
        self.words = words
        self.boost = boost
        self._find()

    def _consecutive(self):
        first, *rest = [m.value_as("positions") for m in self.words]
        later = [set(places) for places in rest]
        return any(all(start + offset in places for offset, places in enumerate(later, 1)) for start in first)

    def _find(self):
        child = self.child
        while child.is_active() and not self._consecutive():
            child.next()

    def is_active(self):
        return self.child.is_active()

    def id(self):
        return self.child.id()

    def next(self):
        if not self.child.is_active():
            raise ReadTooFar
        self.child.next()
        self._find()

    def skip_to(self, id):
        if not self.child.is_active():
            raise ReadTooFar
        if id > self.child.id():
            self.child.skip_to(id)
            self._find()

    def reset(self):
        self.child.reset()
        self._find()

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def all_ids(self):
        while self.is_active():
            yield self.id()
            self.next()

    def supports(self, astype):
        return False

    def supports_block_quality(self):
        return False

    def max_quality(self):
        return self.child.max_quality() * self.boost

    def weight(self):
        return self.child.weight() * self.boost

    def score(self):
        return self.child.score() * self.boost

    def children(self):
        return [self.child]


class BlockCache:
    """Decoded posting blocks of one segment, the most recently used kept (at most ``size``).

    A phrase reads the word positions of every candidate document, so a phrase with a frequent
    word decompresses and unpickles most of that word's blocks; the next phrase with the same
    word finds them here. A segment never changes, so an entry never goes stale."""

    def __init__(self, size=4096):
        self.size = size
        self.blocks = OrderedDict()

    def load(self, matcher):
        """Fill ``matcher``'s current block (its data and document ids) from the cache or disk."""
        key = matcher._dataoffset
        entry = self.blocks.get(key)
        if entry is None:
            if matcher._data is None:
                matcher._read_data()
            entry = self.blocks[key] = (matcher._data, tuple(accumulate(matcher._data[0])))
            if len(self.blocks) > self.size:
                self.blocks.popitem(last=False)
        else:
            self.blocks.move_to_end(key)
        matcher._data, matcher._ids = entry


def _seek(matcher, target, blocks=None):
    """Move a raw posting matcher to document ``target``; True if the term is there. On Whoosh's
    block matcher, skips whole blocks and then bisects the block (its ``skip_to`` steps through
    the block one posting at a time); ``blocks`` (a :class:`BlockCache`) keeps decoded blocks."""
    if not isinstance(matcher, W3LeafMatcher):
        if matcher.is_active() and matcher.id() < target:
            matcher.skip_to(target)
        return matcher.is_active() and matcher.id() == target
    if not matcher.is_active():
        return False
    while target > matcher.block_max_id():
        matcher._next_block()
        if not matcher.is_active():
            return False
    if matcher._ids is None:
        if blocks is not None:
            blocks.load(matcher)
        else:
            if matcher._data is None:
                matcher._read_data()
            matcher._ids = tuple(accumulate(matcher._data[0]))
    position = bisect_left(matcher._ids, target, matcher._i)
    matcher._i = position
    return position < matcher._blocklength and matcher._ids[position] == target


def consecutive_docs(reader, path, terms, docs, blocks=None):
    """The documents of ``docs`` (sorted document numbers of one segment) where ``terms`` sit on
    consecutive positions of the text field ``path``; ``blocks``: the segment's BlockCache."""
    fieldname = schema.text_field(path)
    fieldobj = reader.schema[fieldname]
    matchers = []
    for term in terms:
        tbytes = fieldobj.to_bytes(term)
        if (fieldname, tbytes) not in reader:
            return []
        matchers.append(reader._terms.matcher(fieldname, tbytes, fieldobj.format))
    found = []
    for doc in docs:
        places = []
        for matcher in matchers:
            if not _seek(matcher, doc, blocks):
                break
            places.append(matcher.value_as("positions"))
        else:
            first, *rest = places
            later = [set(p) for p in rest]
            if any(all(start + offset in p for offset, p in enumerate(later, 1)) for start in first):
                found.append(doc)
    return found
