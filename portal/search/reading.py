"""The read side of one index: a view of one committed state, kept per process and thread.

A search needs a page of results in rank order, the exact number of matches, and sometimes facet
counts or an order by a field. Whoosh gives the page quickly (its top-N collector skips blocks
that cannot make the page), but counting with it means stepping a matcher through every match in
Python. A :class:`IndexView` answers the rest with sets of document numbers instead: a term's
postings are read block by block straight into a set, and ``And``/``Or``/``Not`` become set
operations, which run in C. Filters (the queryset's conditions, the content type) become such a
set once and are cached for as long as the view lives, so a repeated filter costs a lookup; the
page is then Whoosh's top-N search with that set as its ``filter``. Orders by a field and range
filters on a field read a sorted copy of its sort column, made once per view.

A view lives while the index does not change; the next search after a commit (in any process)
gets a new one (see :meth:`portal.search.storage.IndexStore.view`).
"""

import bisect
from collections import OrderedDict
from itertools import accumulate

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher

from . import schema
from .columns import ColumnRange
from .phrases import PhraseQuery

#: Filter sets kept per view (the least recently used go first).
FILTER_CACHE_SIZE = 64


def _leaf_ids(matcher):
    """Every document number of a raw Whoosh posting list, a block at a time."""
    if isinstance(matcher, W3LeafMatcher):
        out = []
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            out.extend(accumulate(matcher._data[0]))
            matcher._next_block()
        return out
    return list(matcher.all_ids())


class IndexView:
    """One committed state of an index, with the caches described in the module docstring."""

    def __init__(self, searcher, common=frozenset()):
        self.searcher = searcher
        self.common = common
        self.leaves = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self._filters = OrderedDict()
        self._all = None
        self._columns = {}
        self._orders = {}
        self._facets = {}

    # Sets of document numbers

    def all_docs(self):
        if self._all is None:
            docs = set()
            for reader, offset in self.leaves:
                deleted = reader.deleted_docs_set if reader.has_deletions() else ()
                docs.update(offset + d for d in range(reader.doc_count_all()) if d not in deleted)
            self._all = frozenset(docs)
        return self._all

    def term_docs(self, fieldname, text):
        out = set()
        for reader, offset in self.leaves:
            if (fieldname, text) not in reader:
                continue
            fieldobj = reader.schema[fieldname]
            raw = reader._terms.matcher(fieldname, fieldobj.to_bytes(text), fieldobj.format)
            ids = _leaf_ids(raw)
            if offset:
                ids = [offset + d for d in ids]
            out.update(ids)
            if reader.has_deletions():
                out.difference_update(offset + d for d in reader.deleted_docs_set)
        return out

    def docs(self, query):
        """The exact set of documents matching a Whoosh query (text or filter)."""
        if query is wq.NullQuery:
            return set()
        if isinstance(query, wq.Every):
            return set(self.all_docs())
        if isinstance(query, wq.Term):
            return self.term_docs(query.fieldname, query.text)
        if isinstance(query, wq.Or):
            out = set()
            for sub in query.subqueries:
                out |= self.docs(sub)
            return out
        if isinstance(query, wq.And):
            positive = [q for q in query.subqueries if not isinstance(q, wq.Not)]
            negative = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
            out = self.docs(positive[0]) if positive else set(self.all_docs())
            for sub in positive[1:]:
                if not out:
                    break
                out &= self.docs(sub)
            for sub in negative:
                if not out:
                    break
                out -= self.docs(sub)
            return out
        if isinstance(query, wq.Not):
            return set(self.all_docs()) - self.docs(query.query)
        if isinstance(query, ColumnRange):
            return self.column_range_docs(query)
        if isinstance(query, PhraseQuery) and query.exact_pair() is not None:
            return self.term_docs(schema.pairs_field(query.path), query.exact_pair())
        # Ranges, prefixes, fuzzy terms and verified phrases: Whoosh's own matchers.
        return set(self.searcher.docs_for_query(query))

    def filter_docs(self, query):
        """:meth:`docs` for a filter, cached for the life of this view. The set is shared: never
        modify it (Whoosh takes a ``set`` as a search filter, not a frozenset)."""
        key = query
        cached = self._filters.get(key)
        if cached is not None:
            self._filters.move_to_end(key)
            return cached
        docs = self.docs(query)
        self._filters[key] = docs
        while len(self._filters) > FILTER_CACHE_SIZE:
            self._filters.popitem(last=False)
        return docs

    # Columns: range filters and orders

    def column(self, name):
        """[(sort key bytes, document number)] of every live document, sorted."""
        entries = self._columns.get(name)
        if entries is None:
            entries = []
            for reader, offset in self.leaves:
                deleted = reader.deleted_docs_set if reader.has_deletions() else ()
                if reader.has_column(name):
                    values = reader.column_reader(name)
                    entries.extend((v, offset + d) for d, v in enumerate(values) if d not in deleted)
                else:
                    entries.extend((b"", offset + d) for d in range(reader.doc_count_all()) if d not in deleted)
            entries.sort()
            self._columns[name] = entries
        return entries

    def column_range_docs(self, query):
        entries = self.column(query.fieldname)
        low = bisect.bisect_left(entries, (query.low if query.low is not None else b"\x00",))
        if query.high is None:
            high = len(entries)
        else:
            high = bisect.bisect_left(entries, (query.high + b"\x00",))
        return {doc for value, doc in entries[low:high] if query.accepts(value)}

    def order(self, keys):
        """{document number: rank} for an order by sort columns ``keys`` [(column, reverse)],
        ties in index order (as a stable sort of the documents gives)."""
        key = tuple(keys)
        rank = self._orders.get(key)
        if rank is None:
            docs = sorted(self.all_docs())
            for column, reverse in reversed(keys):
                values = {doc: value for value, doc in self.column(column)}
                docs.sort(key=values.__getitem__, reverse=reverse)
            rank = self._orders[key] = {doc: position for position, doc in enumerate(docs)}
            self._orders[key + ("list",)] = docs
        return rank

    def first_in_order(self, keys, matching, count):
        """The first ``count`` documents of ``matching`` in the order ``keys``."""
        if not matching or count <= 0:
            return []
        rank = self.order(keys)
        if len(matching) * 8 < len(rank):
            return sorted(matching, key=rank.__getitem__)[:count]
        out = []
        for doc in self._orders[tuple(keys) + ("list",)]:
            if doc in matching:
                out.append(doc)
                if len(out) == count:
                    break
        return out

    # Facets

    def facet_docs(self, fieldname):
        """{term bytes: set of documents} for a filter field."""
        sets = self._facets.get(fieldname)
        if sets is None:
            sets = {}
            for reader, offset in self.leaves:
                if fieldname not in reader.indexed_field_names():
                    continue
                fieldobj = reader.schema[fieldname]
                deleted = reader.deleted_docs_set if reader.has_deletions() else ()
                for term in fieldobj.sortable_terms(reader, fieldname):
                    raw = reader._terms.matcher(fieldname, term, fieldobj.format)
                    docs = sets.setdefault(term, set())
                    docs.update(offset + d for d in _leaf_ids(raw) if d not in deleted)
            self._facets[fieldname] = sets
        return sets
