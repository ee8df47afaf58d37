"""The one module that touches Whoosh's internals.

Everything else in :mod:`portal.search` uses Whoosh's documented API only: schemas and field
types (``FieldType.index``), indexes, writers and ``commit(mergetype=…)``, searchers, readers
(``postings``, ``column_reader``, ``doc_frequency``…), queries and matchers. What the backend
needs beyond that is here, so that a new Whoosh release is checked in one place:

* attributes and methods whose names start with an underscore (the term table of a reader,
  the state of a block matcher, a segment writer's pools and flush steps, BM25F's per-field B);
* the W3 codec (``whoosh.codec.whoosh3``): posting blocks, term infos, the length column;
* Whoosh's byte packing (``whoosh.system``, ``whoosh.util.numeric``), to write terms exactly as
  its formats and numeric fields would, and segment objects (ids, file names, readers).

Written against ``whoosh3==3.54.0`` (imported as ``whoosh``).
"""

from array import array
from bisect import bisect_left
from itertools import accumulate

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3TermInfo
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F, bm25
from whoosh.system import pack_byte, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte, to_sortable
from whoosh.writing import SegmentWriter

from .lru import LRU

# Queries


class Union(wq.Or):
    """Whoosh's ``Or`` that always builds a tree of union matchers. Whoosh's default preloads
    every match of every part into an array (scoring each one) when a segment holds at most
    5,000 documents, which makes a top-10 search cost as much as walking all matches."""

    matcher_type = wq.Or.DEFAULT_MATCHER


# Terms as Whoosh's formats and numeric fields encode them


_COUNTED = [(n, float(n), pack_uint(n)) for n in range(256)]
_positions = LRU(100_000)


def counted(n):
    """(count, weight, stored count) of a term found ``n`` times in a value. Small counts share
    one tuple: a rebuild holds every posting's weight in memory until its segment is written."""
    return _COUNTED[n] if n < len(_COUNTED) else (n, float(n), pack_uint(n))


def positions_value(field, places):
    """``places`` (a term's positions in a value) encoded by ``field``'s format. Most words
    occur once, at one of a few hundred positions: each list is encoded once."""
    key = places[0] if len(places) == 1 else tuple(places)
    encoded = _positions.get(key)
    if encoded is None:
        encoded = _positions.put(key, field.format.encode(places))
    return encoded


def numeric_terms(field, values):
    """The terms of plain numbers in a ``NUMERIC`` field (one per shift, for ranges), from one
    conversion of each value instead of one per term."""
    shifts = range(0, field.bits, field.shift_step) if field.shift_step else (0,)
    pack = field._struct.pack
    terms = []
    for value in values:
        sortable = to_sortable(field.numtype, field.bits, field.signed, field.prepare_number(value))
        terms.extend((pack_byte(shift) + pack(sortable >> shift), 1, 1.0, b"") for shift in shifts)
    return terms


# Reading segments


def segment_id(reader):
    segment = reader.segment()
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


def deleted_docs(reader):
    """The deleted document numbers of a segment reader."""
    return reader.deleted_docs_set if reader.has_deletions() else ()


def raw_matcher(reader, fieldname, tbytes):
    """The posting matcher of a term in a segment, deleted documents included."""
    return reader._terms.matcher(fieldname, tbytes, reader.schema[fieldname].format)


def term_postings(reader, fieldname, tbytes):
    """(ids, weights) of one term in one segment (deleted documents included), a block at a time."""
    matcher = raw_matcher(reader, fieldname, tbytes)
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


def length_bytes(reader, fieldname):
    """The length byte of ``fieldname`` for every document of a segment (Whoosh's length column)."""
    count = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None else b""
    except AttributeError:
        raw = bytes(reader.doc_field_length(d, fieldname) or 0 for d in range(count))
    return raw + bytes(count - len(raw)) if len(raw) < count else raw[:count]


