"""A modelsearch backend on Whoosh: full-text search with BM25F ranking from a folder on disk.

Select it in settings; nothing else refers to it::

    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "portal.search.whoosh", "PATH": "/var/lib/portal/index"}}

Options (top level or in "OPTIONS"): ``PATH`` (required; created on first use),
``WRITE_TIMEOUT`` (seconds a save waits for Whoosh's write lock before leaving its change in the
queue for the lock holder to write; default 5) and ``REBUILD_PROCS`` (processes that analyse and
write documents in a large rebuild; default the number of CPUs). See docs/search-backend.md.

Built like modelsearch's own backends: an index class per root model (``<PATH>/<root model>/``,
on disk as :mod:`portal.search.storage`), query compilers (:mod:`portal.search.compiler`), a
results class (ranked by :mod:`portal.search.vectors` through :mod:`portal.search.reading`), a
rebuilder (:mod:`portal.search.rebuild`), wired together by class attributes on the backend.
Constructing the backend only reads settings; indexes are opened on first use and their
searchers are kept per process and thread.
"""

import os
from collections import Counter, OrderedDict
from pathlib import Path

from whoosh import query as wq

from django.core.exceptions import ImproperlyConfigured

from modelsearch.backends.base import (
    BaseIndex,
    BaseSearchBackend,
    BaseSearchResults,
    FilterFieldError,
    get_model_root,
)
from modelsearch.index import class_is_indexed

from . import schema, values
from .compiler import WhooshAutocompleteQueryCompiler, WhooshSearchQueryCompiler
from .documents import build_document, is_multi_valued
from .rebuild.generation import Rebuild
from .rebuild.rebuilder import WhooshIndexRebuilder
from .storage import IndexStore


class WhooshIndex(BaseIndex):
    """The documents of one root model and its subclasses (wagtailcore.Page and every page type)."""

    def __init__(self, backend, model):
        super().__init__(backend)
        self.model = model
        # Named after the concrete root model: abstract indexed bases (the portal's taxonomy
        # Term) give their subclasses one "toplevel content type", but each has its own table.
        self.name = f"{model._meta.app_label}_{model._meta.model_name}"
        self.store = IndexStore(backend.path / self.name, write_timeout=backend.write_timeout)

    def get_key(self):
        return self.name

    def __str__(self):
        return self.name

    def add_model(self, model):
        """Nothing to do: the schema's fields are dynamic."""

    def refresh(self):
        """Nothing to do: every search checks for a newer commit first."""

    def reset(self):
        Rebuild(self.store).start().finish()

    def add_items(self, model, items):
        if not class_is_indexed(model):
            return
        self.store.apply([("add", build_document(obj)) for obj in items])

    def delete_item(self, item):
        self.store.apply([("delete", str(item.pk))])

    def searcher(self):
        return self.store.searcher()


