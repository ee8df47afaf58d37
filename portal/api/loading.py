"""Loading records for the API in a fixed number of queries, whatever the number of records.

``record_queryset`` selects the visible records, reading only the page columns a request needs
(its position in an ordering, its web address, its publication time for Last-Modified).
``load_records`` then reads, for the whole batch at once, each record's stored representation
(``portal.api.representations``: everything that is the same for every caller) and adds what
belongs to this request: the absolute URLs, the links and backlinks whose other end the
caller may see (``CrossLink.objects.visible_to``), and the addresses of the pages the bodies link
to, for those the caller may open (``portal.services.page_links``). A list costs the same number of queries for 1
or 100 records.
"""

import datetime
from urllib.parse import urlsplit

from django.db.models import Value
from django.db.models.functions import Coalesce

from wagtail.models import Site

from portal.models import INVERSE_LABELS, CrossLink, LinkType, RecordPage
from portal.services import page_links

from . import representations

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

#: The page columns a list reads: the keys and values of its orderings and cursor, the web
#: address and the publication times (Last-Modified). The rest is in the stored representation.
ROW_FIELDS = (
    "translation_key",
    "content_type",
    "title",
    "url_path",
    "publication_date",
    "first_published_at",
    "last_published_at",
)


def record_queryset(user, kind=None):
    """The records ``user`` may see (optionally of one kind), with the page columns a list reads."""
    records = RecordPage.objects.visible_to(user)
    if kind:
        records = records.of_kind(kind)
    # When the live version was published; pages made live without a revision have no date.
    modified = Coalesce("last_published_at", "first_published_at", Value(EPOCH))
    return records.only(*ROW_FIELDS).annotate(modified_at=modified)


class Urls:
    """Absolute URLs for one request: the API's own and the records' web pages.

    Web URLs follow Wagtail's rule (the site whose root the page sits under, with its root URL),
    computed from the page's ``url_path`` without a query per record, except that a page of the
    site this request was answered for gets the request's own scheme and host, as the sitemap,
    feeds and JSON-LD do (the default site's root URL is ``http://localhost`` under ``make run``,
    which nothing serves)."""

    def __init__(self, request):
        self.request = request
        self.api_root = request.build_absolute_uri("/api/v1/") if request is not None else "/api/v1/"
        self._roots = Site.get_site_root_paths()  # cached by Wagtail: no query
        self._here = self._site_of(request)

    def _site_of(self, request):
        """The site this request was answered for: the only one, or the one whose host it asked
        for (no query); None if the request named another host."""
        if request is None:
            return None
        if len({root.site_id for root in self._roots}) == 1:
            return self._roots[0].site_id if self._roots else None
        host = request.get_host()
        return next((root.site_id for root in self._roots if urlsplit(root.root_url).netloc == host), None)

    def record(self, uuid):
        return f"{self.api_root}records/{uuid}/"

    def web(self, url_path):
        for root in self._roots:
            if url_path.startswith(root.root_path):
                path = "/" + url_path[len(root.root_path) :]
                if root.site_id == self._here:
                    return self.request.build_absolute_uri(path)
                return root.root_url + path
        return None


LINK_COLUMNS = ("link_type", "note", "target_provision__code", "target_provision__title")
#: How each type of link reads from its source (``CrossLink.label``), without a model per link.
LABELS = dict(LinkType.choices)


def visible_links(ids, user, urls):
    """({record id: [link]}, {record id: [backlink]}): the links of ``ids`` whose other end
    ``user`` may see, through the sharing rule."""
    visible = CrossLink.objects.visible_to(user)
    outgoing = representations.by_record(
        visible.filter(source_id__in=ids)
        .order_by("sort_order", "pk")
        .values_list("source_id", *LINK_COLUMNS, "target__translation_key", "target__title", "target__content_type_id")
    )
    incoming = representations.by_record(
        visible.filter(target_id__in=ids)
        .order_by("source__title", "pk")
        .values_list("target_id", *LINK_COLUMNS, "source__translation_key", "source__title", "source__content_type_id")
    )
    kind_of = RecordPage.kind_of_content_type()

    def link(row, backlink):
        link_type, note, code, provision_title, uuid, title, content_type_id = row
        label, inverse = LABELS.get(link_type, link_type), INVERSE_LABELS[link_type]
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

    links = {pk: [link(row, False) for row in rows] for pk, rows in outgoing.items()}
    backlinks = {pk: [link(row, True) for row in rows] for pk, rows in incoming.items()}
    return links, backlinks


def with_body_links(stored, user, urls):
    """The stored representations ``stored`` ({record id: data}) with the links to pages in their
    bodies resolved for ``user``, with absolute addresses (``portal.services.page_links``); one
    query for the whole batch, none when no body links to a page."""
    linked = {pk: page_links.linked_ids(data["body_html"]) for pk, data in stored.items()}
    wanted = set().union(*linked.values())
    if not wanted:
        return stored
    addresses = {page.pk: urls.web(page.url_path) for page in page_links.openable(wanted, user)}
    return {
        pk: {**data, "body_html": page_links.resolve(data["body_html"], addresses)} if linked[pk] else data
        for pk, data in stored.items()
    }


def load_records(pages, request, urls=None):
    """Attach ``page.api`` to each record in ``pages`` for the record serializer: its stored
    representation (``stored``), and this request's ``web_url``, ``api_url``, ``links`` and
    ``backlinks``."""
    pages = list(pages)
    if not pages:
        return pages
    urls = urls or Urls(request)
    ids = [page.pk for page in pages]
    user = getattr(request, "user", None)
    stored = with_body_links(representations.read(ids), user, urls)
    links, backlinks = visible_links(ids, user, urls)
    for page in pages:
        pk = page.pk
        page.api = {
            "stored": stored[pk],
            "web_url": urls.web(page.url_path),
            "api_url": urls.record(page.translation_key),
            "links": links.get(pk, []),
            "backlinks": backlinks.get(pk, []),
        }
    return pages
