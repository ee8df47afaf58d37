"""Links to pages in rich text follow the sharing rule and each page's current address.

Wagtail stores a link to a page as the page's id (``<a linktype="page" id="42">``) and, by
default, renders it with the page's address for whoever reads it. In a record's body that would
show a visitor the address (the slug) of a record they may not see, and a stored rendering (the
API's stored representations) would keep an address the page has since left. So the portal
renders such a link as a mark naming the page, with no address (``<a data-page-link="42">``,
``PageLinkMarks``, registered in ``portal/wagtail_hooks.py``), and every surface that shows rich
text resolves the marks for its reader (``resolve``): a link to a page the reader may open gets
the page's current address; a link to anything else (a record they may not see, a draft, a page
deleted since) becomes its text alone.
"""

import re

from django.db.models import Q
from django.utils.html import escape

from wagtail.models import Page
from wagtail.rich_text import LinkHandler

from portal.models import RecordPage

#: A mark as ``PageLinkMarks`` writes it, with the text it links.
MARK = re.compile(r'<a data-page-link="(\d+)">(.*?)</a>', re.S)


class PageLinkMarks(LinkHandler):
    """Wagtail's link type ``page``, rendered as a mark without an address (see the module)."""

    identifier = "page"

    @staticmethod
    def get_model():
        return Page

    @classmethod
    def expand_db_attributes(cls, attrs):
        page_id = str(attrs.get("id", ""))
        return f'<a data-page-link="{page_id}">' if page_id.isdigit() else "<a>"

    @classmethod
    def expand_db_attributes_many(cls, attrs_list):
        return [cls.expand_db_attributes(attrs) for attrs in attrs_list]

    @classmethod
    def extract_references(cls, attrs):
        # Wagtail's reference index: which pages a page's content links to.
        yield Page, attrs["id"], "", ""


def linked_ids(html):
    """The ids of the pages that the marks in ``html`` link to."""
    return {int(match[1]) for match in MARK.finditer(html)}


def openable(ids, user):
    """The pages among ``ids`` that ``user`` may open (live pages that are not records, and the
    records ``user`` may see), with the columns their addresses need; one query."""
    if not ids:
        return []
    records = RecordPage.objects.all()
    return list(
        Page.objects.live()
        .filter(pk__in=ids)
        .filter(Q(pk__in=records.visible_to(user).values("pk")) | ~Q(pk__in=records.values("pk")))
        .only("pk", "url_path")
    )


def resolve(html, addresses):
    """``html`` with each mark made a link to ``addresses[page id]``, or its text alone when the
    page has no address there."""

    def link(match):
        address = addresses.get(int(match[1]))
        return f'<a href="{escape(address)}">{match[2]}</a>' if address else match[2]

    return MARK.sub(link, html)


def resolve_for_request(html, request):
    """``html`` with its marks resolved for the visitor of ``request``, with the addresses the web
    pages use (relative to the request's site, as Wagtail writes them)."""
    pages = openable(linked_ids(html), getattr(request, "user", None))
    return resolve(html, {page.pk: page.get_url(request) for page in pages})
