"""The record files' search controls: synonym groups and promoted results (docs/data-format.md).

Two sections of the files, registered with ``kinds`` when the portal app is ready (``apps.py``):

- ``synonyms``: ``{slug, terms: [...]}``, every group on the portal, by slug;
- ``search_promotions``: ``{slug, query, records: [{kind, slug, note}]}``. A promotion names
  records as links do, by kind and slug; an export holds the promotions whose records it all
  holds (as it holds the crosswalks whose two frameworks it holds), so a partial export never
  names a record it leaves out.

Terms and queries are written as they are matched (lower case, single spaces), so that an import
of an export changes nothing and an export of an import is byte-identical.
"""

import weakref

from portal.exchange import kinds
from portal.exchange.serialize import normalize
from portal.models import PromotedRecord, SearchPromotion, SynonymGroup
from portal.models.search_terms import MAX_QUERY_LENGTH, normal_query, normal_term, term_problems

# -- synonyms ---------------------------------------------------------------------


def synonyms_to_dict(group):
    return normalize({"slug": group.slug, "terms": group.term_list})


def stored_synonyms(slug):
    group = SynonymGroup.objects.filter(slug=slug).first()
    return synonyms_to_dict(group) if group else None


def _terms_of(item):
    terms = item.get("terms")
    return [term for term in terms if isinstance(term, str)] if isinstance(terms, list) else []


#: Per set of files being checked: term -> where it is first defined (a group slug, and the
#: file and line or "this portal").
_owners = weakref.WeakKeyDictionary()


def _term_owners(checker):
    """Which group each term belongs to, across the stored groups the files leave as they are and
    the files' groups in the order read: term -> (slug, where)."""
    catalogue = checker.cat
    if catalogue not in _owners:
        owners = {}
        in_files = {key.slug for key in catalogue.sections["synonyms"]}
        for group in SynonymGroup.objects.exclude(slug__in=in_files).order_by("slug"):
            for term in group.term_list:
                owners.setdefault(term, (group.slug, "on this portal"))
        for key, (doc, where, item) in catalogue.sections["synonyms"].items():
            for term in _terms_of(item):
                owners.setdefault(normal_term(term), (key.slug, f"in {doc.path}:{doc.line(*where)}"))
        _owners[catalogue] = owners
    return _owners[catalogue]


def check_synonyms(checker, doc, where, item):
    """At least two different terms, each written as it is matched, each in no other group."""
    terms = _terms_of(item)
    for i, term in enumerate(terms):
        if term != normal_term(term):
            checker.problem(
                doc, where + ("terms", i), f"write the term as it is matched, in lower case: '{normal_term(term)}'"
            )
    for message in term_problems([normal_term(term) for term in terms]):
        checker.problem(doc, where + ("terms",), (message[0].lower() + message[1:]).rstrip("."))
    owners = _term_owners(checker)
    for i, term in enumerate(terms):
        slug, place = owners.get(normal_term(term), (item.get("slug"), ""))
        if slug != item.get("slug"):
            checker.problem(
                doc,
                where + ("terms", i),
                f"'{normal_term(term)}' is already in the synonym group '{slug}' ({place}); a term can be in "
                "one group only",
            )


def save_synonyms(slug, item, db):
    group = SynonymGroup.objects.filter(slug=slug).first() or SynonymGroup(slug=slug)
    group.terms = "\n".join(dict.fromkeys(normal_term(term) for term in item["terms"]))
    group.save()


def export_synonyms(pages):
    """Every synonym group, by slug (they name no record)."""
    return [synonyms_to_dict(group) for group in SynonymGroup.objects.order_by("slug")]


# -- promoted results ------------------------------------------------------------------


def promotion_to_dict(promotion, rows):
    return normalize(
        {
            "slug": promotion.slug,
            "query": promotion.query,
            "records": [
                {"kind": row.record.specific_class.record_kind, "slug": row.record.slug, "note": row.note}
                for row in rows
            ],
        }
    )


def _rows(promotions):
    """{promotion id: [PromotedRecord]} in order, with their records, in one query."""
    rows = {}
    found = PromotedRecord.objects.filter(promotion__in=promotions).select_related("record__content_type")
    for row in found.order_by("sort_order", "pk"):
        rows.setdefault(row.promotion_id, []).append(row)
    return rows


