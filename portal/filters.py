"""Filters for record listings: a form that turns query-string values into a queryset filter.

Unknown or malformed values make the form invalid; views answer 400 with the form's messages.
"""

from django import forms
from django.core.paginator import Paginator

from portal.models.taxonomy import Jurisdiction, Language, Organisation, Sector, Topic

SORTS = {
    "newest": ("-publication_date", "title"),
    "oldest": ("publication_date", "title"),
    "title": ("title",),
}


class TermChoiceField(forms.ModelMultipleChoiceField):
    """Several terms by slug (or by code), e.g. ?sector=finance&sector=health: any of them matches."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, queryset, label, key="slug", **kwargs):
        super().__init__(
            queryset=queryset,
            to_field_name=key,
            required=False,
            label=label,
            error_messages={"invalid_choice": f"There is no {label.lower()} called “%(value)s”."},
            **kwargs,
        )


class RecordFilterForm(forms.Form):
    topic = TermChoiceField(Topic.objects.all(), "Topic")
    sector = TermChoiceField(Sector.objects.all(), "Sector")
    jurisdiction = TermChoiceField(Jurisdiction.objects.all(), "Jurisdiction", key="code")
    language = TermChoiceField(Language.objects.all(), "Language", key="code")
    organisation = TermChoiceField(Organisation.objects.all(), "Organisation")
    year = forms.IntegerField(
        required=False,
        min_value=1900,
        max_value=2100,
        label="Year",
        error_messages={"invalid": "The year must be a number such as 2024."},
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("newest", "Newest first"), ("oldest", "Oldest first"), ("title", "Title A–Z")],
        label="Sort by",
        error_messages={"invalid_choice": "Sort by newest, oldest or title."},
    )

    #: form field -> record relation it filters on
    relations = {
        "topic": "topics",
        "sector": "sectors",
        "jurisdiction": "jurisdictions",
        "language": "languages",
        "organisation": "organisations",
    }

    def filter(self, records):
        """Apply the valid filters to ``records``: AND across fields, OR within one field."""
        data = self.cleaned_data
        for name, relation in self.relations.items():
            terms = data.get(name)
            if not terms:
                continue
            ids = [term.pk for term in terms]
            if name == "topic":
                ids = Topic.descendant_ids(ids)
            records = records.filter(pk__in=records.model.objects.filter(**{f"{relation}__in": ids}).values("pk"))
        if data.get("year"):
            records = records.filter(publication_date__year=data["year"])
        return records.order_by(*SORTS[data.get("sort") or "newest"])

    @property
    def active_filters(self):
        """(label, value) pairs of the filters in use, for the 'filtered by' line."""
        if not self.is_bound or not self.is_valid():
            return []
        active = []
        for name in self.relations:
            active.extend((self.fields[name].label, str(term)) for term in self.cleaned_data.get(name) or [])
        if self.cleaned_data.get("year"):
            active.append(("Year", str(self.cleaned_data["year"])))
        return active


def paginate(request, queryset, per_page):
    """One page of ``queryset``; a malformed or out-of-range page number gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
