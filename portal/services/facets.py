"""Facets over records: what a selection keeps (AND across facets, OR within one) and the counts.

A selection is {facet: [values as they appear in URLs]}, e.g. {"topic": ["privacy"], "year":
["2024"]}. The facets are the kind, each relation to taxonomy terms
(``portal.models.taxonomy.TERM_RELATIONS``) and the publication year. A topic selects the
records under it or under any of its sub-topics.

The rule for counts, on every surface: **a facet's counts apply the other facets' selections,
not its own**, so a visitor sees how many records each further value of that facet would add
(OR) and can widen a selection as well as narrow it.

Two ways to apply a selection, which keep the same records: ``filter_queryset`` in the database
(the API's record lists), and ``TermTable.narrow`` over ids the search pipeline already holds.
Counting reads ``TermTable``: every record's facet values as presence masks, kept in the process
and built again when any record changes.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from portal.caching import records_state
from portal.models import RecordPage, Topic
from portal.models.taxonomy import TERM_FACETS

FACETS = ["kind", *TERM_FACETS, "year"]


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False
    depth: int = 0  # topics: depth in the tree


def constraint(name, values):
    """A filter on RecordPage keeping the records with any of ``values`` for facet ``name``."""
    if name == "kind":
        models = RecordPage.kind_models()
        return Q(content_type__in=[ContentType.objects.get_for_model(models[v]) for v in values if v in models])
    if name == "year":
        return Q(publication_date__year__in=[int(v) for v in values])
    term = TERM_FACETS[name]
    if name == "topic":
        having = RecordPage.objects.filter(topics__in=Topic.ids_under(set(values)))
    else:
        having = RecordPage.objects.filter(**{f"{term.relation}__{term.key}__in": values})
    return Q(pk__in=having.values("pk"))


def filter_queryset(records, selections):
    """``records`` narrowed by every facet selection (AND across facets, OR within one)."""
    for name, values in selections.items():
        if values:
            records = records.filter(constraint(name, values))
    return records


class TermTable:
    """Every record's facet values as presence masks, read once per state of the records and
    kept in this process: an int per facet value with one bit per record, set where the record
    has the value. Counting a facet over a set of records is then ``(mask & scope).bit_count()``
    per value, whatever the number of records. Built from one query per facet."""

    _current = None

    def __init__(self):
        models = RecordPage.kind_models()
        kind_of = RecordPage.kind_of_content_type()
        rows = list(RecordPage.objects.order_by("pk").values_list("pk", "content_type", "publication_date"))
        self.position = {pk: place for place, (pk, _, _) in enumerate(rows)}  # record id -> its bit
        self.size = len(rows)
        # facet -> {value: [positions]} and {value: label}; topics go by id (``topic_masks``)
        places = {name: {} for name in FACETS if name != "topic"}
        self.labels = {name: {} for name in places}
        for place, (_pk, content_type, published) in enumerate(rows):
            kind = kind_of.get(content_type, "")
            places["kind"].setdefault(kind, []).append(place)
            self.labels["kind"][kind] = models[kind].kind_label if kind else ""
            if published is not None:
                year = str(published.year)
                places["year"].setdefault(year, []).append(place)
                self.labels["year"][year] = year
        topic_places = {}  # topic id -> [positions], for the topic tree
        for name, term in TERM_FACETS.items():
            field = RecordPage._meta.get_field(term.relation)
            through, column = field.remote_field.through, field.m2m_reverse_field_name()
            pairs = through.objects.values_list(
                "recordpage_id", f"{column}_id", f"{column}__{term.key}", f"{column}__name"
            )
            for record_id, term_id, value, label in pairs:
                place = self.position.get(record_id)
                if place is None:
                    continue
                if name == "topic":
                    topic_places.setdefault(term_id, []).append(place)
                else:
                    places[name].setdefault(value, []).append(place)
                    self.labels[name][value] = label
        self.masks = {name: {v: self._mask(p) for v, p in found.items()} for name, found in places.items()}
        self.topic_masks = {topic_id: self._mask(p) for topic_id, p in topic_places.items()}

    @classmethod
    def current(cls, state=None):
        """The table for the records as they are now (built again after any change to a record);
        ``state``: ``portal.caching.records_state()`` if the caller has it already."""
        state = state or records_state()
        if cls._current is None or cls._current[0] != state:
            cls._current = (state, cls())
        return cls._current[1]

    def _mask(self, places):
        bits = bytearray((self.size + 7) // 8)
        for place in places:
            bits[place >> 3] |= 1 << (place & 7)
        return int.from_bytes(bits, "little")

    def mask_of(self, ids):
        """The mask of these record ids (ids the table does not hold are left out)."""
        position = self.position
        return self._mask(position[pk] for pk in ids if pk in position)

    def having(self, name, values):
        """The mask of the records with any of ``values`` for facet ``name``: what
        ``constraint`` keeps in the database."""
        mask = 0
        if name == "topic":
            for topic_id in Topic.ids_under(set(values)):
                mask |= self.topic_masks.get(topic_id, 0)
            return mask
        found = self.masks[name]
        for value in set(values):
            mask |= found.get(value, 0)
        return mask

    def chosen(self, selections):
        """{facet: mask of the records its selection keeps}, for the facets with a selection."""
        return {name: self.having(name, values) for name, values in selections.items() if values}

    def narrow(self, ids, chosen):
        """The ``ids``, in their order, of the records in every mask of ``chosen``."""
        if not chosen:
            return list(ids)
        masks = list(chosen.values())
        keep = masks[0]
        for mask in masks[1:]:
            keep &= mask
        bits, position = keep.to_bytes((self.size + 7) // 8, "little"), self.position
        return [pk for pk in ids if (place := position.get(pk)) is not None and bits[place >> 3] >> (place & 7) & 1]

    def counts(self, ids, selections, chosen):
        """{facet: [FacetValue]} over the records ``ids``: each facet counted with every other
        facet's selection (``chosen``) applied, not its own (the rule in this module's docstring)."""
        scope = self.mask_of(ids)
        result = {}
        for name in FACETS:
            scoped = scope
            for other, mask in chosen.items():
                if other != name:
                    scoped &= mask
            result[name] = self._count(name, scoped, selections.get(name, ()))
        return result

    def _count(self, name, scope, selected):
        """The values of facet ``name`` with their counts over the records of mask ``scope``,
        most frequent first (years newest first; topics as a tree)."""
        if name == "topic":
            return _topic_tree(self.topic_masks, scope, selected)
        labels = self.labels[name]
        counts = {v: n for v, mask in self.masks[name].items() if v and (n := (mask & scope).bit_count())}
        if name == "year":
            ordered = sorted(counts, reverse=True)
        else:
            ordered = sorted(counts, key=lambda v: (-counts[v], labels[v]))
        values = [FacetValue(v, labels[v], counts[v], v in selected) for v in ordered]
        # A chosen value that matches nothing here stays listed (count 0), so it can be unticked.
        return values + [FacetValue(v, labels[v], 0, True) for v in sorted(selected) if v in labels and v not in counts]


def _topic_tree(topic_masks, scope, selected):
    """The topic tree's counts over the records of mask ``scope``: a topic counts the records
    under it or any of its sub-topics once. The tree is read afresh (one query)."""
    topics = {t.pk: t for t in Topic.objects.only("pk", "name", "slug", "parent_id")}
    under = {}
    for topic_id, mask in topic_masks.items():
        mask &= scope
        seen, node = set(), topics.get(topic_id) if mask else None
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            under[node.pk] = under.get(node.pk, 0) | mask
            node = topics.get(node.parent_id)
    counts = {pk: mask.bit_count() for pk, mask in under.items()}
    children = {}
    for topic in topics.values():
        children.setdefault(topic.parent_id, []).append(topic)
    values = []

    def walk(parent_id, depth):
        for topic in sorted(children.get(parent_id, []), key=lambda t: (-counts.get(t.pk, 0), t.name)):
            if counts.get(topic.pk):
                values.append(FacetValue(topic.slug, topic.name, counts[topic.pk], topic.slug in selected, depth))
                walk(topic.pk, depth + 1)

    walk(None, 0)
    # A chosen topic that matches nothing here stays listed (count 0), so it can be unticked.
    shown = {value.value for value in values}
    for topic in sorted(topics.values(), key=lambda t: t.name):
        if topic.slug in selected and topic.slug not in shown:
            values.append(FacetValue(topic.slug, topic.name, 0, True, 0))
    return values