def stored_promotion(slug):
    promotion = SearchPromotion.objects.filter(slug=slug).first()
    if promotion is None:
        return None
    return promotion_to_dict(promotion, _rows([promotion]).get(promotion.pk, []))


def check_promotion(checker, doc, where, item):
    """A query written as it is matched, promoted once; at least one record, each existing and
    listed once."""
    query = item.get("query")
    if not isinstance(query, str) or not normal_query(query):
        checker.problem(doc, where + ("query",), "a query is required")
    elif len(query) > MAX_QUERY_LENGTH:
        checker.problem(doc, where + ("query",), f"a query has at most {MAX_QUERY_LENGTH} characters")
    elif query != normal_query(query):
        checker.problem(
            doc, where + ("query",), f"write the query as it is matched, in lower case: '{normal_query(query)}'"
        )
    else:
        _check_query_is_promoted_once(checker, doc, where, item)
    entries = item.get("records") if isinstance(item.get("records"), list) else []
    if not entries:
        checker.problem(doc, where + ("records",), "name at least one record to show first")
    registered = kinds.registered()
    seen = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        here = where + ("records", i)
        kind, slug = entry.get("kind"), entry.get("slug")
        if kind not in registered:
            checker.problem(doc, here + ("kind",), f"kind must be one of {', '.join(registered)}, not '{kind}'")
        elif not checker.record_exists(kind, slug):
            checker.problem(doc, here + ("slug",), f"there is no {kind} '{slug}'")
        elif (kind, slug) in seen:
            checker.problem(doc, here, "this record is listed twice")
        seen.add((kind, slug))


def _check_query_is_promoted_once(checker, doc, where, item):
    """No other promotion, in the files or stored (and not redefined by the files), has this query."""
    slug, query = item.get("slug"), item["query"]
    sections = checker.cat.sections["search_promotions"]
    for key, (other_doc, other_where, other) in sections.items():
        if key.slug == slug:
            break
        if other.get("query") == query:
            line = other_doc.line(*other_where)
            checker.problem(
                doc, where + ("query",), f"'{query}' is already promoted by '{key.slug}' in {other_doc.path}:{line}"
            )
            return
    in_files = {key.slug for key in sections}
    stored = SearchPromotion.objects.filter(query=query).exclude(slug__in=in_files).first()
    if stored is not None:
        checker.problem(doc, where + ("query",), f"'{query}' is already promoted by '{stored.slug}' on this portal")


def save_promotion(slug, item, db):
    """Create or update the promotion; its records are replaced by the file's, in order."""
    query = normal_query(item["query"])
    # Another promotion holding this query is one the files give another query (the checks
    # refuse any other case), saved in its turn: until then it holds a query no one can type
    # (a normalised query never starts with a space), so the two can swap queries.
    for other in SearchPromotion.objects.filter(query=query).exclude(slug=slug):
        other.query = f" {other.slug}"
        other.save(update_fields=["query"])
    promotion = SearchPromotion.objects.filter(slug=slug).first() or SearchPromotion(slug=slug)
    promotion.query = query
    promotion.save()
    PromotedRecord.objects.filter(promotion=promotion).delete()
    for position, entry in enumerate(item["records"]):
        PromotedRecord.objects.create(
            promotion=promotion,
            record=db.record(entry["kind"], entry["slug"]),
            note=(entry.get("note") or "").strip(),
            sort_order=position,
        )


def export_promotions(pages):
    """The promotions whose every record is among the exported pages, by slug."""
    exported = {page.pk for page in pages}
    promotions = list(SearchPromotion.objects.order_by("slug"))
    rows = _rows(promotions)
    return [
        promotion_to_dict(promotion, rows[promotion.pk])
        for promotion in promotions
        if rows.get(promotion.pk) and all(row.record_id in exported for row in rows[promotion.pk])
    ]


def register():
    kinds.register_section(
        kinds.ExchangeSection(
            name="synonyms",
            label="synonym group",
            check=check_synonyms,
            stored=stored_synonyms,
            save=save_synonyms,
            export=export_synonyms,
        )
    )
    kinds.register_section(
        kinds.ExchangeSection(
            name="search_promotions",
            label="search promotion",
            check=check_promotion,
            stored=stored_promotion,
            save=save_promotion,
            export=export_promotions,
        )
    )
