"""Per-document byte vectors: exact counts, filters and the top of a BM25 ranking at C speed.

A query for a frequent word matches most of a large index. Counting those documents, or ranking
them, one posting at a time in Python costs about a microsecond a posting: tens of milliseconds
at 100,000 documents, and Whoosh's block-skipping top-N cannot skip much when thousands of
documents tie on the best title score. This module works on whole columns at once instead, with
the operations Python runs in C on bytes and big integers.

*Presence.* A set of documents is one big integer with one byte per document of the index
(``int.from_bytes`` of a ``bytes`` of 0s and 1s): ``|`` and ``&`` are ``Or`` and ``And``, and
``int.bit_count()`` is the exact number of documents.

*Impacts.* For one term of one field in one segment, the BM25 score of a document depends only on
the term's frequency in it and the field's length there (Whoosh stores that length as one byte).
So the term becomes one byte per document: 0 where the term is absent, otherwise the number of
its (frequency, length byte) pair in a small table, the term's *keys* (a frequent word of a long
field has more than 255 pairs and gets one such vector per 255). Bulk-written segments store
these vectors for their frequent terms in a side file (``<segment>.imp``, written by
:mod:`portal.search.writer`, removed by Whoosh with the segment); other terms are read from the
postings. Segments never change, so both are cached per process.

*Ranking.* ``bytes.translate`` turns a vector into the term's score quantised to a byte, and
adding the integers of all the terms of a query adds the scores of every document at once (the
quantisation keeps every total below 256, so bytes never carry into each other). The totals pick
the candidates, every document whose total could reach the N-th best given the rounding, and
only those are scored exactly, as Whoosh's BM25F would, ties in document order.

*Filters.* Terms, ``Or``, ``And`` and ``Not`` of the queryset's filters become presence the same
way; a range of a sort column uses the column sorted once per segment, with a byte per document
giving its place in that order in 256 steps, so a range is one ``translate`` plus the documents
of the two steps it cuts.

Text queries built of terms, ``Or`` and ``And`` (plain searches, autocomplete, phrases of common
words) are ranked here; :meth:`VectorEngine.evaluate` returns None for anything else (fuzzy
terms, phrases of rarer words) and the caller asks Whoosh.
"""

import bisect
import os
import pickle
import re
import struct
import zlib
from collections import OrderedDict
from itertools import accumulate

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.scoring import BM25F, bm25
from whoosh.util.numeric import byte_to_length

from . import schema
from .columns import ColumnRange
from .phrases import BlockCache, PhraseQuery, consecutive_docs

IMPACTS_EXT = ".imp"
#: Terms in at least this many documents of a bulk-written segment get a stored vector.
IMPACT_MIN_DOCS = 256
#: Term vectors and sorted columns (a few bytes per document of a segment) kept per process.
CACHE_SIZE = 512
#: Filters kept per view.
FILTER_CACHE_SIZE = 64

_PRESENT = bytes([0] + [1] * 255)
_ONE = b"\x01"
_cache = OrderedDict()
_side_files = OrderedDict()


def _cached(key, build):
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    value = _cache[key] = build()
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return value


# Impact vectors: writing (by the bulk writer) and reading


