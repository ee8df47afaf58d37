"""A framework page's own panels, as inclusion tags: ``{% compare_and_explore page %}`` (the
evidence map, crosswalk partners and the 'compare with' picker) and ``{% provision_outline page %}``.
The framework page keeps both in a cached fragment, so a page served from the cache runs none of
their queries."""

import datetime

from django import template

from frameworks.models import Crosswalk, FrameworkPage

register = template.Library()


@register.inclusion_tag("frameworks/compare_and_explore.html", takes_context=True)
def compare_and_explore(context, page):
    request = context["request"]
    others = FrameworkPage.objects.visible_to(request.user).exclude(pk=page.pk).order_by("title")
    return {
        "request": request,
        "page": page,
        "crosswalk_partners": list(Crosswalk.partners_of(page, request.user)),
        # (slug, title) pairs for the picker: no page objects for a long list.
        "other_frameworks": list(others.values_list("slug", "title")),
    }


@register.inclusion_tag("frameworks/provision_outline.html", takes_context=True)
def provision_outline(context, page, as_of=None):
    """The outline: every provision with where it stands today, or with ``as_of`` only those that
    apply on that day."""
    tree = page.provision_tree(as_of, only_applying=bool(as_of))
    return {"request": context.get("request"), "page": page, "provision_tree": tree, "as_of": as_of}


@register.inclusion_tag("frameworks/framework_history.html", takes_context=True)
def framework_history(context, page):
    """The framework's versions, oldest first, with where each stands today."""
    versions = list(page.versions.all())
    today = datetime.date.today()
    return {
        "request": context.get("request"),
        "page": page,
        "versions": [{"version": v, "state": v.state_on(today), "label": v.state_label(today)} for v in versions],
    }
