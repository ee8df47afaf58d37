"""The segments of a committed state, as the ranking engine reads them: term vectors, presence
and sorted columns.

A segment never changes once written, so what is read from it (a term's impact vectors, a sort
column sorted once) is cached per process, across views, in one :class:`~portal.search.lru.LRU`
of :data:`CACHE_SIZE` entries (a few bytes per document of the segment each).

*Presence* is one byte per document, 1 where a document is in the set; the engine joins the
segments' bytes into one integer, so ``|``, ``&`` and ``bit_count()`` answer ``Or``, ``And`` and
"how many" for every document at once.
"""

from .impacts import impact_vectors, stored_vectors
from .lru import LRU
from .whoosh_internals import BlockCache, length_bytes, segment_id, term_postings

#: Term vectors and sorted columns kept per process.
CACHE_SIZE = 512

PRESENT = bytes([0] + [1] * 255)

_cache = LRU(CACHE_SIZE)


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
        self.id = segment_id(reader)

    def term(self, fieldname, text):
        """[(keys, vector)] of a term (empty if absent), or None if it cannot be a vector."""
        tbytes = _tbytes(self.reader, fieldname, text)

        def build():
            if (fieldname, tbytes) not in self.reader:
                return []
            stored = stored_vectors(self.folder, self.id, fieldname, tbytes)
            if stored is not None:
                return stored
            ids, weights = term_postings(self.reader, fieldname, tbytes)
            scorable = self.reader.schema[fieldname].scorable
            lengths = length_bytes(self.reader, fieldname) if scorable else None
            return impact_vectors(ids, weights, lengths, 0, self.size)

        return _cache.get_or_build((self.folder, self.id, "term", fieldname, tbytes), build)

    def term_presence(self, fieldname, text):
        """Presence bytes of a term in this segment."""
        groups = self.term(fieldname, text)
        if groups is None:
            lanes = bytearray(self.size)
            for doc in term_postings(self.reader, fieldname, _tbytes(self.reader, fieldname, text))[0]:
                lanes[doc] = 1
            return bytes(lanes)
        if not groups:
            return bytes(self.size)
        if len(groups) == 1:
            return groups[0][1].translate(PRESENT)
        present = 0
        for _keys, vector in groups:
            present |= int.from_bytes(vector.translate(PRESENT), "little")
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

        return _cache.get_or_build((self.folder, self.id, "column", name), build)