class BlockCache:
    """Decoded posting blocks of one segment, the most recently used kept (at most ``size``).

    A phrase reads the word positions of every candidate document, so a phrase with a frequent
    word decompresses and unpickles most of that word's blocks; the next phrase with the same
    word finds them here. A segment never changes, so an entry never goes stale."""

    def __init__(self, size=4096):
        self.blocks = LRU(size)

    def load(self, matcher):
        """Fill ``matcher``'s current block (its data and document ids) from the cache or disk."""
        key = matcher._dataoffset
        entry = self.blocks.get(key)
        if entry is None:
            if matcher._data is None:
                matcher._read_data()
            entry = self.blocks.put(key, (matcher._data, tuple(accumulate(matcher._data[0]))))
        matcher._data, matcher._ids = entry


def seek(matcher, target, blocks=None):
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


# Scoring


def bm25_function(searcher, fieldname, text):
    """Whoosh's BM25F score of a term as a function of (frequency, field length): the formula and
    statistics of ``BM25FScorer``, without the per-segment term lookups it makes for its
    block-skipping bounds. Another weighting gives its scorer's own function."""
    weighting = searcher.weighting
    if not isinstance(weighting, BM25F):
        scorer = weighting.scorer(searcher, fieldname, text)._score
        return lambda tf, length_byte: scorer(tf, byte_to_length(length_byte))
    idf = searcher.idf(fieldname, text)
    avgfl = searcher.avg_field_length(fieldname) or 1
    b = weighting._field_B.get(fieldname, weighting.B)
    k1 = weighting.K1

    def score(tf, length_byte):
        return bm25(idf, tf, byte_to_length(length_byte), avgfl, b, k1)

    return score


# Writing and committing segments


