"""Crosswalks in the admin, and a chooser for picking one provision of a framework.

Staff see only what lies within their organisations' reach (``portal/models/permissions.py``): the provisions
of the frameworks they may manage, and the crosswalks between two such frameworks.
"""

from django import forms
from django.db.models import Q

from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView, ChosenView
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, HistoryView, SnippetViewSet, UsageView

from frameworks.models import Crosswalk, FrameworkPage, Provision


def provisions_in_reach(user):
    """The provisions of the frameworks ``user`` may manage."""
    return Provision.objects.filter(framework__in=FrameworkPage.objects.manageable_by(user).values("pk"))


def crosswalks_in_reach(user):
    """The crosswalks between two frameworks ``user`` may manage: editing one changes both."""
    frameworks = FrameworkPage.objects.manageable_by(user).values("pk")
    return Crosswalk.objects.filter(source_framework__in=frameworks, target_framework__in=frameworks)


@hooks.register("objects_in_reach")
def crosswalks_kept_in_reach():
    """The site history shows staff only the crosswalks in reach (portal/admin_scope.py)."""
    return Crosswalk, crosswalks_in_reach


class ProvisionSearchForm(BaseFilterForm):
    q = forms.CharField(
        label="Code, title or framework",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. GOVERN 1.1 or transparency"}),
    )

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching, self.search_query = True, query
            objects = objects.filter(
                Q(code__icontains=query) | Q(title__icontains=query) | Q(framework__title__icontains=query)
            )
        return objects


class ProvisionListMixin:
    filter_form_class = ProvisionSearchForm

    def get_object_list(self):
        provisions = provisions_in_reach(self.request.user)
        return provisions.select_related("framework").order_by("framework__title", "sort_order")


class ProvisionChooseView(ProvisionListMixin, ChooseView):
    pass


class ProvisionChooseResultsView(ProvisionListMixin, ChooseResultsView):
    pass


class ProvisionChosenView(ChosenView):
    def get_object(self, pk):
        return provisions_in_reach(self.request.user).get(pk=pk)


class ProvisionChooserViewSet(ChooserViewSet):
    model = Provision
    icon = "list-ul"
    choose_one_text = "Choose a provision"
    choose_another_text = "Choose another provision"
    per_page = 30
    choose_view_class = ProvisionChooseView
    choose_results_view_class = ProvisionChooseResultsView
    chosen_view_class = ProvisionChosenView


provision_chooser_viewset = ProvisionChooserViewSet("provision_chooser")


@hooks.register("register_admin_viewset")
def register_provision_chooser():
    return provision_chooser_viewset


class CrosswalkPermissionPolicy(ModelPermissionPolicy):
    """The model permissions on crosswalks, narrowed to the crosswalks in the user's reach."""

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return Crosswalk.objects.none()
        return crosswalks_in_reach(user)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not self.user_has_any_permission(user, actions):
            return False
        return crosswalks_in_reach(user).filter(pk=instance.pk).exists()


register_permission_policy(Crosswalk, CrosswalkPermissionPolicy(Crosswalk))


class CrosswalkInReachMixin:
    """A crosswalk out of reach answers 404, as one that does not exist (Wagtail's views would
    load it, then answer 403 or show its title)."""

    def get_queryset(self):
        return crosswalks_in_reach(self.request.user)

    def get_base_object_queryset(self):
        return crosswalks_in_reach(self.request.user)


class CrosswalkFormInReachMixin:
    """The crosswalk form accepts only frameworks, and mappings only provisions, in reach."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        user = self.request.user
        frameworks = FrameworkPage.objects.manageable_by(user)
        for name in ("source_framework", "target_framework"):
            form.fields[name].queryset = frameworks
        provisions = provisions_in_reach(user)
        mappings = form.formsets.get("mappings")
        for mapping in mappings.forms if mappings is not None else []:
            for name in ("source_provision", "target_provision"):
                mapping.fields[name].queryset = provisions
        return form


class CrosswalkCreateView(CrosswalkFormInReachMixin, CreateView):
    pass


class CrosswalkEditView(CrosswalkInReachMixin, CrosswalkFormInReachMixin, EditView):
    pass


class CrosswalkDeleteView(CrosswalkInReachMixin, DeleteView):
    pass


class CrosswalkHistoryView(CrosswalkInReachMixin, HistoryView):
    pass


class CrosswalkUsageView(CrosswalkInReachMixin, UsageView):
    pass


class CrosswalkSearchForm(BaseFilterForm):
    """Searches the titles of the crosswalks in reach in the database: the search index cannot
    filter crosswalks by their frameworks."""

    q = forms.CharField(label="Title", required=False)

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching, self.search_query = True, query
            objects = objects.filter(title__icontains=query)
        return objects


class CrosswalkChooserListMixin:
    filter_form_class = CrosswalkSearchForm

    def get_object_list(self):
        return crosswalks_in_reach(self.request.user)


class CrosswalkChooseView(CrosswalkChooserListMixin, snippet_chooser.ChooseView):
    pass


class CrosswalkChooseResultsView(CrosswalkChooserListMixin, snippet_chooser.ChooseResultsView):
    pass


class CrosswalkChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return crosswalks_in_reach(self.request.user).get(pk=pk)


class CrosswalkChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = CrosswalkChooseView
    choose_results_view_class = CrosswalkChooseResultsView
    chosen_view_class = CrosswalkChosenView


class CrosswalkViewSet(SnippetViewSet):
    model = Crosswalk
    icon = "arrows-up-down"
    menu_label = "Crosswalks"
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["title", "source_framework", "target_framework"]
    add_view_class = CrosswalkCreateView
    edit_view_class = CrosswalkEditView
    delete_view_class = CrosswalkDeleteView
    history_view_class = CrosswalkHistoryView
    usage_view_class = CrosswalkUsageView
    chooser_viewset_class = CrosswalkChooserViewSet
    # Searched in the database, within the crosswalks in reach (see CrosswalkSearchForm).
    search_backend_name = None
    search_fields = ["title"]

    def get_queryset(self, request):
        # The listing shows both frameworks of each crosswalk: loaded with it, not row by row.
        return crosswalks_in_reach(request.user).select_related("source_framework", "target_framework")


register_snippet(CrosswalkViewSet)
