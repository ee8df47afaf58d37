"""The listing page of one kind of record."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models

from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from .records import RecordPage


class RecordIndexPage(Page):
    """Lists the records of ``listed_kind`` that sit under it. Each kind subclasses this once.

    Visitors get the list filtered, sorted and paged with facets, by the search pipeline:
    ``portal.search_views.record_index`` answers these pages (through Wagtail's
    ``on_serve_page`` hook). ``get_context`` gives the plain list, newest first, for previews."""

    intro = models.TextField(
        blank=True,
        help_text="A short paragraph shown above the list, telling readers what they will find here.",
    )

    #: The kind of record listed ('framework', 'finding', 'lesson'); set by each subclass.
    listed_kind = ""
    max_count = 1
    parent_page_types = ["portal.HomePage"]

    content_panels = Page.content_panels + [FieldPanel("intro")]

    class Meta:
        abstract = True

    def listed_records(self, user):
        model = RecordPage.kind_models()[self.listed_kind]
        return model.objects.child_of(self).visible_to(user).prefetch_related("organisations")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        records = self.listed_records(request.user).order_by("-publication_date", "title", "pk")
        context["records"] = Paginator(records, settings.PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
        return context
