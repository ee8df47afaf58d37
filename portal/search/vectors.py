"""The ranking engine: counts, filters and the top of a BM25F ranking on per-document vectors.

A query for a frequent word matches most of a large index. Counting those documents, or ranking
them, one posting at a time in Python costs time in proportion to the matches, and Whoosh's
block-skipping top-N cannot skip much when thousands of documents tie on the best title score.
This engine works on whole columns at once instead, with the operations Python runs in C on
bytes and big integers:

*Presence* (:mod:`portal.search.segments`): a set of documents is one big integer with one byte
per document; ``|`` and ``&`` are ``Or`` and ``And``, ``bit_count()`` the exact count.

*Impacts* (:mod:`portal.search.impacts`): a term of a field is one byte per document, the number
of its (frequency, length byte) pair, which fixes its BM25 score there.

*Ranking* (:meth:`Matches.top`): ``bytes.translate`` turns a term's vector into its score
quantised to a byte, and adding the integers of all the terms of a query adds the scores of
every document at once (the quantisation keeps every total below 256, so bytes never carry into
each other). The totals pick the candidates, every document whose total could reach the N-th
best given the rounding, and only those are scored exactly, with Whoosh's BM25F formula and
statistics, ties in document order: the same documents in the same order as Whoosh's own
searcher (``tests/search/test_ranking_engine.py`` holds it to that).

Text queries built of terms, ``Or``, ``And`` and phrases (plain searches, autocomplete, phrases)
are ranked here; :meth:`VectorEngine.evaluate` returns None for anything else (fuzzy terms,
negated text) and the caller asks Whoosh's searcher.
"""

import bisect
import re

from whoosh import query as wq

from . import filters, schema
from .lru import LRU
from .phrases import PhraseQuery, consecutive_docs
from .segments import PRESENT, Segment
from .whoosh_internals import bm25_function, deleted_docs

#: Filters kept per view.
FILTER_CACHE_SIZE = 64

_ONE = b"\x01"


class _Leaf:
    """One term of one field across all segments, with its exact score per key."""

    def __init__(self, fieldname, text, boost, parts, segments, searcher):
        self.parts = parts  # per segment: [(keys, vector)]
        self.sizes = [segment.size for segment in segments]
        scorer = None
        if searcher.schema[fieldname].scorable and any(parts):
            scorer = bm25_function(searcher, fieldname, text)
        self.tables = []  # per segment: [score table per vector]
        scores = {}
        for groups in parts:
            tables = []
            for keys, _vector in groups:
                table = [0.0]
                for key in keys:
                    score = scores.get(key)
                    if score is None:
                        tf, length_byte = key
                        if scorer is not None:
                            score = scorer(float(tf), length_byte) * boost
                        else:
                            score = float(tf) * boost
                        scores[key] = score
                    table.append(score)
                tables.append(table)
            self.tables.append(tables)
        self.best = max(scores.values(), default=0.0)
        self.depth = max((len(groups) for groups in parts), default=0)
        self._presence = None
        self.mask = None
        self._mask_lanes = None
        self.size = sum(self.sizes)

    def restrict(self, presence):
        """Score only in these documents (see ``VectorEngine._presence``)."""
        self.mask = presence if self.mask is None else self.mask & presence
        self._mask_lanes = None

    def counted(self):
        """Presence where this term scores."""
        return self.presence() if self.mask is None else self.presence() & self.mask

    def _joined(self, group, mapping_for):
        pieces = []
        for segment, groups in enumerate(self.parts):
            if group < len(groups):
                pieces.append(groups[group][1].translate(mapping_for(segment, group)))
            else:
                pieces.append(bytes(self.sizes[segment]))
        return int.from_bytes(b"".join(pieces), "little")

    def presence(self):
        if self._presence is None:
            combined = 0
            for group in range(self.depth):
                combined |= self._joined(group, lambda _segment, _group: PRESENT)
            self._presence = combined
        return self._presence

    def quantised(self, scale):
        def mapping(segment, group):
            table = self.tables[segment][group]
            return bytes(int(score * scale) for score in table) + bytes(256 - len(table))

        total = 0
        for group in range(self.depth):
            total += self._joined(group, mapping)
        if self.mask is not None:
            total &= self.mask * 255
        return total

    def score(self, segment, local, doc):
        if self.mask is not None:
            if self._mask_lanes is None:
                self._mask_lanes = self.mask.to_bytes(self.size, "little")
            if not self._mask_lanes[doc]:
                return 0.0
        for (_keys, vector), table in zip(self.parts[segment], self.tables[segment], strict=True):
            number = vector[local]
            if number:
                return table[number]
        return 0.0


