"""Facets over records: filters that combine (AND across facets, OR within one) and counts.

Used by the web search page and the index pages, so that browsing and searching behave alike.
Browsing filters in the database (``apply``). Narrowing a search's matches (``narrow``) and
counting, over the visible records or a search's matches, read a table of every record's facet
values as presence masks (``TermTable``), kept in the process and rebuilt when any record
changes. A facet's counts ignore that facet's own selection,
so that a visitor can add a second value to it (OR) and see how many records each would bring.
"""

from dataclasses import dataclass

from django.db.models import Q

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
    """Every record's facet values as presence masks, read once per state of the records and
    kept in this process: an int per facet value with one bit per record, set where the record
    has the value. Counting a facet over a set of records is then ``(mask & scope).bit_count()`` per
    value, whatever the number of records. Built from one query per facet."""

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
        for name, (relation, key) in TERM_FACETS.items():
            field = RecordPage._meta.get_field(relation)
            through, term = field.remote_field.through, field.m2m_reverse_field_name()
            rows = through.objects.values_list("recordpage_id", f"{term}_id", f"{term}__{key}", f"{term}__name")
            for record_id, term_id, value, label in rows:
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

    def _mask(self, places):
        bits = bytearray((self.size + 7) // 8)
        for place in places:
            bits[place >> 3] |= 1 << (place & 7)
        return int.from_bytes(bits, "little")

    def mask_of(self, ids):
        """The mask of these record ids (ids the table does not hold are left out)."""
        position = self.position
        return self._mask(position[pk] for pk in ids if pk in position)

    def within(self, mask, ids):
        """The ``ids``, in their order, of the records in ``mask``."""
        bits, position = mask.to_bytes((self.size + 7) // 8, "little"), self.position
        return [pk for pk in ids if (place := position.get(pk)) is not None and bits[place >> 3] >> (place & 7) & 1]

    def having(self, name, values):
        """The mask of the records with any of ``values`` for facet ``name`` (for a topic: the
        topic or any topic under it), as ``constraint`` selects them in the database."""
        mask = 0
        if name == "topic":
            chosen = Topic.descendant_ids(Topic.objects.filter(slug__in=values).values_list("pk", flat=True))
            for topic_id in chosen:
                mask |= self.topic_masks.get(topic_id, 0)
            return mask
        found = self.masks[name]
        for value in set(values):
            mask |= found.get(value, 0)
        return mask

    def count(self, name, scope, selected=()):
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
        return [FacetValue(v, labels[v], counts[v], v in selected) for v in ordered]

    @classmethod
    def current(cls, state=None):
        """The table for the records as they are now (rebuilt after any change to a record);
        ``state``: ``portal.caching.records_state()`` if the caller has it already."""
        from portal.caching import records_state

        state = state or records_state()
        if cls._current is None or cls._current[0] != state:
            cls._current = (state, cls())
        return cls._current[1]


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
    return values


def facets(records, selections, ids=None, state=None):
    """Every facet's values and counts for the visible ``records`` (before facet filters).

    ``selections`` is {facet: [values]}; ``ids`` (optional) restricts to what a search matched
    (``state``: the records' state, if the caller has read it, for the TermTable).
    Each facet is counted with every other facet's selection applied, not its own.
    """
    if ids is None:
        ids = records.order_by().values_list("pk", flat=True)
    table = TermTable.current(state)
    scope = table.mask_of(ids)
    chosen = {name: table.having(name, values) for name, values in selections.items() if values}
    result = {}
    for name in FACETS:
        scoped = scope
        for other, mask in chosen.items():
            if other != name:
                scoped &= mask
        result[name] = table.count(name, scoped, selections.get(name, ()))
    return result


def narrow(ids, selections, state=None):
    """The ``ids``, in their order, of the records that meet every facet selection: what
    ``apply`` keeps in the database, read from the facet table (``state`` as for ``facets``)."""
    table = TermTable.current(state)
    keep = (1 << table.size) - 1
    for name, values in selections.items():
        if values:
            keep &= table.having(name, values)
    return table.within(keep, ids)


def apply(records, selections):
    """``records`` narrowed by every facet selection (AND across facets, OR within one)."""
    for name, values in selections.items():
        if values:
            records = records.filter(constraint(name, values))
    return records
