"""Taxonomy terms in the admin: one menu group, one snippet view set per kind of term."""

from django.shortcuts import get_object_or_404

from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

# admin_scope: organisation boundaries in the admin; files_hooks: uploaded files follow the records.
from portal import admin_scope, audit, files_hooks  # noqa: F401
from portal.models import (
    AuditEntry,
    Jurisdiction,
    Language,
    Organisation,
    RecordPage,
    SearchPromotion,
    Sector,
    SynonymGroup,
    Topic,
)
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


# -- Search controls: synonym groups and promoted results (portal/models/search_terms.py) ----------
# Under Settings, for superusers and for the groups given the model permissions (the Publishers,
# portal/migrations/0012_search_controls.py). A promotion is listed, chosen and edited only by staff
# who may link to every record it promotes (``SearchPromotion.objects.editable_by``); any other
# answers 404, as one that does not exist, so no screen names a record out of reach.


class SynonymGroupViewSet(SnippetViewSet):
    model = SynonymGroup
    icon = "list-ul"
    menu_label = "Search synonyms"
    menu_name = "search-synonyms"
    menu_order = 910
    add_to_settings_menu = True
    list_display = ["__str__", "slug"]
    search_backend_name = None  # searched in the database: there are few groups
    search_fields = ["terms", "slug"]


register_snippet(SynonymGroupViewSet)


def promotions_in_reach(user):
    return SearchPromotion.objects.editable_by(user)


@hooks.register("objects_in_reach")
def promotions_kept_in_reach():
    """The site history shows staff only the promotions in reach (portal/admin_scope.py)."""
    return SearchPromotion, promotions_in_reach


class SearchPromotionPermissionPolicy(ModelPermissionPolicy):
    """The model permissions on promotions, narrowed to the promotions in the user's reach."""

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return SearchPromotion.objects.none()
        return promotions_in_reach(user)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not self.user_has_any_permission(user, actions):
            return False
        return promotions_in_reach(user).filter(pk=instance.pk).exists()


register_permission_policy(SearchPromotion, SearchPromotionPermissionPolicy(SearchPromotion))


class PromotionInReachMixin:
    def get_queryset(self):
        return promotions_in_reach(self.request.user)

    def get_base_object_queryset(self):
        return promotions_in_reach(self.request.user)


class PromotionEditView(PromotionInReachMixin, snippet_views.EditView):
    pass


class PromotionCopyView(snippet_views.CopyView):
    def get_object(self, queryset=None):
        return get_object_or_404(promotions_in_reach(self.request.user), pk=self.kwargs[self.pk_url_kwarg])


class PromotionDeleteView(PromotionInReachMixin, snippet_views.DeleteView):
    pass


class PromotionHistoryView(PromotionInReachMixin, snippet_views.HistoryView):
    pass


class PromotionUsageView(PromotionInReachMixin, snippet_views.UsageView):
    pass


class PromotionChooserListMixin:
    def get_object_list(self):
        return promotions_in_reach(self.request.user)


class PromotionChooseView(PromotionChooserListMixin, snippet_chooser.ChooseView):
    pass


class PromotionChooseResultsView(PromotionChooserListMixin, snippet_chooser.ChooseResultsView):
    pass


class PromotionChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return promotions_in_reach(self.request.user).get(pk=pk)


class PromotionChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = PromotionChooseView
    choose_results_view_class = PromotionChooseResultsView
    chosen_view_class = PromotionChosenView


class SearchPromotionViewSet(SnippetViewSet):
    model = SearchPromotion
    icon = "pick"
    menu_label = "Promoted search results"
    menu_name = "promoted-search-results"
    menu_order = 920
    add_to_settings_menu = True
    list_display = ["query", "promoted_titles", "slug"]
    edit_view_class = PromotionEditView
    copy_view_class = PromotionCopyView
    delete_view_class = PromotionDeleteView
    history_view_class = PromotionHistoryView
    usage_view_class = PromotionUsageView
    chooser_viewset_class = PromotionChooserViewSet
    search_backend_name = None  # searched in the database, within the promotions in reach
    search_fields = ["query", "slug"]

    def get_queryset(self, request):
        # The listing names each promotion's records: loaded with it, not row by row.
        return promotions_in_reach(request.user).prefetch_related("records__record")


register_snippet(SearchPromotionViewSet)
