"""Filter forms for record listings and search: query-string values in, facet selections out.

Unknown or malformed values make the form invalid; views answer 400 with the form's messages.
The selections feed ``portal.facets``, which filters (AND across facets, OR within one) and
counts.
"""

from django import forms
from django.core.paginator import Paginator

from portal.models.records import RecordPage
from portal.models.taxonomy import Jurisdiction, Language, Organisation, Sector, Topic

SORTS = {
    "newest": ("-publication_date", "title"),
    "oldest": ("publication_date", "title"),
    "title": ("title",),
}
MAX_QUERY_LENGTH = 500


class TermChoiceField(forms.ModelMultipleChoiceField):
    """Several terms by slug (or by code), e.g. ?sector=finance&sector=health: any of them matches."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, queryset, label, key="slug", **kwargs):
        self.key = key
        super().__init__(
            queryset=queryset,
            to_field_name=key,
            required=False,
            label=label,
            error_messages={"invalid_choice": f"There is no {label.lower()} called “%(value)s”."},
            **kwargs,
        )


class YearsField(forms.Field):
    """One or more years, e.g. ?year=2023&year=2024."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else ([value] if value else [])
        years = []
        for item in values:
            try:
                year = int(str(item).strip())
            except ValueError:
                raise forms.ValidationError("The year must be a number such as 2024.") from None
            if not 1900 <= year <= 2100:
                raise forms.ValidationError("Choose a year between 1900 and 2100.")
            years.append(year)
        return sorted(set(years))


class RecordFilterForm(forms.Form):
    topic = TermChoiceField(Topic.objects.all(), "Topic")
    sector = TermChoiceField(Sector.objects.all(), "Sector")
    jurisdiction = TermChoiceField(Jurisdiction.objects.all(), "Jurisdiction", key="code")
    language = TermChoiceField(Language.objects.all(), "Language", key="code")
    organisation = TermChoiceField(Organisation.objects.all(), "Organisation")
    year = YearsField(required=False, label="Year")
    sort = forms.ChoiceField(
        required=False,
        choices=[("newest", "Newest first"), ("oldest", "Oldest first"), ("title", "Title A–Z")],
        label="Sort by",
        error_messages={"invalid_choice": "Sort by newest, oldest or title."},
    )

    #: facet name -> form field holding its selection
    facet_fields = ("topic", "sector", "jurisdiction", "language", "organisation", "year")

    def selections(self):
        """{facet: [values as they appear in URLs]} of the valid form."""
        chosen = {}
        for name in self.facet_fields:
            value = self.cleaned_data.get(name)
            if not value:
                continue
            field = self.fields[name]
            chosen[name] = [getattr(v, field.key) for v in value] if hasattr(field, "key") else [str(v) for v in value]
        return chosen

    def sort_order(self):
        return SORTS[self.cleaned_data.get("sort") or "newest"]

    def filter(self, records):
        """Apply the valid filters to ``records`` and sort them."""
        from portal import facets

        return facets.apply(records, self.selections()).order_by(*self.sort_order())

    @property
    def active_filters(self):
        """(label, value) pairs of the filters in use, for the 'filtered by' line."""
        if not self.is_bound or not self.is_valid():
            return []
        active = []
        for name in self.facet_fields:
            for value in self.cleaned_data.get(name) or []:
                active.append((self.fields[name].label, str(value)))
        return active


class QueryField(forms.CharField):
    """Search text: control characters (NUL included) carry no meaning in a search, so they are
    dropped before validation rather than refused."""

    def to_python(self, value):
        text = "".join(ch if ch.isprintable() else " " for ch in super().to_python(value))
        return " ".join(text.split())


class SearchForm(RecordFilterForm):
    q = QueryField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        error_messages={"max_length": f"Use at most {MAX_QUERY_LENGTH} characters."},
    )
    kind = forms.MultipleChoiceField(
        required=False,
        label="Kind",
        error_messages={"invalid_choice": "There is no kind of record called “%(value)s”."},
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[("relevance", "Best match"), ("newest", "Newest first"), ("oldest", "Oldest first")],
        label="Sort by",
        error_messages={"invalid_choice": "Sort by relevance, newest or oldest."},
    )
    facet_fields = ("kind", *RecordFilterForm.facet_fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, model.kind_label) for kind, model in RecordPage.kind_models().items()]

    def selections(self):
        chosen = super().selections()
        if self.cleaned_data.get("kind"):
            chosen["kind"] = list(self.cleaned_data["kind"])
        return {name: chosen[name] for name in self.facet_fields if name in chosen}

    #: this form's sort -> the search service's ordering
    SEARCH_ORDERS = {"relevance": "relevance", "newest": "-published", "oldest": "published"}

    def order(self):
        """The search service's ordering: relevance unless the visitor asked for dates."""
        return self.SEARCH_ORDERS[self.cleaned_data.get("sort") or "relevance"]


def paginate(request, queryset, per_page):
    """One page of ``queryset``; a malformed or out-of-range page number gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
