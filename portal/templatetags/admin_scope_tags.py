"""Template tags for admin pages that Wagtail builds without asking the page permission policy."""

from django import template

from wagtail.models import Page

from portal.models import RecordPage
from portal.models.reach import within_reach

register = template.Library()


@register.simple_tag(takes_context=True)
def last_edited_in_reach(context, page_types):
    """The rows of the page types report, each counting only the pages the user may see in the
    admin and naming its last edited page only when the user may see it (the report counts and
    searches among all pages of each type)."""
    user = context["request"].user
    named = [row.last_edited_page.pk for row in page_types if row.last_edited_page]
    reachable = set(within_reach(user, Page.objects.filter(pk__in=named)).values_list("pk", flat=True))
    for row in page_types:
        if row.last_edited_page and row.last_edited_page.pk not in reachable:
            row.last_edited_page = None
        model = row.model_class()
        if model is not None and issubclass(model, RecordPage) and row.count:
            row.count = within_reach(user, Page.objects.filter(content_type=row)).count()
    return page_types
