"""The read side of one index: a view of one committed state, kept per process and thread.

A search needs a page of results in rank order, the exact number of matches, and sometimes facet
counts or an order by a field. An :class:`IndexView` answers them with the ranking engine
(:mod:`portal.search.vectors`): filters become presence once and are kept for the life of the
view, text queries are counted and ranked on vectors, orders by a field walk the documents sorted
by that column, and facets count presence. A text query the engine cannot rank (fuzzy terms,
negated text) is matched by Whoosh
(:meth:`IndexView.whoosh_docs`) and ranked by Whoosh's searcher, within the same filter
(:class:`LaneSet`; see ``WhooshSearchResults`` in :mod:`portal.search.whoosh`).

A view lives while the index does not change; the next search after a commit (in any process)
gets a new one (see :meth:`portal.search.storage.IndexStore.view`). The per-segment parts of the
vectors outlive it: segments never change.
"""

from whoosh.idsets import DocIdSet

from .lru import LRU
from .vectors import Matches, VectorEngine

#: Facets with more distinct values than this count postings instead of vectors.
MAX_VECTOR_FACETS = 256
#: Orders by columns and facet term lists kept per view.
VIEW_CACHE_SIZE = 64


class LaneSet(DocIdSet):
    """A presence vector as the set of documents Whoosh's search takes as a ``filter``."""

    def __init__(self, matches):
        self.lanes = matches.lanes()
        self.size = matches.count

    def __contains__(self, doc):
        return doc < len(self.lanes) and self.lanes[doc] == 1

    def __len__(self):
        return self.size

    def __bool__(self):
        return self.size > 0

    def __iter__(self):
        return iter(Matches.docs_of(self.lanes))


class IndexView:
    """One committed state of an index, with the caches described in the module docstring."""

    def __init__(self, searcher, common=frozenset(), folder=""):
        self.searcher = searcher
        self.common = common
        leaves = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self.vectors = VectorEngine(searcher, leaves, folder)
        self._orders = LRU(VIEW_CACHE_SIZE)
        self._facets = LRU(VIEW_CACHE_SIZE)

    def whoosh_docs(self, query):
        """The documents of a query part that has no vector form, from Whoosh's matchers."""
        return set(self.searcher.docs_for_query(query))

    # Matching

    def filter(self, query):
        """Presence of a filter query (cached)."""
        return self.vectors.filter(query, self.whoosh_docs)

    def matches(self, text, allowed=None):
        """:class:`~portal.search.vectors.Matches` of a text query within ``allowed``."""
        ranked = self.vectors.evaluate(text, allowed)
        if ranked is not None:
            return ranked
        presence = self.vectors.presence(text, self.whoosh_docs)
        if allowed is not None:
            presence &= allowed
        return self.vectors.matches(presence)

    def ranked_by_whoosh(self, text, matching, count):
        """[(document, score)] of the ``count`` best of ``matching`` (:class:`Matches`) for a
        text query the engine cannot rank, by Whoosh's BM25F searcher asked for every match.
        Whoosh's search for the top N alone is not exact on bulk-written segments (see
        docs/search-backend.md, "Ranking"): it can leave out a document whose boosted term has its
        few postings inlined in the term table."""
        if not matching.count or count <= 0:
            return []  # an empty filter would be no filter to Whoosh
        results = self.searcher.search(text, limit=None, filter=LaneSet(matching), terms=False)
        return list(results.items())[:count]

    def everything(self, allowed=None):
        return self.vectors.matches(allowed if allowed is not None else self.vectors.live())

    # Orders by columns

    def _order(self, keys):
        """Every live document in the order ``keys`` [(sort column, reverse)], ties in index
        order (a stable sort of the documents)."""

        def build():
            docs = self.everything().docs()
            for column, reverse in reversed(keys):
                values = self.vectors.column_values(column)
                docs.sort(key=values.__getitem__, reverse=reverse)
            return docs

        return self._orders.get_or_build(tuple(keys), build)

    def first_in_order(self, keys, matching, count):
        """The first ``count`` documents of ``matching`` (:class:`Matches`) in the order ``keys``."""
        size = matching.count
        if count <= 0 or not size:
            return []
        if size * 16 < self.vectors.size:
            values = [self.vectors.column_values(column) for column, _reverse in keys]
            docs = matching.docs()
            for (_column, reverse), column_values in reversed(list(zip(keys, values, strict=True))):
                docs.sort(key=column_values.__getitem__, reverse=reverse)
            return docs[:count]
        lanes = matching.lanes()
        out = []
        for doc in self._order(keys):
            if lanes[doc]:
                out.append(doc)
                if len(out) == count:
                    break
        return out

    # Facets

    def facet_terms(self, fieldname):
        """The distinct terms (bytes) of a filter field."""

        def build():
            found = set()
            for segment in self.vectors.segments:
                reader = segment.reader
                if fieldname in reader.indexed_field_names():
                    found.update(reader.schema[fieldname].sortable_terms(reader, fieldname))
            return sorted(found)

        return self._facets.get_or_build(fieldname, build)

    def facet_counts(self, fieldname, matching):
        """{indexed value: number of ``matching`` documents holding it} for a filter field."""
        fieldobj = self.searcher.schema[fieldname]
        terms = self.facet_terms(fieldname)
        counts = {}
        if len(terms) <= MAX_VECTOR_FACETS:
            for term in terms:
                present = self.vectors.term_presence(fieldname, term)
                counts[fieldobj.from_bytes(term)] = (matching.presence & present).bit_count()
            return counts
        # Many distinct values (a facet on titles): count each value's postings one by one.
        lanes = matching.lanes()
        for segment in self.vectors.segments:
            offset = segment.offset
            for term in terms:
                if (fieldname, term) in segment.reader:
                    ids = segment.reader.postings(fieldname, term).all_ids()
                    found = sum(1 for doc in ids if lanes[offset + doc])
                    if found:
                        value = fieldobj.from_bytes(term)
                        counts[value] = counts.get(value, 0) + found
        return counts

    def missing_count(self, path, matching):
        """How many ``matching`` documents have no value for the filter field ``path``."""
        present = self.vectors.term_presence("has_value", path)
        return matching.count - (matching.presence & present).bit_count()
