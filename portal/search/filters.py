"""Filters as sets of documents: the queryset's filters, compiled into Whoosh queries by
:mod:`portal.search.compiler`, evaluated as presence (one byte per document, joined into one
integer; see :mod:`portal.search.segments`).

Terms, ``Or``, ``And`` and ``Not`` become presence with ``|``, ``&`` and ``~``. A range on a
top-level field is a :class:`ColumnRange`, the one range filter of the backend: it reads the
field's sort column, sorted once per segment, with a byte per document giving its place in that
order in 256 steps, so a range is one ``bytes.translate`` plus the documents of the two steps it
cuts, whatever its width (a Whoosh ``NumericRange`` ORs the postings of every term in the range).
Any other query (a range or prefix on a related field's values) is asked of Whoosh.
"""

import bisect

from whoosh import query as wq


class ColumnRange(wq.Query):
    """Documents whose ``fieldname`` sort column (sort-key bytes, see
    :func:`portal.search.values.sort_key`) lies between ``low`` and ``high``; None is open.
    Only :func:`presence` evaluates it: it never reaches Whoosh's searcher."""

    def __init__(self, fieldname, low=None, high=None, low_excl=False, high_excl=False):
        self.fieldname = fieldname
        self.low, self.high = low, high
        self.low_excl, self.high_excl = low_excl, high_excl

    def __repr__(self):
        return f"ColumnRange({self.fieldname!r}, {self.low!r}, {self.high!r}, {self.low_excl}, {self.high_excl})"

    def _key(self):
        return (self.fieldname, self.low, self.high, self.low_excl, self.high_excl)

    def __eq__(self, other):
        return type(other) is type(self) and other._key() == self._key()

    def __hash__(self):
        return hash(self._key())

    def is_leaf(self):
        return True

    def segment_presence(self, segment):
        """Presence bytes of this range in a :class:`~portal.search.segments.Segment`."""
        values, order, places, _by_doc = segment.column(self.fieldname)
        low = bisect.bisect_left(values, b"\x01") if self.low is None else None
        if low is None:
            edge = self.low + b"\x00" if self.low_excl else self.low
            low = max(bisect.bisect_left(values, edge), bisect.bisect_left(values, b"\x01"))
        if self.high is None:
            high = len(values)
        else:
            high = bisect.bisect_left(values, self.high if self.high_excl else self.high + b"\x00")
        if high <= low:
            return bytes(segment.size)
        # Whole steps strictly inside the range by translation, the two cut steps by document.
        size = max(segment.size, 1)
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


def presence(engine, query, fallback):
    """Presence of a filter query over the documents of ``engine`` (a
    :class:`~portal.search.vectors.VectorEngine`; deleted documents may be included, the caller
    masks them); ``fallback(query)`` gives the document numbers of a part with no vector form."""
    if query is wq.NullQuery:
        return 0
    if isinstance(query, wq.Every):
        return engine.live()
    if isinstance(query, wq.Term):
        return engine.term_presence(query.fieldname, query.text)
    if isinstance(query, ColumnRange):
        return engine.join(query.segment_presence(segment) for segment in engine.segments)
    if isinstance(query, wq.Or):
        combined = 0
        for sub in query.subqueries:
            combined |= presence(engine, sub, fallback)
        return combined
    if isinstance(query, wq.And):
        combined = engine.live()
        for sub in query.subqueries:
            if isinstance(sub, wq.Not):
                combined &= ~presence(engine, sub.query, fallback)
            else:
                combined &= presence(engine, sub, fallback)
        return combined
    if isinstance(query, wq.Not):
        return engine.live() & ~presence(engine, query.query, fallback)
    return engine.of_docs(fallback(query))
