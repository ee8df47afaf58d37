"""Facets over records: filters that combine (AND across facets, OR within one) and counts.

Used by the web search page and the index pages, so that browsing and searching behave alike.
When browsing, counting runs in the database, one query per facet over the visible records
filtered by the other facets. Over the ids a search matched, it walks a table of every record's
facet values (``TermTable``), kept in the process and rebuilt when any record changes. A facet's
counts ignore that facet's own selection, so that a visitor can add a second value to it (OR)
and see how many records each would bring.
"""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import ExtractYear

from portal.models import RecordPage, Topic

#: facet name -> (record relation, the term field used in URLs)
TERM_FACETS = {
    "topic": ("topics", "slug"),
    "sector": ("sectors", "slug"),
    "jurisdiction": ("jurisdictions", "code"),
    "language": ("languages", "code"),
    "organisation": ("organisations", "slug"),
}
FACETS = ["kind", *TERM_FACETS, "year"]
LABELS = {
    "kind": "Kind",
    "topic": "Topic",
    "sector": "Sector",
    "jurisdiction": "Jurisdiction",
    "language": "Language",
    "organisation": "Organisation",
    "year": "Year",
}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    depth: int = 0  # topics: depth in the tree


def constraint(name, values):
    """A filter on RecordPage keeping records with any of ``values`` for facet ``name``."""
    if name == "kind":
        models = RecordPage.kind_models()
        return Q(content_type__in=[_content_type(models[v]) for v in values if v in models])
    if name == "year":
        return Q(publication_date__year__in=[int(v) for v in values])
    relation, key = TERM_FACETS[name]
    terms = RecordPage._meta.get_field(relation).related_model.objects.filter(**{f"{key}__in": values})
    ids = set(terms.values_list("pk", flat=True))
    if name == "topic":
        ids = Topic.descendant_ids(ids)
    return Q(pk__in=RecordPage.objects.filter(**{f"{relation}__in": ids}).values("pk"))


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model)


class TermTable:
    """Every record's facet values, read once per state of the records and kept in this process:
    counting the facets of a search's matched keys is then a walk over the table instead of a
    query per facet with thousands of keys as parameters. Built from one query per facet."""

    _current = None

    def __init__(self):
        models = RecordPage.kind_models()
        kinds = {_content_type(model).pk: (kind, model.kind_label) for kind, model in models.items()}
        self.values = {name: {} for name in FACETS}  # facet -> {record id: [values]}
        self.labels = {name: {} for name in FACETS}  # facet -> {value: label}
        for pk, content_type, published in RecordPage.objects.values_list("pk", "content_type", "publication_date"):
            kind, label = kinds.get(content_type, ("", ""))
            self.values["kind"][pk] = [kind]
            self.labels["kind"][kind] = label
            if published is not None:
                year = str(published.year)
                self.values["year"][pk] = [year]
                self.labels["year"][year] = year
        self.topic_ids = {}  # record id -> [topic ids], for the topic tree
        for name, (relation, key) in TERM_FACETS.items():
            field = RecordPage._meta.get_field(relation)
            through, term = field.remote_field.through, field.m2m_reverse_field_name()
            rows = through.objects.values_list("recordpage_id", f"{term}_id", f"{term}__{key}", f"{term}__name")
            for record_id, term_id, value, label in rows:
                self.values[name].setdefault(record_id, []).append(value)
                self.labels[name][value] = label
                if name == "topic":
                    self.topic_ids.setdefault(record_id, []).append(term_id)

    def having(self, name, values):
        """The ids of the records with any of ``values`` for facet ``name`` (for a topic: the
        topic or any topic under it), as ``constraint`` selects them in the database."""
        if name == "topic":
            chosen = Topic.descendant_ids(Topic.objects.filter(slug__in=values).values_list("pk", flat=True))
            return {pk for pk, ids in self.topic_ids.items() if chosen.intersection(ids)}
        wanted = set(values)
        return {pk for pk, found in self.values[name].items() if wanted.intersection(found)}

    @classmethod
    def current(cls, state=None):
        """The table for the records as they are now (rebuilt after any change to a record);
        ``state``: ``portal.caching.records_state()`` if the caller has it already."""
        from portal.caching import records_state

        state = state or records_state()
        if cls._current is None or cls._current[0] != state:
            cls._current = (state, cls())
        return cls._current[1]


def _count_ids(name, ids, selected, table=None):
    """``count`` over record ids, from the TermTable."""
    table = table or TermTable.current()
    if name == "topic":
        return _topic_tree_of({pk: table.topic_ids.get(pk, ()) for pk in ids}, selected)
    counts, values = Counter(), table.values[name]
    for pk in ids:
        counts.update(set(values.get(pk, ())))
    labels = table.labels[name]
    if name == "year":
        return [FacetValue(v, labels[v], counts[v], v in selected) for v in sorted(counts, reverse=True)]
    ordered = sorted(counts, key=lambda v: (-counts[v], labels[v]))
    return [FacetValue(v, labels[v], counts[v], v in selected) for v in ordered if v]


