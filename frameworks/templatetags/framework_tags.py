"""A framework page's own panels, as inclusion tags: ``{% compare_and_explore page %}`` (the
evidence map, crosswalk partners and the 'compare with' picker) and ``{% provision_outline page %}``.
The framework page keeps both in a cached fragment, so a page served from the cache runs none of
their queries."""

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


@register.inclusion_tag("frameworks/provision_outline.html")
def provision_outline(page):
    return {"provision_tree": page.provision_tree()}
