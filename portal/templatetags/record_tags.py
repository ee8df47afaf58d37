"""The panels of a record page that show other records, as inclusion tags: ``{% record_links page %}``,
``{% record_map page %}``, ``{% similar_records page %}``. Each reads ``RecordPanels``
(``portal/services/panels.py``), so a page computes each part once, and only when it renders it."""

from django import template

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
