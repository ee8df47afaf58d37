"""The listing page of one kind of record, with filters, sorting and paging."""

from django.db import models
from django.template.response import TemplateResponse

from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from portal.filters import RecordFilterForm

from .records import RecordPage


class RecordIndexPage(Page):
    """Lists the records of ``listed_kind`` that sit under it. Each kind subclasses this once."""

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

    def serve(self, request, *args, **kwargs):
        # The same facet machinery as the search page (portal/listing.py), for one kind.
        from portal import listing

        form = RecordFilterForm(request.GET or None)
        result = listing.build(
            request, form, self.listed_records(request.user), scope=f"index:{self.pk}", with_kind=False
        )
        context = self.get_context(request, *args, **kwargs)
        context.update(filter_form=form, listing=result, records=result.page)
        return TemplateResponse(request, self.get_template(request), context, status=result.status)
