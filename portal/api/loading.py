"""Loading records for the API in a fixed number of queries, whatever the number of records.

``record_queryset`` selects the visible records with their page rows, owning organisation and
kind-specific rows in one query; ``load_records`` then fetches, for the whole batch at once, the
taxonomy terms, tags, identifiers, outgoing links and backlinks (each filtered through the one
visibility rule), and whatever each kind registered (a framework's provisions). The serializers
only read what was loaded here, so a list costs the same number of queries for 1 or 100 records.
"""

import datetime

from django.db.models import Value
from django.db.models.functions import Coalesce

from wagtail.models import Site

from portal.models import INVERSE_LABELS, CrossLink, ExternalIdentifier, RecordPage, RecordTag

from . import kinds

#: record relation -> the term columns the API shows, in output order
TERM_RELATIONS = {
    "organisations": ("slug", "name", "acronym"),
    "topics": ("slug", "name"),
    "sectors": ("slug", "name"),
    "jurisdictions": ("code", "slug", "name"),
    "languages": ("code", "slug", "name"),
}


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


#: Page columns the API never shows: not fetched for a list.
UNUSED_PAGE_FIELDS = (
    "path",
    "depth",
    "numchild",
    "latest_revision",
    "has_unpublished_changes",
    "live_revision",
    "go_live_at",
    "expired",
    "locked",
    "locked_at",
    "locked_by",
    "draft_title",
    "owner",
    "latest_revision_created_at",
    "alias_of",
    "show_in_menus",
    "seo_title",
    "search_description",
)


def record_queryset(user, kind=None):
    """The records ``user`` may see (optionally of one kind), with what the serializer reads from
    the record's own rows joined in the same query."""
    records = RecordPage.objects.visible_to(user)
    if kind:
        records = records.of_kind(kind)
    related = ["owning_organisation"]
    for api in kinds.registered().values():
        if kind and api.kind != kind:
            continue
        related.append(api.child_relation)
        related.extend(f"{api.child_relation}__{name}" for name in api.select_related)
    # When the live version was published; pages made live without a revision have no date.
    modified = Coalesce("last_published_at", "first_published_at", Value(EPOCH))
    return records.select_related(*related).defer(*UNUSED_PAGE_FIELDS).annotate(modified_at=modified)


class Urls:
    """Absolute URLs for one request: the API's own and the records' web pages.

    Web URLs follow Wagtail's rule (the site whose root the page sits under, with its root URL),
    computed from the page's ``url_path`` without a query per record."""

    def __init__(self, request):
        self.api_root = request.build_absolute_uri("/api/v1/") if request is not None else "/api/v1/"
        self._roots = Site.get_site_root_paths()

    def record(self, uuid):
        return f"{self.api_root}records/{uuid}/"

    def web(self, url_path):
        for root in self._roots:
            if url_path.startswith(root.root_path):
                return root.root_url + "/" + url_path[len(root.root_path) :]
        return None


def _by_record(rows):
    grouped = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def load_records(pages, request, urls=None):
    """Attach ``page.api`` (a dict) to each record in ``pages`` for the record serializer."""
    pages = list(pages)
    if not pages:
        return pages
    urls = urls or Urls(request)
    user = getattr(request, "user", None)
    ids = [page.pk for page in pages]
    kind_of = RecordPage.kind_of_content_type()

    terms = {}
    for relation, columns in TERM_RELATIONS.items():
        through = RecordPage._meta.get_field(relation).remote_field.through
        term_field = RecordPage._meta.get_field(relation).related_model._meta.model_name
        rows = (
            through.objects.filter(recordpage_id__in=ids)
            .order_by(f"{term_field}__name")
            .values_list("recordpage_id", *(f"{term_field}__{c}" for c in columns))
        )
        terms[relation] = {
            pk: [dict(zip(columns, values, strict=True)) for values in items] for pk, items in _by_record(rows).items()
        }
    tags = _by_record(
        RecordTag.objects.filter(content_object_id__in=ids)
        .order_by("tag__name")
        .values_list("content_object_id", "tag__name")
    )
    identifiers = _by_record(
        ExternalIdentifier.objects.filter(record_id__in=ids)
        .order_by("sort_order", "pk")
        .values_list("record_id", "scheme", "value")
    )
    link_columns = ("link_type", "note", "target_provision__code", "target_provision__title")
    outgoing = list(
        CrossLink.objects.filter(source_id__in=ids)
        .order_by("sort_order", "pk")
        .values_list(
            "source_id",
            *link_columns,
            "target__translation_key",
            "target__title",
            "target__content_type_id",
            "target_id",
        )
    )
    incoming = list(
        CrossLink.objects.filter(target_id__in=ids)
        .order_by("source__title", "pk")
        .values_list(
            "target_id",
            *link_columns,
            "source__translation_key",
            "source__title",
            "source__content_type_id",
            "source_id",
        )
    )
    # The other ends the caller may see, through the one visibility rule (a short IN list,
    # cheaper than filtering the links on a subquery of every visible record).
    ends = {row[-1] for row in outgoing} | {row[-1] for row in incoming}
    visible = (
        set(RecordPage.objects.visible_to(user).filter(pk__in=ends).values_list("pk", flat=True)) if ends else set()
    )
    outgoing = _by_record(row[:-1] for row in outgoing if row[-1] in visible)
    incoming = _by_record(row[:-1] for row in incoming if row[-1] in visible)

    def link(row, backlink):
        link_type, note, code, provision_title, uuid, title, content_type_id = row
        forward = CrossLink(link_type=link_type)
        label, inverse = forward.label, INVERSE_LABELS[link_type]
        return {
            "type": link_type,
            "label": inverse if backlink else label,
            "inverse_label": label if backlink else inverse,
            "record": {
                "uuid": uuid,
                "kind": kind_of.get(content_type_id, ""),
                "title": title,
                "api_url": urls.record(uuid),
            },
            "provision": {"code": code, "title": provision_title} if code is not None else None,
            "note": note,
        }

    registered = kinds.registered()
    specific_by_kind = {}
    for page in pages:
        kind = kind_of.get(page.content_type_id, "")
        pk = page.pk
        api = {
            "kind": kind,
            "web_url": urls.web(page.url_path),
            "api_url": urls.record(page.translation_key),
            "tags": [row[0] for row in tags.get(pk, ())],
            "identifiers": [{"scheme": s, "value": v} for s, v in identifiers.get(pk, ())],
            "links": [link(row, False) for row in outgoing.get(pk, ())],
            "backlinks": [link(row, True) for row in incoming.get(pk, ())],
        }
        for relation in TERM_RELATIONS:
            api[relation] = terms[relation].get(pk, [])
        kind_api = registered.get(kind)
        if kind_api is not None:
            specific = getattr(page, kind_api.child_relation, None)
            if specific is not None:
                api[kind] = specific
                specific_by_kind.setdefault(kind, []).append(specific)
        page.api = api
    for kind, specifics in specific_by_kind.items():
        if registered[kind].load:
            registered[kind].load(specifics, {"request": request, "urls": urls})
    return pages
