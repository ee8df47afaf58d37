"""Forms for the web's record listings and search: query-string values in, the search pipeline's
input out (``portal.services.search``: a query, facet selections, a sort).

Unknown or malformed values make the form invalid; views answer 400 with the form's messages.
"""

from django import forms
from django.core.paginator import Paginator

from portal.models.records import RecordPage
from portal.models.taxonomy import TERM_RELATIONS
from portal.services.search import BROWSE_SORT, MAX_QUERY_LENGTH, QUERY_TOO_LONG, SORTS


def _sort_field(names):
    listed = ", ".join(names[:-1]) + f" or {names[-1]}"
    return forms.ChoiceField(
        required=False,
        choices=[(name, SORTS[name].label) for name in names],
        label="Sort by",
        error_messages={"invalid_choice": f"Sort by {listed}."},
    )


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
    """An index page's filters: the term facets, years and a sort (no query, so no relevance)."""

    year = YearsField(required=False, label="Year")
    sort = _sort_field([name for name, sort in SORTS.items() if sort.fields is not None])

    #: facets this form selects, in the order they are shown
    facet_fields = (*(term.facet for term in TERM_RELATIONS), "year")
    #: the sort when none is asked for
    default_sort = BROWSE_SORT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        terms = {
            term.facet: TermChoiceField(term.model.objects.all(), term.facet.capitalize(), key=term.key)
            for term in TERM_RELATIONS
        }
        self.fields = {**terms, **self.fields}

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

    def chosen_sort(self):
        """The sort asked for, a name in ``SORTS``, of the valid form."""
        return self.cleaned_data.get("sort") or self.default_sort


class QueryField(forms.CharField):
    """Search text: control characters (NUL included) carry no meaning in a search, so they are
    dropped before validation rather than refused."""

    def to_python(self, value):
        text = "".join(ch if ch.isprintable() else " " for ch in super().to_python(value))
        return " ".join(text.split())


class SearchForm(RecordFilterForm):
    """The search page: a query, every facet (the kind too) and every sort."""

    q = QueryField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        error_messages={"max_length": QUERY_TOO_LONG},
    )
    kind = forms.MultipleChoiceField(
        required=False,
        label="Kind",
        error_messages={"invalid_choice": "There is no kind of record called “%(value)s”."},
    )
    sort = _sort_field(list(SORTS))
    facet_fields = ("kind", *RecordFilterForm.facet_fields)
    default_sort = "relevance"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, model.kind_label) for kind, model in RecordPage.kind_models().items()]


def paginate(request, queryset, per_page):
    """One page of ``queryset``; a malformed or out-of-range page number gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
