"""Writing many documents into new segments quickly (rebuilds).

Whoosh's ``SegmentWriter`` puts every posting into one big list, sorts it (spilling to temporary
files past ``limitmb``), and then, posting by posting, reads each document's field length back
from the column file it has just written. For a rebuild that is most of the time spent.
:class:`BulkWriter` is that writer with a different posting pool: postings are gathered per term
in memory, in document order, so only the distinct terms are sorted; field lengths are kept in
memory; and each term's postings go to Whoosh's own postings writer in one pass. A term's
postings are one flat list (document, weight, value, document, weight, value…): one list
operation per posting, and less memory than three arrays for the many terms that occur once.
Terms with a few postings get their term info filled in directly. The segment it writes is an
ordinary Whoosh segment (same codec, same files).

A rebuild hands documents to :class:`BulkLoad`, which starts a new segment every
``segment_postings`` postings, so memory stays bounded however large the index.
"""

from array import array

from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from .documents import to_whoosh
from .vectors import IMPACT_MIN_DOCS, impact_vectors, write_impacts

#: Postings gathered in memory before a segment is written (about 60 bytes each).
SEGMENT_POSTINGS = 4_000_000
#: Terms with at most this many postings keep them in the term table (most terms are rare).
INLINE_LIMIT = 8


class BulkWriter(SegmentWriter):
    """A segment writer for bulk loads; it writes one segment and never commits by itself
    (the rebuild commits every segment at once). See the module docstring."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, _lk=False, **kwargs)
        self._postings = {}
        self._lengths = {}
        self._impacts = {}
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
        schema = self.schema
        docbase = self.docbase
        for fieldname in sorted(self._postings):
            terms = self._postings[fieldname]
            if not terms:
                continue
            fieldwriter.start_field(fieldname, schema[fieldname])
            lengths = self._lengths.get(fieldname)
            for tbytes in sorted(terms):
                flat = terms[tbytes]
                # Weights as Whoosh's postings writer keeps them (32-bit floats).
                entry = (array("I", flat[0::3]), array("f", flat[1::3]), flat[2::3])
                self._write_term(fieldwriter, tbytes, entry, lengths, docbase)
                if len(entry[0]) >= IMPACT_MIN_DOCS:
                    vector = impact_vectors(entry[0], entry[1], lengths, docbase, self.docnum - docbase)
                    if vector is not None:
                        self._impacts[(fieldname, tbytes)] = vector
            fieldwriter.finish_field()
        fieldwriter.close()
        self._postings = {}

    @staticmethod
    def _write_term(fieldwriter, tbytes, entry, lengths, docbase):
        docs, weights, values = entry
        if len(docs) <= INLINE_LIMIT:
            # A few postings go into the term table itself instead of a block of the postings
            # file (what Whoosh's ``inlinelimit`` is for; its W3 writer calls a method its
            # term info lacks, so that path cannot be switched on). Most terms are rare, so the
            # term info is filled in directly: the statistics Whoosh's postings writer would
            # gather for one block (see _fill_blocks), without the writer.
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
        _fill_blocks(fieldwriter._postwriter, docs, weights, values, lengths, docbase)
        fieldwriter.finish_term()

    def finish(self):
        """Write the segment and return it (a Whoosh ``Segment``), or None if it is empty."""
        if not self._added:
            self._close_segment()
            return None
        segment = self._finalize_segment()
        write_impacts(self.storage.folder, segment, self._impacts)
        self._impacts = {}
        return segment


def _fill_blocks(postwriter, docs, weights, values, lengths, docbase):
    """Hand one term's postings to Whoosh's postings writer a block at a time: what its
    ``add_posting`` does for each posting (collect ids, weights, non-empty values, the largest
    weight and the shortest and longest field length), done with one slice per block."""
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


class BulkLoad:
    """Documents (dicts from :func:`portal.search.documents.build_document`) written into new
    segments of the index ``ix``, a new segment every ``segment_postings`` postings. The
    segments are not committed: :meth:`finish` returns them for the rebuild to commit."""

    def __init__(self, ix, common=frozenset(), segment_postings=SEGMENT_POSTINGS):
        self.ix = ix
        self.common = common
        self.segment_postings = segment_postings
        self.segments = []
        self._writer = None

    def add(self, document):
        if self._writer is None:
            self._writer = BulkWriter(self.ix)
        self._writer.add_document(**to_whoosh(document, self.common))
        if self._writer.posting_count >= self.segment_postings:
            self._close_writer()

    def _close_writer(self):
        if self._writer is not None:
            segment = self._writer.finish()
            self._writer = None
            if segment is not None:
                self.segments.append(segment)

    def finish(self):
        self._close_writer()
        return self.segments

    def cancel(self):
        if self._writer is not None:
            self._writer._close_segment()
            self._writer = None
