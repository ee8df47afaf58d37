"""Query compilers: modelsearch queries, querysets' filters and ordering, as Whoosh queries.

Query text is never handed to Whoosh's query parser. It goes through the same analyzer as the
index (:func:`portal.search.analysis.query_units`), which bounds its length and its number of
terms, and each unit becomes a term (or a phrase of CJK bigrams) on every searched field, with
the field's SearchField boost: BM25F over the fields the model declares.

Filters are translated into Whoosh queries on the ``f<code>__<path>`` fields; a lookup it cannot
translate raises modelsearch's ``FilterError``, never silently matches everything. Two
conditions through the same to-many join (``books__date=…, books__pages__gt=…``: one book must
meet both) cannot be answered from flattened values, so that queryset's filter is evaluated by
the database instead and applied to the index as a set of primary keys.
"""

from whoosh import query as wq

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Model, OrderBy, Subquery
from django.db.models.functions.datetime import Extract
from django.db.models.lookups import Lookup
from django.db.models.sql import Query

from modelsearch.backends.base import BaseSearchQueryCompiler, FilterError, OrderByFieldError
from modelsearch.query import And, Boost, Fuzzy, MatchAll, Not, Or, Phrase, PlainText

from . import schema, values
from .analysis import query_units
from .documents import is_multi_valued
from .filters import ColumnRange
from .phrases import PhraseQuery
from .whoosh_internals import Union

#: Query text beyond this many characters is ignored (nobody types more; it bounds the cost).
MAX_QUERY_LENGTH = 1000
_NO_VALUE = object()


def _or(queries):
    queries = [q for q in queries if q is not wq.NullQuery]
    if not queries:
        return wq.NullQuery
    return queries[0] if len(queries) == 1 else Union(queries)


def _and(queries):
    if any(q is wq.NullQuery for q in queries):
        return wq.NullQuery
    narrowing = [q for q in queries if not isinstance(q, wq.Every)]
    if not narrowing:
        return wq.Every()
    return narrowing[0] if len(narrowing) == 1 else wq.And(narrowing)


def _not(inner):
    if inner is wq.NullQuery:
        return wq.Every()
    if isinstance(inner, wq.Every):
        return wq.NullQuery
    return wq.And([wq.Every(), wq.Not(inner)])


