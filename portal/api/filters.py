"""Query parameters of the record lists and how they filter records.

Each endpoint reads its parameters through an input serializer, so a bad value is a 400 that
names the parameter and says why (``portal.api.errors``), and the OpenAPI schema lists every
parameter with its type. Several values of one filter (``?topic=a&topic=b`` or ``?topic=a,b``)
match records with any of them; different filters must all match.
"""

from rest_framework import serializers

from portal.models import RecordPage
from portal.models.taxonomy import TERM_FACETS
from portal.services.facets import filter_queryset
from portal.services.search import MAX_QUERY_LENGTH, QUERY_TOO_LONG, SearchError, matching_ids

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

#: ordering parameter -> (record field, its type) ; a leading '-' sorts descending
ORDERINGS = {
    "published": "publication_date",
    "modified": "modified_at",  # last_published_at (see loading.record_queryset)
    "title": "title",
}
ORDERING_CHOICES = [name for key in ORDERINGS for name in (key, f"-{key}")]


def query_data(request, serializer_class):
    """The request's query parameters as serializer input: list parameters from every value
    (repeated or comma-separated), others from the last value; empty values count as absent."""
    data = {}
    fields = serializer_class().fields
    for name, field in fields.items():
        values = [v for v in request.query_params.getlist(name) if v.strip() != ""]
        if not values:
            continue
        if isinstance(field, serializers.ListField):
            data[name] = [part.strip() for v in values for part in v.split(",") if part.strip()]
        else:
            data[name] = values[-1]
    return data


def parse_params(request, serializer_class, **context):
    serializer = serializer_class(data=query_data(request, serializer_class), context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _term_list(help_text):
    return serializers.ListField(child=serializers.CharField(max_length=100), required=False, help_text=help_text)


class TermFilterParams(serializers.Serializer):
    """Filters shared by record lists and search."""

    topic = _term_list("Topic slugs; a topic also matches records under its sub-topics.")
    sector = _term_list("Sector slugs.")
    jurisdiction = _term_list("Jurisdiction codes: ISO 3166-1 alpha-2, EU or INT.")
    language = _term_list("BCP 47 language tags (the languages a record is about).")
    organisation = _term_list("Publishing organisation slugs.")

    def validate(self, attrs):
        """Every term named exists (one query per filter used); the values stay as written."""
        errors = {}
        for name, term in TERM_FACETS.items():
            wanted = attrs.get(name)
            if not wanted:
                continue
            found = set(term.model.objects.filter(**{f"{term.key}__in": wanted}).values_list(term.key, flat=True))
            missing = [value for value in wanted if value not in found]
            if missing:
                label = term.model._meta.verbose_name
                errors[name] = [f"There is no {label} with {term.key} “{value}”." for value in missing]
            attrs[name] = list(dict.fromkeys(wanted))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RecordListParams(TermFilterParams):
    published_after = serializers.DateField(
        required=False, help_text="Records published on or after this date (YYYY-MM-DD)."
    )
    published_before = serializers.DateField(
        required=False, help_text="Records published on or before this date (YYYY-MM-DD)."
    )
    modified_since = serializers.DateTimeField(
        required=False,
        help_text="Records whose current version was published at or after this time (ISO 8601, "
        "e.g. 2025-01-31T12:00:00Z). To stay in sync, prefer the change feed (changes/).",
    )
    q = serializers.CharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": QUERY_TOO_LONG},
        help_text="Full-text query; only matching records are listed.",
    )
    ordering = serializers.ChoiceField(
        choices=ORDERING_CHOICES,
        required=False,
        default="-published",
        help_text="published, modified or title; prefix '-' for descending. Default: -published.",
    )
    page_size = serializers.IntegerField(
        required=False,
        default=DEFAULT_PAGE_SIZE,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Records per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    )
    cursor = serializers.CharField(
        required=False, max_length=1000, help_text="Opaque cursor from a previous page's 'next' link."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        after, before = attrs.get("published_after"), attrs.get("published_before")
        if after and before and after > before:
            raise serializers.ValidationError(
                {"published_before": ["published_before is earlier than published_after."]}
            )
        return attrs


class KindChoice(serializers.ChoiceField):
    """A kind of record; its values are listed in the OpenAPI schema."""

    def __init__(self, **kwargs):
        kinds = sorted(RecordPage.kind_models())
        message = "There is no kind “{input}”; use one of: " + ", ".join(kinds) + "."
        super().__init__(choices=kinds, error_messages={"invalid_choice": message}, **kwargs)


class AllRecordListParams(RecordListParams):
    kind = serializers.ListField(
        child=KindChoice(), required=False, help_text="framework, finding or lesson (several allowed)."
    )


def selections(params):
    """The facet selections of validated parameters: {facet: [values as in URLs]}
    (``portal.services.facets``)."""
    chosen = {name: params[name] for name in ("kind", *TERM_FACETS) if params.get(name)}
    if params.get("year"):
        chosen["year"] = [str(year) for year in params["year"]]
    return chosen


def filter_records(records, params):
    """``records`` narrowed by validated parameters (any of the values within one filter, every filter)."""
    records = filter_queryset(records, selections(params))
    if params.get("published_after"):
        records = records.filter(publication_date__gte=params["published_after"])
    if params.get("published_before"):
        records = records.filter(publication_date__lte=params["published_before"])
    if params.get("modified_since"):
        records = records.filter(modified_at__gte=params["modified_since"])
    if params.get("q"):
        try:
            records = records.filter(pk__in=matching_ids(records, params["q"]))
        except SearchError as error:
            raise serializers.ValidationError({"q": [str(error)]}) from error
    return records


def order_fields(ordering):
    """(field, pk) with direction, e.g. '-published' -> ['-publication_date', '-pk']."""
    descending = ordering.startswith("-")
    field = ORDERINGS[ordering.lstrip("-")]
    sign = "-" if descending else ""
    return [f"{sign}{field}", f"{sign}pk"]
