"""Crosswalks in the admin, and a chooser for picking one provision of any framework."""

from django import forms
from django.db.models import Q

from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from frameworks.models import Crosswalk, Provision


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
        return Provision.objects.select_related("framework").order_by("framework__title", "sort_order")


class ProvisionChooseView(ProvisionListMixin, ChooseView):
    pass


class ProvisionChooseResultsView(ProvisionListMixin, ChooseResultsView):
    pass


class ProvisionChooserViewSet(ChooserViewSet):
    model = Provision
    icon = "list-ul"
    choose_one_text = "Choose a provision"
    choose_another_text = "Choose another provision"
    per_page = 30
    choose_view_class = ProvisionChooseView
    choose_results_view_class = ProvisionChooseResultsView


provision_chooser_viewset = ProvisionChooserViewSet("provision_chooser")


@hooks.register("register_admin_viewset")
def register_provision_chooser():
    return provision_chooser_viewset


class CrosswalkViewSet(SnippetViewSet):
    model = Crosswalk
    icon = "arrows-up-down"
    menu_label = "Crosswalks"
    menu_order = 310
    add_to_admin_menu = True
    list_display = ["title", "source_framework", "target_framework"]


register_snippet(CrosswalkViewSet)
