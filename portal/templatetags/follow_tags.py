"""``{% new_for_you %}``: on the home page, what a signed-in partner's follows brought since their
last visit (``portal.services.follows.new_since``). Per person, so never inside a cached fragment."""

from django import template

from portal.models import HomeVisit
from portal.services import follows

register = template.Library()


@register.inclusion_tag("includes/new_for_you.html", takes_context=True)
def new_for_you(context):
    request = context["request"]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "is_preview", False):
        return {"show": False}
    since = HomeVisit.record(user)
    records, total = follows.new_since(user, since)
    return {
        "show": user.follows.exists(),
        "request": request,
        "records": records,
        "total": total,
        "since": since,
    }