class WhooshSearchResults(BaseSearchResults):
    """Results: counts, facets, orders by a field and the page of a ranked search from the
    ranking engine (:mod:`portal.search.reading`, :mod:`portal.search.vectors`), or from
    Whoosh's searcher for text the engine cannot rank."""

    supports_facet = True

    def _view(self):
        return self.backend.get_index_for_model(self.query_compiler.queryset.model).store.view()

    def _allowed(self, view):
        """Presence of the documents the filters allow, or None when nothing is filtered."""
        filters = self.query_compiler.filter_query()
        return None if filters is None else view.filter(filters)

    def _matching(self, view):
        """:class:`~portal.search.vectors.Matches` of the query and filters, or None if nothing
        can match. Kept on the query compiler, which a slice of these results shares, so the
        page and the count of one search are computed once."""
        compiler = self.query_compiler
        cached = getattr(compiler, "_matching_cache", None)
        if cached is not None and cached[0] is view:
            return cached[1]
        text = compiler.text_query(view.common)
        allowed = self._allowed(view)
        if text is wq.NullQuery or allowed == 0:
            matching = None
        elif isinstance(text, wq.Every):
            matching = view.everything(allowed)
        else:
            matching = view.matches(text, allowed)
        compiler._matching_cache = (view, matching)
        return matching

    def _hits(self, view):
        """[(primary key text, score)] for this slice."""
        if self.stop is not None and self.stop <= self.start:
            return []
        matching = self._matching(view)
        if matching is None or not matching.count:
            return []
        compiler = self.query_compiler
        text = compiler.text_query(view.common)
        order = compiler.sort_keys()
        searcher = view.searcher
        stop = matching.count if self.stop is None else min(self.stop, matching.count)
        if order is not None:
            columns = [(schema.sort_field(name), reverse) for name, reverse in order]
            docs = view.first_in_order(columns, matching, stop)[self.start :]
            scores = {}
            if self._score_field and docs and not isinstance(text, wq.Every):
                found = searcher.search(text, limit=None, filter=set(docs), terms=False)
                scores = dict(found.items())
            hits = [(doc, scores.get(doc, 0.0)) for doc in docs]
        elif isinstance(text, wq.Every):
            # Everything matches equally: index order.
            hits = [(doc, 1.0) for doc in matching.docs()[self.start : stop]]
        elif matching.ranked:
            hits = matching.top(stop)[self.start :]
        else:
            # Text the engine cannot rank: Whoosh's searcher, within the same matches.
            hits = view.ranked_by_whoosh(text, matching, stop)[self.start : stop]
        return [(searcher.stored_fields(doc)["doc_id"], float(score or 0.0)) for doc, score in hits]

    def _keyed_hits(self):
        """[(primary key, score)] for this slice, keys as the model's primary key field takes them."""
        to_python = self.query_compiler.queryset.model._meta.pk.to_python
        return [(to_python(key), score) for key, score in self._hits(self._view())]

    def pks(self, check=True):
        """The primary keys of these results in order, without building model instances: an
        addition to modelsearch's results for callers that need every match only as keys (the
        portal counts facets over them). The database has the last word, as for the objects;
        ``check=False`` leaves that to a caller that reads the keys from the database anyway."""
        keys = [key for key, _score in self._keyed_hits()]
        if not keys or not check:
            return keys
        present = set(self.query_compiler.queryset.filter(pk__in=keys).values_list("pk", flat=True))
        return [key for key in keys if key in present]

    def _do_search(self):
        hits = self._keyed_hits()
        if not hits:
            return []
        queryset = self.query_compiler.queryset
        keys = [key for key, _score in hits]
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        # The database has the last word: an object it no longer holds, or that the queryset's
        # filters exclude, is left out even if the index still lists it.
        objects = {obj.pk: obj for obj in queryset.filter(pk__in=keys)}
        results = []
        for key, score in hits:
            obj = objects.get(key)
            if obj is not None:
                if self._score_field:
                    setattr(obj, self._score_field, score)
                results.append(obj)
        return results

    def _do_count(self):
        matching = self._matching(self._view())
        total = 0 if matching is None else matching.count
        stop = total if self.stop is None else min(total, self.stop)
        return max(0, stop - self.start)

    def facet(self, field_name):
        compiler = self.query_compiler
        model = compiler.queryset.model
        field = compiler._get_filterable_field(field_name)
        if field is None:
            raise FilterFieldError(
                f'Cannot facet search results with field "{field_name}". Please add '
                f'index.FilterField("{field_name}") to {model.__name__}.search_fields.',
                field_name=field_name,
            )
        view = self._view()
        matching = self._matching(view)
        if matching is None or not matching.count:
            return OrderedDict()
        code = values.type_code(field, model)
        path = field.get_attname(model)
        name = schema.filter_field(code, path, single=not is_multi_valued(field, model))
        internal = field.get_type(model)
        counts = Counter()
        for raw, count in view.facet_counts(name, matching).items():
            if count:
                counts[values.decode(code, raw, internal)] += count
        missing = view.missing_count(path, matching)
        if missing:
            counts[None] = missing
        return OrderedDict(counts.most_common())


class WhooshSearchBackend(BaseSearchBackend):
    query_compiler_class = WhooshSearchQueryCompiler
    autocomplete_query_compiler_class = WhooshAutocompleteQueryCompiler
    results_class = WhooshSearchResults
    index_class = WhooshIndex
    rebuilder_class = WhooshIndexRebuilder
    # A save never fails because of the index: an error is logged, the drift command repairs it.
    catch_indexing_errors = True

    def __init__(self, params):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        path = params.get("PATH") or options.get("PATH")
        if not path:
            raise ImproperlyConfigured('The Whoosh search backend needs a "PATH": the folder of its index.')
        self.path = Path(path)
        self.write_timeout = float(params.get("WRITE_TIMEOUT", options.get("WRITE_TIMEOUT", 5.0)))
        # Processes that read, analyse and write documents in a large rebuild (portal.search.rebuild).
        self.rebuild_procs = int(params.get("REBUILD_PROCS", options.get("REBUILD_PROCS", os.cpu_count() or 1)))

    def get_index_for_model(self, model):
        return self.index_class(self, get_model_root(model))


SearchBackend = WhooshSearchBackend