class WhooshSearchQueryCompiler(BaseSearchQueryCompiler):
    DEFAULT_OPERATOR = "or"
    HANDLES_ORDER_BY_EXPRESSIONS = True
    autocomplete = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._text_queries = {}
        self._filters = _NO_VALUE
        self._leaves = []
        self._common = frozenset()

    # Text

    def searched_paths(self):
        """{text path: boost} of the fields searched (``a__`` paths for autocomplete)."""
        only = frozenset(self.fields) if self.fields else None
        return schema.searchable_paths(self.queryset.model, only=only, autocomplete=self.autocomplete)

    def _field(self, path):
        return schema.prefix_field(path) if self.autocomplete else schema.text_field(path)

    def _terms_query(self, terms, path, boost):
        """``terms`` on consecutive positions of ``path`` (one term: a term query)."""
        field = self._field(path)
        if len(terms) == 1:
            return wq.Term(field, terms[0], boost=boost)
        if self.autocomplete:
            return wq.And([wq.Term(field, term) for term in terms], boost=boost)
        return PhraseQuery(path, terms, self._common, boost=boost)

    def _unit_query(self, unit, path, boost):
        """A unit of query text on ``path``: its terms as a phrase, or (a hyphenated word) its
        joined term."""
        query = self._terms_query(unit, path, boost)
        if unit.joined is None:
            return query
        return _or([wq.Term(self._field(path), unit.joined, boost=boost), query])

    def _units_query(self, units, operator, boost, fuzzy=False):
        paths = self.searched_paths()
        if not units or not paths:
            return wq.NullQuery
        per_unit = []
        for unit in units:
            alternatives = []
            for path, field_boost in paths.items():
                if fuzzy and len(unit) == 1 and unit.joined is None and len(unit[0]) >= 3:
                    maxdist = 1 if len(unit[0]) <= 5 else 2
                    fuzzy_term = wq.FuzzyTerm(
                        self._field(path), unit[0], boost=boost * field_boost, maxdist=maxdist, prefixlength=1
                    )
                    alternatives.append(fuzzy_term)
                else:
                    alternatives.append(self._unit_query(unit, path, boost * field_boost))
            per_unit.append(_or(alternatives))
        return _and(per_unit) if operator == "and" else _or(per_unit)

    def _text(self, text, unique=True):
        return query_units(str(text)[:MAX_QUERY_LENGTH], autocomplete=self.autocomplete, unique=unique)

    def compile_query(self, query, boost=1.0):
        if isinstance(query, MatchAll):
            return wq.Every()
        if isinstance(query, PlainText):
            return self._units_query(self._text(query.query_string), query.operator, boost * query.boost)
        if isinstance(query, Fuzzy):
            return self._units_query(self._text(query.query_string), query.operator, boost, fuzzy=True)
        if isinstance(query, Phrase):
            # The words in order; a hyphenated word as its parts ("self driving car") or, in a
            # second phrase, as its joined term ("selfdriving car"). Prefix fields keep no
            # positions: there a phrase is all its words.
            units = self._text(query.query_string, unique=False)
            if not units:
                return wq.NullQuery
            split = tuple(term for unit in units for term in unit)
            joined = tuple(term for unit in units for term in ((unit.joined,) if unit.joined else unit))
            paths = self.searched_paths()
            return _or(
                [
                    self._terms_query(terms, path, boost * field_boost)
                    for terms in dict.fromkeys([split, joined])
                    for path, field_boost in paths.items()
                ]
            )
        if isinstance(query, Boost):
            return self.compile_query(query.subquery, boost * query.boost)
        if isinstance(query, And):
            return _and([self.compile_query(q, boost) for q in query.subqueries])
        if isinstance(query, Or):
            return _or([self.compile_query(q, boost) for q in query.subqueries])
        if isinstance(query, Not):
            return _not(self.compile_query(query.subquery, boost))
        raise TypeError(
            f"`{type(query).__name__}` is not a modelsearch query class; the Whoosh search backend compiles "
            "PlainText, Phrase, Fuzzy, Boost, And, Or, Not, MatchAll and MatchNone."
        )

    # Filters

    def _get_filters_from_where_node(self, where_node, check_only=False):
        if isinstance(where_node, Lookup) and not isinstance(where_node.lhs, Extract):
            column = where_node.lhs
            if not hasattr(column, "target") or not hasattr(column, "alias"):
                raise FilterError(f"Cannot apply filter on search results: {where_node!r} is not a field lookup.")
            if self._is_own_pk(column):
                # The primary key (and the ``*_ptr_id`` of a subclass, which is the same value) is
                # in every document; modelsearch would ignore ``*_ptr_id`` filters, we apply them.
                if check_only:
                    return None
                code = values.pk_code(self.queryset.model)
                return ("q", self._lookup("pk", code, where_node.lookup_name, where_node.rhs, sortable=True))
        return super()._get_filters_from_where_node(where_node, check_only=check_only)

    def _join_chain(self, alias):
        joins = []
        alias_map = self.queryset.query.alias_map
        while alias is not None and alias in alias_map:
            join = alias_map[alias]
            if getattr(join, "join_field", None) is not None:
                joins.append((alias, join.join_field))
            alias = getattr(join, "parent_alias", None)
        return joins

    def _is_own_pk(self, column):
        if not column.target.primary_key:
            return False
        for _alias, join_field in self._join_chain(column.alias):
            if not (join_field.one_to_one and getattr(join_field.remote_field, "parent_link", False)):
                return False
        return True

    def _process_filter(self, column, lookup, value, check_only=False):
        many = {alias for alias, f in self._join_chain(column.alias) if f.one_to_many or f.many_to_many}
        self._leaves.append((many, lookup))
        return super()._process_filter(column, lookup, value, check_only=check_only)

    def _process_lookup(self, field_path, lookup, value):
        model = self.queryset.model
        for related in field_path[:-1]:
            model = related.get_field(model).related_model
        filter_field = field_path[-1]
        path = "__".join([r.field_name for r in field_path[:-1]] + [filter_field.get_attname(model)])
        sortable = len(field_path) == 1 and not is_multi_valued(filter_field, model)
        query = self._lookup(path, values.type_code(filter_field, model), lookup, value, sortable)
        return None if query is None else ("q", query)

    def _evaluate(self, value, lookup):
        if isinstance(value, Subquery):
            value = value.query
        if isinstance(value, Query):
            compiler = value.get_compiler(self.queryset.db or DEFAULT_DB_ALIAS)
            rows = [row[0] for row in compiler.results_iter()]
            if lookup == "in":
                return rows
            return rows[0] if rows else _NO_VALUE
        if hasattr(value, "resolve_expression"):
            raise FilterError(f"Cannot apply filter on search results: {value!r} is an expression, not a value.")
        if lookup == "in":
            return list(value)
        return value

    def _lookup(self, path, code, lookup, value, sortable=False):
        """The Whoosh query for ``<path>__<lookup>=value``, or None if the lookup is unknown.
        ``sortable``: the path has a sort column (a top-level, single-valued field)."""
        name = schema.filter_field(code, path, single=sortable)
        value = self._evaluate(value, lookup)
        if value is _NO_VALUE:
            return wq.NullQuery
        if path == "pk" and lookup in ("exact", "in", "startswith", "prefix"):
            # The primary key is the document's ``doc_id``.
            if lookup in ("startswith", "prefix"):
                return wq.Prefix("doc_id", str(value))
            keys = {self._pk_text(v) for v in ([value] if lookup == "exact" else value)} - {None}
            return _or([wq.Term("doc_id", key) for key in sorted(keys)])
        if lookup == "isnull":
            has_value = wq.Every() if path == "pk" else wq.Term("has_value", path)
            return _not(has_value) if value else has_value
        if lookup == "exact":
            encoded = values.encode(code, value)
            return wq.NullQuery if encoded is None else wq.Term(name, encoded)
        if lookup == "in":
            encoded = {values.encode(code, v) for v in value} - {None}
            return _or([wq.Term(name, v) for v in sorted(encoded)])
        if lookup in ("gt", "gte", "lt", "lte", "range"):
            if lookup == "range":
                low, high = (values.encode(code, v) for v in value)
                bounds = (low, high, False, False)
            elif lookup in ("gt", "gte"):
                bounds = (values.encode(code, value), None, lookup == "gt", False)
            else:
                bounds = (None, values.encode(code, value), False, lookup == "lt")
            low, high, low_excl, high_excl = bounds
            if sortable:
                low, high = (None if v is None else values.sort_key(code, v) for v in (low, high))
                return ColumnRange(schema.sort_field(path), low, high, low_excl, high_excl)
            if code == values.STRING:
                return wq.TermRange(name, low or "=", high, startexcl=low_excl, endexcl=high_excl)
            return wq.NumericRange(name, low, high, startexcl=low_excl, endexcl=high_excl)
        if lookup in ("startswith", "prefix") and code == values.STRING:
            return wq.Prefix(name, values.encode(code, value))
        return None

    def _pk_text(self, value):
        if value is None:
            return None
        if isinstance(value, Model):
            value = value.pk
        return str(self.queryset.model._meta.pk.to_python(value))

    def _process_match_none(self):
        return ("q", wq.NullQuery)

    def _connect_filters(self, filters, connector, negated):
        # Filters are ("q", query) tuples, always truthy: the base class drops falsy children,
        # and a Whoosh query with no parts is falsy, which would silently widen the filter.
        queries = [f[1] for f in filters if f]
        if not queries:
            combined = wq.Every()
        elif connector == "AND":
            combined = _and(queries)
        else:
            combined = _or(queries)
        return ("q", _not(combined) if negated else combined)

    def filter_query(self):
        """The queryset's filters (and the content type) as one Whoosh query, or None."""
        if self._filters is not _NO_VALUE:
            return self._filters
        self._leaves = []
        compiled = self._get_filters_from_queryset()
        filters = []
        model = self.queryset.model
        if model.indexed_get_parent() is not None:
            filters.append(wq.Term("content_type", model.indexed_get_content_type()))
        if compiled:
            if self._needs_database(self._leaves):
                pks = self.queryset.order_by().values_list("pk", flat=True)
                filters.append(self._lookup("pk", values.pk_code(model), "in", list(pks), sortable=True))
            else:
                filters.append(compiled[1])
        self._filters = _and(filters) if filters else None
        return self._filters

    @staticmethod
    def _needs_database(leaves):
        seen = set()
        for many, lookup in leaves:
            if many and lookup == "isnull":
                return True
            if many & seen:
                return True
            seen |= many
        return False

    def text_query(self, common=frozenset()):
        """The Whoosh query for the text (what scores), for a generation whose common words
        are ``common`` (see :mod:`portal.search.phrases`). Filters are applied apart, as a set
        of documents (:meth:`filter_query`)."""
        key = common
        query = self._text_queries.get(key)
        if query is None:
            self._common = common
            query = self._text_queries[key] = self.compile_query(self.query)
        return query

    # Ordering

    def _get_order_by(self):
        # Called by check() to validate the ordering before any search runs.
        return self.sort_keys() or []

    def sort_keys(self):
        """[(column name, reverse)] to sort by, or None for relevance. Unknown fields raise."""
        if self.order_by_relevance:
            return None
        query = self.queryset.query
        model = self.queryset.model
        ordering = list(query.order_by) or (list(model._meta.ordering) if query.default_ordering else [])
        if not ordering:
            return [("pk", True)]
        keys = []
        for item in ordering:
            if isinstance(item, OrderBy) and isinstance(item.expression, F):
                name, reverse = item.expression.name, item.descending
            elif isinstance(item, str) and item != "?":
                name, reverse = item.lstrip("-"), item.startswith("-")
            else:
                raise OrderByFieldError(
                    f'Sorting search results with "{item}" is not supported by this search backend.',
                    field_name=str(item),
                )
            if name in ("pk", model._meta.pk.name, model._meta.pk.attname):
                keys.append(("pk", reverse))
                continue
            field = self._get_filterable_field(name) or next(
                (f for f in model.get_filterable_search_fields() if f.field_name == name), None
            )
            if field is None:
                raise OrderByFieldError(
                    f'Cannot sort search results with field "{name}". Please add index.FilterField("{name}") '
                    f"to {model.__name__}.search_fields.",
                    field_name=name,
                )
            keys.append((field.get_attname(model), reverse))
        return keys


class WhooshAutocompleteQueryCompiler(WhooshSearchQueryCompiler):
    autocomplete = True