class Matches:
    """The documents matching a query: ``count``, ``docs()``, ``contains``, and ``top(n)`` when
    the query was ranked here (``ranked``)."""

    def __init__(self, engine, presence, leaves=None):
        self.engine = engine
        self.presence = presence
        self.leaves = leaves
        self.ranked = leaves is not None

    @property
    def count(self):
        return self.presence.bit_count()

    def lanes(self):
        """One byte per document, 1 where it matches."""
        return self.presence.to_bytes(self.engine.size, "little")

    def docs(self):
        """The matching documents, in index order."""
        return self.docs_of(self.lanes())

    @staticmethod
    def docs_of(lanes):
        return [match.start() for match in re.finditer(_ONE, lanes)]

    def _exact(self, candidates):
        """{document: exact total score} of the ``candidates``. Each term visits only the
        candidates it matches, and adds in the order of the terms, as a plain sum would."""
        engine = self.engine
        offsets = engine.offsets
        wanted = engine.of_docs(candidates)
        totals = dict.fromkeys(candidates, 0.0)
        for leaf in self.leaves:
            for doc in self.docs_of((leaf.counted() & wanted).to_bytes(engine.size, "little")):
                segment = bisect.bisect_right(offsets, doc) - 1
                totals[doc] += leaf.score(segment, doc - offsets[segment], doc)
        return totals

    def top(self, n):
        """[(document, score)] of the ``n`` best matches, best first, ties in document order."""
        if n <= 0 or not self.presence:
            return []
        leaves = self.leaves
        total_best = sum(leaf.best for leaf in leaves)
        if total_best <= 0:
            return [(doc, 0.0) for doc in self.docs()[:n]]
        # Quantised totals q (at most 254 - len(leaves)), and how many terms each document
        # matches, c: each term rounds down by less than one step, so a document's exact total is
        # below q + c steps; bytes never exceed 254, so they never carry into each other.
        scale = (254 - len(leaves)) / total_best
        quantised = 0
        matched = 0
        for leaf in leaves:
            quantised += leaf.quantised(scale)
            matched += leaf.counted()
        mask = self.presence * 255
        quantised &= mask
        lower = (quantised + self.presence).to_bytes(self.engine.size, "little")
        # The n-th best lower bound (q + 1 per matching document) ...
        seen = 0
        cutoff = 1
        for value in range(max(lower), 0, -1):
            seen += lower.count(bytes([value]))
            if seen >= n:
                cutoff = value
                break
        # ... which a document can beat only if q + c reaches it.
        upper = (quantised + (matched & mask)).to_bytes(self.engine.size, "little")
        pattern = re.compile(b"[" + re.escape(bytes([cutoff])) + b"-\xff]")
        candidates = [match.start() for match in pattern.finditer(upper)]
        totals = self._exact(candidates)
        scored = sorted((-totals[doc], doc) for doc in candidates)[:n]
        return [(doc, -negative) for negative, doc in scored]