def count(name, records=None, ids=None, selected=()):
    """The values of facet ``name`` with their counts over ``records`` (a RecordPage queryset) or
    over the record ``ids``, most frequent first (years newest first; topics as a tree)."""
    if ids is not None:
        return _count_ids(name, ids, selected)
    counts, labels = Counter(), {}
    scopes = [records]
    if name == "kind":
        models = RecordPage.kind_models()
        kinds = {_content_type(model).pk: (kind, model.kind_label) for kind, model in models.items()}
        for scope in scopes:
            for content_type, n in scope.order_by().values_list("content_type").annotate(n=Count("pk")):
                kind, label = kinds.get(content_type, ("", ""))
                counts[kind] += n
                labels[kind] = label
    elif name == "year":
        for scope in scopes:
            rows = scope.order_by().annotate(y=ExtractYear("publication_date")).values_list("y").annotate(n=Count("pk"))
            for year, n in rows:
                counts[str(year)] += n
                labels[str(year)] = str(year)
        ordered = sorted(counts, reverse=True)
        return [FacetValue(v, labels[v], counts[v], v in selected) for v in ordered]
    elif name == "topic":
        return _topic_tree(scopes, selected)
    else:
        relation, key = TERM_FACETS[name]
        field = RecordPage._meta.get_field(relation)
        through, term = field.remote_field.through, field.m2m_reverse_field_name()
        for scope in scopes:
            rows = (
                through.objects.filter(recordpage__in=scope.order_by().values("pk"))
                .values_list(f"{term}__{key}", f"{term}__name")
                .annotate(n=Count("recordpage", distinct=True))
            )
            for value, label, n in rows:
                counts[value] += n
                labels[value] = label
    ordered = sorted(counts, key=lambda v: (-counts[v], labels[v]))
    return [FacetValue(v, labels[v], counts[v], v in selected) for v in ordered if v]


def _topic_tree(scopes, selected):
    """Topic counts where a topic counts the records under it or any of its sub-topics once."""
    through = RecordPage._meta.get_field("topics").remote_field.through
    topic_ids = {}
    for scope in scopes:
        for record_id, topic_id in through.objects.filter(recordpage__in=scope.order_by().values("pk")).values_list(
            "recordpage_id", "topic_id"
        ):
            topic_ids.setdefault(record_id, []).append(topic_id)
    return _topic_tree_of(topic_ids, selected)


def _topic_tree_of(topic_ids, selected):
    """The topic tree's counts from {record id: [its topic ids]}."""
    records_by_topic = {}
    for record_id, ids in topic_ids.items():
        for topic_id in ids:
            records_by_topic.setdefault(topic_id, set()).add(record_id)
    topics = {t.pk: t for t in Topic.objects.only("pk", "name", "slug", "parent_id")}
    under = {}
    for topic_id, records in records_by_topic.items():
        seen, node = set(), topics.get(topic_id)
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            under.setdefault(node.pk, set()).update(records)
            node = topics.get(node.parent_id)
    children = {}
    for topic in topics.values():
        children.setdefault(topic.parent_id, []).append(topic)
    values = []

    def walk(parent_id, depth):
        for topic in sorted(children.get(parent_id, []), key=lambda t: (-len(under.get(t.pk, ())), t.name)):
            if under.get(topic.pk):
                values.append(FacetValue(topic.slug, topic.name, len(under[topic.pk]), topic.slug in selected, depth))
                walk(topic.pk, depth + 1)

    walk(None, 0)
    return values


def facets(records, selections, ids=None, state=None):
    """Every facet's values and counts for the visible ``records`` (before facet filters).

    ``selections`` is {facet: [values]}; ``ids`` (optional) restricts to what a search matched
    (``state``: the records' state, if the caller has read it, for the TermTable).
    Each facet is counted with every other facet's selection applied, not its own.
    """
    result = {}
    if ids is not None:
        table = TermTable.current(state)
        chosen = {name: table.having(name, values) for name, values in selections.items() if values}
        for name in FACETS:
            scoped = [pk for pk in ids if all(pk in keep for other, keep in chosen.items() if other != name)]
            result[name] = _count_ids(name, scoped, selections.get(name, ()), table)
        return result
    constraints = {name: constraint(name, values) for name, values in selections.items() if values}
    for name in FACETS:
        scope = records
        for other, condition in constraints.items():
            if other != name:
                scope = scope.filter(condition)
        result[name] = count(name, records=scope, selected=selections.get(name, ()))
    return result


def apply(records, selections):
    """``records`` narrowed by every facet selection (AND across facets, OR within one)."""
    for name, values in selections.items():
        if values:
            records = records.filter(constraint(name, values))
    return records
