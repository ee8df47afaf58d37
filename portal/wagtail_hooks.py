"""Taxonomy terms in the admin: one menu group, one snippet view set per kind of term."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.models import Jurisdiction, Language, Organisation, Sector, Topic


class TermViewSet(SnippetViewSet):
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    ordering = ["name"]


class TopicViewSet(TermViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "parent", "slug"]
    list_filter = ["parent"]


class SectorViewSet(TermViewSet):
    model = Sector
    icon = "group"


class JurisdictionViewSet(TermViewSet):
    model = Jurisdiction
    icon = "site"
    list_display = ["name", "code", "slug"]


class OrganisationViewSet(TermViewSet):
    model = Organisation
    icon = "openquote"
    list_display = ["name", "acronym", "jurisdiction"]


class LanguageViewSet(TermViewSet):
    model = Language
    icon = "globe"
    list_display = ["name", "code"]


class TaxonomyGroup(SnippetViewSetGroup):
    menu_label = "Taxonomy"
    menu_icon = "tag"
    menu_order = 300
    items = (TopicViewSet, SectorViewSet, JurisdictionViewSet, OrganisationViewSet, LanguageViewSet)


register_snippet(TaxonomyGroup)
