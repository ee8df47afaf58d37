from django import template
from django.utils.html import format_html

from portal.models import AUDIENCES

register = template.Library()


@register.simple_tag
def tlp_badge(level):
    """The Traffic Light Protocol label in FIRST's colours, with who may see it as a tooltip.
    Labels are never translated."""
    if not level:
        return ""
    css = level.split(":", 1)[-1].lower().replace("+", "-")
    return format_html('<span class="tlp tlp-{}" title="{}">{}</span>', css, AUDIENCES.get(level, ""), level)