def impact_vectors(docs, weights, lengths, docbase, doc_count):
    """[(keys, vector)] for one term of a segment, at most 255 keys each; None if a frequency
    is not a whole number below 256."""
    # Whole lists at a time: this runs for every frequent term of a rebuild.
    tfs = [int(tf) for tf in weights]
    if tfs and (tfs != list(weights) or min(tfs) < 1 or max(tfs) > 255):
        return None
    local = [doc - docbase for doc in docs] if docbase else list(docs)
    if lengths is None:
        keyed = [(tf, 0) for tf in tfs]
    else:
        end = len(lengths)
        keyed = list(zip(tfs, [lengths[doc] if doc < end else 0 for doc in local], strict=True))
    keys = sorted(set(keyed))
    number = {key: i for i, key in enumerate(keys)}
    groups = [bytearray(doc_count) for _ in range(0, len(keys), 255)]
    if len(groups) == 1:
        vector = groups[0]
        for doc, key in zip(local, keyed, strict=True):
            vector[doc] = number[key] + 1
    else:
        for doc, key in zip(local, keyed, strict=True):
            i = number[key]
            groups[i // 255][doc] = i % 255 + 1
    return [(tuple(keys[g * 255 : (g + 1) * 255]), bytes(vector)) for g, vector in enumerate(groups)]


def write_impacts(folder, segment, entries):
    """Store ``entries`` {(field name, term bytes): [(keys, vector)]} beside ``segment``."""
    index = {}
    path = os.path.join(folder, segment.make_filename(IMPACTS_EXT))
    with open(path, "wb") as out:
        position = 0
        for key, groups in entries.items():
            stored = []
            for keys, vector in groups:
                blob = zlib.compress(vector, 1)
                out.write(blob)
                stored.append((position, len(blob), keys))
                position += len(blob)
            index[key] = stored
        out.write(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        out.write(struct.pack("<Q", position))


class _SideFile:
    """The stored vectors of one segment, read on demand."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as handle:
            handle.seek(-8, 2)
            size = handle.tell()
            (start,) = struct.unpack("<Q", handle.read(8))
            handle.seek(start)
            self.index = pickle.loads(handle.read(size - start))  # noqa: S301 (written by us)

    def get(self, fieldname, tbytes):
        stored = self.index.get((fieldname, tbytes))
        if stored is None:
            return None
        groups = []
        with open(self.path, "rb") as handle:
            for position, length, keys in stored:
                handle.seek(position)
                groups.append((keys, zlib.decompress(handle.read(length))))
        return groups


def _side_file(folder, segment_id):
    path = os.path.join(folder, segment_id + IMPACTS_EXT)
    if path in _side_files:
        _side_files.move_to_end(path)
        return _side_files[path]
    try:
        side = _SideFile(path)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        side = None
    _side_files[path] = side
    while len(_side_files) > 256:
        _side_files.popitem(last=False)
    return side


def _lengths(reader, fieldname):
    """The length byte of ``fieldname`` for every document of a segment."""
    count = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None else b""
    except AttributeError:
        raw = bytes(reader.doc_field_length(d, fieldname) or 0 for d in range(count))
    return raw + bytes(count - len(raw)) if len(raw) < count else raw[:count]


def _postings(reader, fieldname, tbytes):
    """(ids, weights) of one term in one segment (deleted documents included)."""
    fieldobj = reader.schema[fieldname]
    matcher = reader._terms.matcher(fieldname, tbytes, fieldobj.format)
    ids, weights = [], []
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return ids, weights
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        deltas, block_weights = matcher._data[0], matcher._data[1]
        ids.extend(accumulate(deltas))
        if block_weights is None:
            weights.extend([1.0] * len(deltas))
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * len(deltas))
        else:
            weights.extend(block_weights)
        matcher._next_block()
    return ids, weights


def _tbytes(reader, fieldname, text):
    return text if isinstance(text, bytes) else reader.schema[fieldname].to_bytes(text)


class Segment:
    """One segment of a view: its reader, where its documents start, its files' folder, and the
    posting blocks phrases decoded (kept while the view lives)."""

    def __init__(self, reader, offset, folder):
        self.reader = reader
        self.blocks = BlockCache()
        self.offset = offset
        self.size = reader.doc_count_all()
        self.folder = folder
        segment = reader.segment()
        self.id = segment.segment_id() if segment is not None else f"reader-{id(reader)}"

    def term(self, fieldname, text):
        """[(keys, vector)] of a term (empty if absent), or None if it cannot be a vector."""
        tbytes = _tbytes(self.reader, fieldname, text)

        def build():
            if (fieldname, tbytes) not in self.reader:
                return []
            side = _side_file(self.folder, self.id)
            stored = side.get(fieldname, tbytes) if side is not None else None
            if stored is not None:
                return stored
            ids, weights = _postings(self.reader, fieldname, tbytes)
            scorable = self.reader.schema[fieldname].scorable
            lengths = _lengths(self.reader, fieldname) if scorable else None
            return impact_vectors(ids, weights, lengths, 0, self.size)

        return _cached((self.folder, self.id, "term", fieldname, tbytes), build)

    def term_presence(self, fieldname, text):
        """Presence bytes of a term in this segment."""
        groups = self.term(fieldname, text)
        if groups is None:
            lanes = bytearray(self.size)
            for doc in _postings(self.reader, fieldname, _tbytes(self.reader, fieldname, text))[0]:
                lanes[doc] = 1
            return bytes(lanes)
        if not groups:
            return bytes(self.size)
        if len(groups) == 1:
            return groups[0][1].translate(_PRESENT)
        present = 0
        for _keys, vector in groups:
            present |= int.from_bytes(vector.translate(_PRESENT), "little")
        return present.to_bytes(self.size, "little")

    def column(self, name):
        """(sorted values, their local documents, place byte per document, values by document)
        of a sort column: the place byte is a document's position in the sorted order in 256
        steps."""

        def build():
            reader = self.reader
            if reader.has_column(name):
                values = list(reader.column_reader(name))
            else:
                values = [b""] * self.size
            order = sorted(range(self.size), key=values.__getitem__)
            places = bytearray(self.size)
            for position, doc in enumerate(order):
                places[doc] = position * 256 // max(self.size, 1)
            return [values[doc] for doc in order], order, bytes(places), values

        return _cached((self.folder, self.id, "column", name), build)

    def range_presence(self, query):
        """Presence bytes of a :class:`~portal.search.columns.ColumnRange` in this segment."""
        values, order, places, _by_doc = self.column(query.fieldname)
        low = bisect.bisect_left(values, b"\x01") if query.low is None else None
        if low is None:
            edge = query.low + b"\x00" if query.low_excl else query.low
            low = max(bisect.bisect_left(values, edge), bisect.bisect_left(values, b"\x01"))
        if query.high is None:
            high = len(values)
        else:
            high = bisect.bisect_left(values, query.high if query.high_excl else query.high + b"\x00")
        if high <= low:
            return bytes(self.size)
        # Whole steps strictly inside the range by translation, the two cut steps by document.
        size = max(self.size, 1)
        first, last = low * 256 // size, (high - 1) * 256 // size
        table = bytes(1 if first < step < last else 0 for step in range(256))
        lanes = bytearray(places.translate(table))
        step_end = min(high, -(-(first + 1) * size // 256))
        for doc in order[low:step_end]:
            lanes[doc] = 1
        step_start = max(low, -(-last * size // 256))
        for doc in order[step_start:high]:
            lanes[doc] = 1
        return bytes(lanes)


# Ranking


def _bm25(searcher, fieldname, text):
    """Whoosh's BM25F score of a term as a function of (frequency, field length): the formula
    and statistics of ``BM25FScorer``, without the per-segment term lookups it makes for its
    block-skipping bounds."""
    weighting = searcher.weighting
    if not isinstance(weighting, BM25F):
        scorer = weighting.scorer(searcher, fieldname, text)
        return scorer._score
    idf = searcher.idf(fieldname, text)
    avgfl = searcher.avg_field_length(fieldname) or 1
    b = weighting._field_B.get(fieldname, weighting.B)
    k1 = weighting.K1

    def score(tf, length):
        return bm25(idf, tf, length, avgfl, b, k1)

    return score


class _Leaf:
    """One term of one field across all segments, with its exact score per key."""

    def __init__(self, fieldname, text, boost, parts, segments, searcher):
        self.parts = parts  # per segment: [(keys, vector)]
        self.sizes = [segment.size for segment in segments]
        scorer = None
        if searcher.schema[fieldname].scorable and any(parts):
            scorer = _bm25(searcher, fieldname, text)
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
                            score = scorer(float(tf), byte_to_length(length_byte)) * boost
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
                combined |= self._joined(group, lambda _segment, _group: _PRESENT)
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
        self._filters = OrderedDict()
        self._field_names = None

    def field_names(self):
        if self._field_names is None:
            self._field_names = set()
            for segment in self.segments:
                self._field_names.update(segment.reader.indexed_field_names())
        return self._field_names

    def _join(self, pieces):
        return int.from_bytes(b"".join(pieces), "little")

    def live(self):
        """Presence of every live document."""
        if self._live is None:
            pieces = []
            for segment in self.segments:
                lanes = bytearray(_ONE * segment.size)
                if segment.reader.has_deletions():
                    for doc in segment.reader.deleted_docs_set:
                        lanes[doc] = 0
                pieces.append(lanes)
            self._live = self._join(pieces)
        return self._live

    def of_docs(self, docs):
        """Presence of a set of document numbers."""
        lanes = bytearray(self.size)
        for doc in docs:
            lanes[doc] = 1
        return int.from_bytes(lanes, "little")

    def term_presence(self, fieldname, text):
        return self._join(segment.term_presence(fieldname, text) for segment in self.segments) & self.live()

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
        return self._filter(query, fallback) & self.live()

    # Filters

    def filter(self, query, fallback):
        """Presence of a filter query, cached for the life of the view; ``fallback(query)``
        gives the set of documents of a part that has no vector form."""
        cached = self._filters.get(query)
        if cached is not None:
            self._filters.move_to_end(query)
            return cached
        presence = self._filter(query, fallback) & self.live()
        self._filters[query] = presence
        while len(self._filters) > FILTER_CACHE_SIZE:
            self._filters.popitem(last=False)
        return presence

    def _filter(self, query, fallback):
        if query is wq.NullQuery:
            return 0
        if isinstance(query, wq.Every):
            return self.live()
        if isinstance(query, wq.Term):
            return self.term_presence(query.fieldname, query.text)
        if isinstance(query, ColumnRange):
            return self._join(segment.range_presence(query) for segment in self.segments)
        if isinstance(query, wq.Or):
            combined = 0
            for sub in query.subqueries:
                combined |= self._filter(sub, fallback)
            return combined
        if isinstance(query, wq.And):
            combined = self.live()
            for sub in query.subqueries:
                if isinstance(sub, wq.Not):
                    combined &= ~self._filter(sub.query, fallback)
                else:
                    combined &= self._filter(sub, fallback)
            return combined
        if isinstance(query, wq.Not):
            return self.live() & ~self._filter(query.query, fallback)
        return self.of_docs(fallback(query))

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
