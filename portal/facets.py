"""Facets over records: filters that combine (AND across facets, OR within one) and counts.

Used by the web search page and the index pages, so that browsing and searching behave alike.
Counting runs in the database, one query per facet whatever the number of results: over a
query (``RecordPage`` filtered by visibility and facets) when browsing, or over the ids the
search engine matched. A facet's counts ignore that facet's own selection, so that a visitor
can add a second value to it (OR) and see how many records each would bring.
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
#: Above this many matched ids, counting splits the id list (database parameter limits).
IDS_PER_QUERY = 30000


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


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


def _scopes(records, ids):
    """Querysets covering the records to count: ``records`` itself, or ``ids`` in a few chunks."""
    if ids is None:
        return [records]
    return [RecordPage.objects.filter(pk__in=chunk) for chunk in _chunks(ids)] if ids else []


def count(name, records=None, ids=None, selected=()):
    """The values of facet ``name`` with their counts over ``records`` (a RecordPage queryset) or
    over the record ``ids``, most frequent first (years newest first; topics as a tree)."""
    counts, labels = Counter(), {}
    scopes = _scopes(records, ids)
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
    records_by_topic = {}
    for scope in scopes:
        for record_id, topic_id in through.objects.filter(recordpage__in=scope.order_by().values("pk")).values_list(
            "recordpage_id", "topic_id"
        ):
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


def facets(records, selections, ids=None):
    """Every facet's values and counts for the visible ``records`` (before facet filters).

    ``selections`` is {facet: [values]}; ``ids`` (optional) restricts to what a search matched.
    Each facet is counted with every other facet's selection applied, not its own.
    """
    constraints = {name: constraint(name, values) for name, values in selections.items() if values}
    result = {}
    for name in FACETS:
        scope = records
        for other, condition in constraints.items():
            if other != name:
                scope = scope.filter(condition)
        if ids is not None:
            allowed = set(scope.values_list("pk", flat=True)) if constraints.keys() - {name} else None
            scoped_ids = [i for i in ids if allowed is None or i in allowed]
            result[name] = count(name, ids=scoped_ids, selected=selections.get(name, ()))
        else:
            result[name] = count(name, records=scope, selected=selections.get(name, ()))
    return result


def apply(records, selections):
    """``records`` narrowed by every facet selection (AND across facets, OR within one)."""
    for name, values in selections.items():
        if values:
            records = records.filter(constraint(name, values))
    return records