def merge_segment(writer, segment):
    """Have ``writer`` rewrite ``segment`` into its new segment (a merge policy's step)."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    writer.add_reader(reader)
    reader.close()


def commit_segments(ix, segments, timeout=60.0):
    """Add ``segments``, written into ``ix``'s folder by :class:`BulkWriter` (in any process),
    to its table of contents in one commit."""
    writer = ix.writer(timeout=timeout, delay=0.05)
    writer.commit(mergetype=lambda _writer, existing: existing + list(segments))


def segment_path(folder, segment, ext):
    """The path of a file of ``segment`` with extension ``ext``; Whoosh deletes it with the segment."""
    return f"{folder}/{segment.make_filename(ext)}"


#: Terms with at most this many postings keep them in the term table (most terms are rare).
INLINE_LIMIT = 8


class BulkWriter(SegmentWriter):
    """Whoosh's segment writer with another posting pool, for bulk loads; it writes one segment
    and never commits by itself.

    Whoosh's writer puts every posting into one big list, sorts it (spilling to temporary files),
    and then reads each document's field length back from the column file it has just written.
    Here postings are gathered per term in memory, in document order (one flat list per term:
    document, weight, value, …), so only the distinct terms are sorted; field lengths stay in
    memory; each term's postings go to Whoosh's postings writer in one pass, and terms with a
    few postings are written into the term table directly. The segment is an ordinary Whoosh
    segment. ``on_term(fieldname, tbytes, docs, weights, lengths, docbase, doc_count)`` is called
    for every term written (``lengths``: the field's length bytes by local document number)."""

    def __init__(self, ix, on_term=None, **kwargs):
        super().__init__(ix, _lk=False, **kwargs)
        self.on_term = on_term
        self._postings = {}
        self._lengths = {}
        self.posting_count = 0

    def add_document(self, **fields):
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        local = docnum - self.docbase
        postings = self._postings
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        count = 0
        for fieldname in sorted(fields):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                terms = postings.get(fieldname)
                if terms is None:
                    terms = postings[fieldname] = {}
                items = field.index(value)
                if not isinstance(items, list):
                    items = list(items)
                count += len(items)
                for tbytes, freq, weight, vbytes in items:
                    entry = terms.get(tbytes)
                    if entry is None:
                        terms[tbytes] = [docnum, weight, vbytes]
                    else:
                        entry += (docnum, weight, vbytes)
                    length += freq
                if not field.scorable:
                    length = 0
            perdoc.add_field(fieldname, field, value if field.stored else None, length)
            if length:
                lengths = self._lengths.get(fieldname)
                if lengths is None:
                    lengths = self._lengths[fieldname] = bytearray()
                if len(lengths) <= local:
                    lengths.extend(bytes(local + 1 - len(lengths)))
                lengths[local] = length_to_byte(length)
            column = field.column_type
            if column:
                perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        perdoc.finish_doc()
        self.posting_count += count
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        # Replaces Whoosh's: the pool is ours, and lengths come from memory (quantised exactly
        # as Whoosh's length column would give them back).
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        docbase = self.docbase
        for fieldname in sorted(self._postings):
            terms = self._postings[fieldname]
            if not terms:
                continue
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            lengths = self._lengths.get(fieldname)
            for tbytes in sorted(terms):
                flat = terms[tbytes]
                # Weights as Whoosh's postings writer keeps them (32-bit floats).
                docs, weights, values = array("I", flat[0::3]), array("f", flat[1::3]), flat[2::3]
                _write_term(fieldwriter, tbytes, docs, weights, values, lengths, docbase)
                if self.on_term is not None:
                    self.on_term(fieldname, tbytes, docs, weights, lengths, docbase, self.docnum - docbase)
            fieldwriter.finish_field()
        fieldwriter.close()
        self._postings = {}

    def finish(self):
        """Write the segment and return it (a Whoosh segment), or None if it is empty."""
        if not self._added:
            self._close_segment()
            return None
        return self._finalize_segment()

    def cancel(self):
        self._close_segment()


def _write_term(fieldwriter, tbytes, docs, weights, values, lengths, docbase):
    if len(docs) <= INLINE_LIMIT:
        # A few postings go into the term table itself instead of a block of the postings file
        # (what Whoosh's ``inlinelimit`` is for; its W3 writer calls a method its term info
        # lacks, so that path cannot be switched on): the statistics Whoosh's postings writer
        # would gather for one block, without the writer.
        minlength, maxlength = _length_range(docs, lengths, docbase)
        terminfo = W3TermInfo(
            weight=sum(weights),
            df=len(docs),
            minlength=minlength,
            maxlength=maxlength or 0,
            maxweight=max(0, max(weights)),
            minid=docs[0],
            maxid=docs[-1],
        )
        # Every value, empty ones too: Whoosh's list matcher pairs ids with values.
        terminfo.set_inlined(docs, weights, values)
        fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + tbytes, terminfo.to_bytes())
        return
    fieldwriter.start_term(tbytes)
    postwriter = fieldwriter._postwriter
    # What ``add_posting`` does for each posting, done with one slice per block.
    size = postwriter._blocklimit
    for start in range(0, len(docs), size):
        if start:
            postwriter._write_block()
        ids = docs[start : start + size]
        block_weights = weights[start : start + size]
        postwriter._ids = ids
        postwriter._weights = block_weights
        postwriter._values = [v for v in values[start : start + size] if v]
        postwriter._maxweight = max(0, max(block_weights))
        minlength, maxlength = _length_range(ids, lengths, docbase)
        if minlength is not None:
            postwriter._minlength = minlength
            postwriter._maxlength = maxlength
    fieldwriter.finish_term()


def _length_range(docs, lengths, docbase):
    """(shortest, longest) field length of the documents ``docs``, as Whoosh's length column
    gives them back, or (None, None) if none of them has a length."""
    if lengths is None:
        return None, None
    end = len(lengths)
    present = [b for b in [lengths[d - docbase] for d in docs if d - docbase < end] if b]
    if not present:
        return None, None
    return byte_to_length(min(present)), byte_to_length(max(present))
