"""Taxonomy terms in the admin: one menu group, one snippet view set per kind of term."""

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

# admin_scope: organisation boundaries in the admin; files_hooks: uploaded files follow the records.
from portal import admin_scope, audit, files_hooks  # noqa: F401
from portal.models import AuditEntry, Jurisdiction, Language, Organisation, RecordPage, Sector, Topic
from portal.models.sharing import sharing_of, stored_sharing
from portal.search_views import serve_record_indexes
from portal.services.page_links import PageLinkMarks


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


# Links to pages in rich text are rendered as marks that each surface resolves for its reader
# (``portal.services.page_links``). After Wagtail's own hook, which registers its page links.
@hooks.register("register_rich_text_features", order=100)
def page_links_follow_the_sharing_rule(features):
    features.register_link_type(PageLinkMarks)


# Record index pages are served with filters and facets by the search pipeline, inside
# Wagtail's own view restrictions (hooks of a lower order wrap those of a higher one).
hooks.register("on_serve_page", serve_record_indexes, order=10)


# -- Records: sharing changes are audited ----------------------------------------------------------
# A change saved in a draft (or submitted for review, or scheduled) is audited here, with the editor;
# a change that goes live is audited when the record is published, however that happens
# (``portal.audit``), so publishing from this form writes that one entry, not two.


@hooks.register("before_edit_page")
def remember_sharing_before_edit(request, page):
    if isinstance(page, RecordPage):
        request._sharing_before = stored_sharing(page.pk)


@hooks.register("after_edit_page")
def record_sharing_change(request, page):
    before = getattr(request, "_sharing_before", None)
    if before is None or not isinstance(page, RecordPage):
        return
    after = sharing_of(page.get_latest_revision_as_object())
    if after != before and stored_sharing(page.pk) != after:
        audit.record_sharing_change(page, before, after, request=request, published=False)


# -- The audit log, read-only ----------------------------------------------------------------------


class AuditLogPolicy(ModelPermissionPolicy):
    """Staff with the 'view audit entry' permission (and superusers) read the log; nobody edits it."""

    def user_has_permission(self, user, action):
        return action == "view" and user.is_active and user.has_perm("portal.view_auditentry")

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class AuditLogViewSet(ModelViewSet):
    model = AuditEntry
    icon = "history"
    menu_label = "Audit log"
    menu_order = 900
    add_to_admin_menu = True
    inspect_view_enabled = True
    list_display = ["at", "username", "action", "token_name", "target", "ip_address"]
    list_filter = ["action"]
    search_fields = ["username", "target", "token_name"]
    ordering = ["-at"]
    form_fields = []


register_permission_policy(AuditEntry, AuditLogPolicy(AuditEntry))


@hooks.register("register_admin_viewset")
def register_audit_log():
    return AuditLogViewSet("audit_log")


# -- Import and export of record files --------------------------------------------------------------


@hooks.register("register_admin_urls")
def exchange_urls():
    from django.urls import path

    from portal.exchange.admin_views import ExchangeView, download_export

    return [
        path("records-exchange/", ExchangeView.as_view(), name="portal_exchange"),
        path("records-exchange/export.zip", download_export, name="portal_exchange_download"),
    ]


@hooks.register("register_settings_menu_item")
def exchange_menu_item():
    from django.urls import reverse

    from wagtail.admin.menu import MenuItem

    class SuperuserMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.is_superuser

    return SuperuserMenuItem("Import / export records", reverse("portal_exchange"), icon_name="download", order=900)
