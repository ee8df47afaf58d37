"""sitemap.xml: the home page, the index pages, every record the visitor may see, and the taxonomy
pages that have such records.

Django's sitemap classes do not see the request, so each request builds its own set
(``sitemaps_for``) bound to the request's user: robots are anonymous, so in practice the sitemap
lists TLP:CLEAR live records only. A term is listed when its page would show at least one record
to the same visitor.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from wagtail.models import Site

from portal.models import TERM_MODELS, RecordPage, Topic


class RequestSitemap(Sitemap):
    """A sitemap section bound to one request (and so to one visitor)."""

    def __init__(self, request):
        self.request = request

    @property
    def user(self):
        return self.request.user


class PageSitemap(RequestSitemap):
    """The home page and the live, unrestricted pages right under it (the index pages)."""

    def items(self):
        site = Site.find_for_request(self.request)
        if site is None or not site.root_page.live:
            return []
        home = site.root_page
        children = home.get_children().live().public().order_by("path")
        return [home, *children]

    def location(self, page):
        return page.get_url_parts(self.request)[2]

    def lastmod(self, page):
        return page.last_published_at


class RecordSitemap(RequestSitemap):
    """Every record the visitor may see that has a URL on this site."""

    def items(self):
        records = RecordPage.objects.visible_to(self.user).defer_streamfields().order_by("path")
        return [(record, parts[2]) for record in records if (parts := record.get_url_parts(self.request)) and parts[2]]

    def location(self, item):
        return item[1]

    def lastmod(self, item):
        return item[0].last_published_at


class TermSitemap(RequestSitemap):
    """The list page of each taxonomy, and each term page that shows at least one visible record
    (for a topic: a record under it or one of its sub-topics)."""

    def items(self):
        visible = RecordPage.objects.visible_to(self.user).order_by()
        items = []
        for kind, model in TERM_MODELS.items():
            used = set(visible.filter(**{f"{kind}__isnull": False}).values_list(kind, flat=True).distinct())
            if model is Topic:
                used = with_ancestors(used)
            items.append(reverse("term_list", kwargs={"kind": kind}))
            slugs = model.objects.filter(pk__in=used).order_by("slug").values_list("slug", flat=True)
            items.extend(reverse("term", kwargs={"kind": kind, "slug": slug}) for slug in slugs)
        return items

    def location(self, url):
        return url


def with_ancestors(topic_ids):
    """The given topics and every topic above them (one query for the whole tree)."""
    parents = dict(Topic.objects.values_list("pk", "parent_id"))
    found = set()
    for pk in topic_ids:
        while pk is not None and pk not in found:
            found.add(pk)
            pk = parents.get(pk)
    return found


def sitemaps_for(request):
    """The sitemap sections for this request, for ``django.contrib.sitemaps.views.sitemap``."""
    return {
        "pages": PageSitemap(request),
        "records": RecordSitemap(request),
        "terms": TermSitemap(request),
    }