class VectorEngine:
    """Vector evaluation for one :class:`~portal.search.reading.IndexView`."""

    def __init__(self, searcher, leaves, folder):
        self.searcher = searcher
        self.segments = [Segment(reader, offset, folder) for reader, offset in leaves]
        self.offsets = [segment.offset for segment in self.segments]
        self.size = searcher.doc_count_all()
        self._live = None
        self._filters = LRU(FILTER_CACHE_SIZE)
        self._field_names = None

    def field_names(self):
        if self._field_names is None:
            self._field_names = set()
            for segment in self.segments:
                self._field_names.update(segment.reader.indexed_field_names())
        return self._field_names

    def join(self, pieces):
        """Presence from the presence bytes of each segment, in order."""
        return int.from_bytes(b"".join(pieces), "little")

    def live(self):
        """Presence of every live document."""
        if self._live is None:
            pieces = []
            for segment in self.segments:
                lanes = bytearray(_ONE * segment.size)
                for doc in deleted_docs(segment.reader):
                    lanes[doc] = 0
                pieces.append(lanes)
            self._live = self.join(pieces)
        return self._live

    def of_docs(self, docs):
        """Presence of a set of document numbers."""
        lanes = bytearray(self.size)
        for doc in docs:
            lanes[doc] = 1
        return int.from_bytes(lanes, "little")

    def term_presence(self, fieldname, text):
        return self.join(segment.term_presence(fieldname, text) for segment in self.segments) & self.live()

    def matches(self, presence):
        return Matches(self, presence & self.live())

    def column_values(self, name):
        """The sort column ``name`` of every document of the view, by document number."""
        values = []
        for segment in self.segments:
            values.extend(segment.column(name)[3])
        return values

    def presence(self, query, fallback):
        """Presence of any query (not cached); see :meth:`filter`."""
        return filters.presence(self, query, fallback) & self.live()

    def filter(self, query, fallback):
        """Presence of a filter query (:mod:`portal.search.filters`), cached for the life of the
        view; ``fallback(query)`` gives the documents of a part that has no vector form."""
        return self._filters.get_or_build(query, lambda: self.presence(query, fallback))

    # Text

    def _tree(self, query, boost, leaves):
        """The shape of a rankable text query, collecting its leaves; None if not rankable."""
        if isinstance(query, PhraseQuery):
            pair = query.exact_pair()
            if pair is not None:
                query = wq.Term(schema.pairs_field(query.path), pair, boost=query.boost)
            else:
                # Candidates: documents with every word (and every common pair); their positions
                # are compared when the presence is computed.
                parts = [wq.Term(schema.pairs_field(query.path), p) for p in query.pairs()]
                parts += [wq.Term(schema.text_field(query.path), t) for t in query.terms]
                children = [self._tree(part, boost * query.boost, leaves) for part in parts]
                if any(child is None for child in children):
                    return None
                return ("phrase", (children, query))
        if isinstance(query, wq.Term):
            if query.fieldname not in self.searcher.schema:
                return None
            if query.fieldname not in self.field_names():
                return ("none", None)
            parts = [segment.term(query.fieldname, query.text) for segment in self.segments]
            if any(part is None for part in parts):
                return None
            if not any(parts):
                return ("none", None)
            leaf = _Leaf(query.fieldname, query.text, boost * query.boost, parts, self.segments, self.searcher)
            leaves.append(leaf)
            return ("leaf", leaf)
        if isinstance(query, (wq.Or, wq.And)) and query.subqueries:
            children = [self._tree(sub, boost * query.boost, leaves) for sub in query.subqueries]
            if any(child is None for child in children):
                return None
            return ("or" if isinstance(query, wq.Or) else "and", children)
        return None

    def _presence(self, node):
        """Presence of a node. The terms under an ``And`` (or a phrase) score only where the
        whole node matches, as in Whoosh, where a part of an ``Or`` that does not match adds
        nothing: their ``mask`` is set to the node's presence."""
        kind, payload = node
        if kind == "none":
            return 0
        if kind == "leaf":
            return payload.presence()
        children = payload[0] if kind == "phrase" else payload
        parts = [self._presence(child) for child in children]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined | part if kind == "or" else combined & part
        if kind == "phrase":
            combined = self._consecutive(payload[1], combined & self.live())
        if kind in ("and", "phrase"):
            for leaf in self._leaves_under(node):
                leaf.restrict(combined)
        return combined

    def _leaves_under(self, node):
        kind, payload = node
        if kind == "leaf":
            yield payload
        elif kind != "none":
            for child in payload[0] if kind == "phrase" else payload:
                yield from self._leaves_under(child)

    def _consecutive(self, query, candidates):
        """Presence of the candidates where the phrase's words are consecutive."""
        if not candidates:
            return 0
        docs = Matches.docs_of(candidates.to_bytes(self.size, "little"))
        found = []
        for segment in self.segments:
            start = bisect.bisect_left(docs, segment.offset)
            end = bisect.bisect_left(docs, segment.offset + segment.size)
            if start < end:
                local = [doc - segment.offset for doc in docs[start:end]]
                found.extend(
                    segment.offset + doc
                    for doc in consecutive_docs(segment.reader, query.path, query.terms, local, segment.blocks)
                )
        return self.of_docs(found)

    def evaluate(self, query, allowed=None):
        """:class:`Matches` of a text query within the ``allowed`` presence (a filter, or
        None), ranked here; None if the query is not made of terms, ``Or`` and ``And``."""
        leaves = []
        tree = self._tree(query, 1.0, leaves)
        if tree is None:
            return None
        presence = self._presence(tree) & self.live()
        if allowed is not None:
            presence &= allowed
        return Matches(self, presence, leaves)
