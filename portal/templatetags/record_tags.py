"""The panels of a record page that show other records, as inclusion tags: ``{% record_links page %}``,
``{% record_map page %}``, ``{% similar_records page %}``. Each reads ``RecordPanels``
(``portal/services/panels.py``), so a page computes each part once, and only when it renders it.
And rich text with its links to pages resolved for the visitor: ``{% record_body page %}``,
``{% rich_text value %}``."""

from django import template
from django.utils.safestring import mark_safe

from wagtail.templatetags.wagtailcore_tags import richtext

from portal.services.page_links import resolve_for_request
from portal.services.panels import RecordPanels

register = template.Library()


@register.inclusion_tag("includes/record_links.html", takes_context=True)
def record_links(context, page):
    panels = RecordPanels.for_request(context["request"], page)
    return {"request": context["request"], "page": page, "outgoing_links": panels.links, "backlinks": panels.backlinks}


@register.inclusion_tag("includes/record_graph.html", takes_context=True)
def record_map(context, page):
    panels = RecordPanels.for_request(context["request"], page)
    return {"request": context["request"], "page": page, "graph": panels.graph}


@register.inclusion_tag("includes/similar_records.html", takes_context=True)
def similar_records(context, page):
    request = context["request"]
    return {"request": request, "page": page, "similar": RecordPanels.for_request(request, page).similar}


@register.simple_tag(takes_context=True)
def record_body(context, page):
    """A record's body, its links to pages resolved for the visitor (``portal.services.page_links``)."""
    request = context.get("request")
    html = "".join(str(block.render_as_block(context.flatten())) for block in page.body)
    return mark_safe(resolve_for_request(html, request))  # noqa: S308 (rendered by the blocks' templates)


@register.simple_tag(takes_context=True)
def rich_text(context, value):
    """Rich text as ``|richtext`` renders it, its links to pages resolved for the visitor."""
    return mark_safe(resolve_for_request(str(richtext(value)), context.get("request")))  # noqa: S308
