"""Template tags for admin pages that Wagtail builds without asking the page permission policy."""

import swapper

from django import template

from portal.staff import within_reach

register = template.Library()


@register.simple_tag(takes_context=True)
def last_edited_in_reach(context, page_types):
    """The rows of the page types report, each naming its last edited page only when the user may
    see it (the report finds that page among all pages of the type)."""
    Page = swapper.load_model("wagtailcore", "Page")
    named = [row.last_edited_page.pk for row in page_types if row.last_edited_page]
    reachable = set(
        within_reach(context["request"].user, Page.objects.filter(pk__in=named)).values_list("pk", flat=True)
    )
    for row in page_types:
        if row.last_edited_page and row.last_edited_page.pk not in reachable:
            row.last_edited_page = None
    return page_types
