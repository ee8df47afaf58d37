"""The home page: what the portal is, the newest findings and lessons, and the frameworks."""

import functools

from django.apps import apps
from django.db import models

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from .records import RecordPage


class HomePage(Page):
    intro = RichTextField(
        blank=True,
        features=["bold", "italic", "link"],
        help_text="A few sentences telling a first-time visitor what the portal offers and who it is for.",
    )
    latest_count = models.PositiveSmallIntegerField(
        default=6, help_text="How many of the newest findings and lessons to show."
    )

    max_count = 1
    #: the home page lists this many frameworks by title, then links to the frameworks index
    FRAMEWORKS_SHOWN = 20
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["frameworks.FrameworkIndexPage", "findings.FindingIndexPage", "findings.LessonIndexPage"]

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("latest_count")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        records = RecordPage.objects.visible_to(request.user)
        newest = ("-publication_date", "title")
        kinds = RecordPage.kind_models()
        context["latest_findings"] = (
            kinds["finding"].objects.visible_to(request.user).order_by(*newest)[: self.latest_count]
        )
        context["latest_lessons"] = (
            kinds["lesson"].objects.visible_to(request.user).order_by(*newest)[: self.latest_count]
        )
        frameworks = kinds["framework"].objects.visible_to(request.user).order_by("title")
        context["frameworks"] = frameworks[: self.FRAMEWORKS_SHOWN]
        # Counted only when rendered (templates call what is callable), at most once: the
        # template keeps the lists and counts in the cache (``cached_fragment``).
        context["framework_count"] = functools.cache(frameworks.count)
        context["framework_index"] = functools.cache(self._framework_index)
        context["record_count"] = functools.cache(records.count)
        return context

    def _framework_index(self):
        """The index page that lists frameworks, among this page's children."""
        index_models = [model for model in apps.get_models() if getattr(model, "listed_kind", "") == "framework"]
        return self.get_children().live().type(*index_models).first() if index_models else None
