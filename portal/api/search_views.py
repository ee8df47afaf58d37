"""``search/``: the public search over the records the caller may see (``portal/api/search.py``)."""

from drf_spectacular.utils import extend_schema

from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from portal.models import RecordPage

from . import search
from .filters import AllRecordListParams, TermFilterParams, filter_records, parse_params
from .http import ConditionalGetMixin, newest_change
from .loading import Urls
from .serializers import OrganisationRefSerializer, html_to_text

MAX_PAGE = 500


class SearchParams(TermFilterParams):
    q = serializers.CharField(max_length=200, help_text="What to search for. Words, or a phrase in double quotes.")
    kind = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, help_text="framework, finding or lesson."
    )
    year = serializers.IntegerField(
        required=False, min_value=1900, max_value=2100, help_text="Publication year, e.g. 2024."
    )
    order = serializers.ChoiceField(
        choices=list(search.ORDERS),
        required=False,
        default="relevance",
        help_text="relevance (default), -published (newest first) or published.",
    )
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=MAX_PAGE)
    page_size = serializers.IntegerField(required=False, default=20, min_value=1, max_value=100)

    validate_kind = AllRecordListParams.validate_kind

    def validate_q(self, value):
        if not search.query_terms(value):
            raise serializers.ValidationError("Type at least one word to search for.")
        return value


class HighlightSerializer(serializers.Serializer):
    title = serializers.CharField(allow_null=True, help_text="HTML: the title with matches in <mark>, or null.")
    summary = serializers.CharField(allow_null=True, help_text="HTML snippet of the summary, or null.")
    body = serializers.CharField(allow_null=True, help_text="HTML snippet of the body, or null.")


class SearchHitSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    kind = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    publication_date = serializers.DateField()
    web_url = serializers.URLField(allow_null=True)
    api_url = serializers.URLField()
    organisations = OrganisationRefSerializer(many=True)
    highlights = HighlightSerializer()


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The filter value (slug, code, kind or year).")
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Matching records with this value that the caller may see.")


class FacetsSerializer(serializers.Serializer):
    kind = FacetValueSerializer(many=True)
    topic = FacetValueSerializer(many=True)
    sector = FacetValueSerializer(many=True)
    jurisdiction = FacetValueSerializer(many=True)
    language = FacetValueSerializer(many=True)
    organisation = FacetValueSerializer(many=True)
    year = FacetValueSerializer(many=True)


class SuggestionsSerializer(serializers.Serializer):
    spelling = serializers.CharField(allow_null=True, help_text="A corrected query when nothing matched, or null.")
    completions = serializers.ListField(
        child=serializers.CharField(), help_text="Titles completing the query (autocomplete)."
    )


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    total = serializers.IntegerField(help_text="Matching records the caller may see.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchHitSerializer(many=True)
    facets = FacetsSerializer()
    suggestions = SuggestionsSerializer()


def _hit(record, terms, kind_of, urls):
    body = html_to_text(str(record.body.render_as_block())) if record.body else ""
    return {
        "uuid": record.translation_key,
        "kind": kind_of.get(record.content_type_id, ""),
        "title": record.title,
        "summary": record.summary,
        "publication_date": record.publication_date,
        "web_url": urls.web(record.url_path),
        "api_url": urls.record(record.translation_key),
        "organisations": [{"slug": o.slug, "name": o.name, "acronym": o.acronym} for o in record.organisations.all()],
        "highlights": {
            "title": search.highlight(record.title, terms, length=1000),
            "summary": search.highlight(record.summary, terms),
            "body": search.highlight(body, terms),
        },
    }


def _previous(url, page):
    if page == 1:
        return None
    return remove_query_param(url, "page") if page == 2 else replace_query_param(url, "page", page - 1)


class SearchViewSet(ConditionalGetMixin, viewsets.GenericViewSet):
    """Ranked full-text search with highlights, facet counts and suggestions."""

    serializer_class = SearchResultsSerializer
    answers_one_object = True
    pagination_class = None

    def get_queryset(self):
        return RecordPage.objects.visible_to(self.request.user)

    @extend_schema(summary="Search records", parameters=[SearchParams], responses={200: SearchResultsSerializer})
    def list(self, request, *args, **kwargs):
        params = parse_params(request, SearchParams)
        # The filters narrow what is searched; the query itself goes to the search service.
        records = filter_records(self.get_queryset(), {k: v for k, v in params.items() if k != "q"})
        if params.get("year"):
            records = records.filter(publication_date__year=params["year"])
        page, size = params["page"], params["page_size"]
        try:
            outcome = search.search_records(
                records,
                params["q"],
                order=params["order"],
                offset=(page - 1) * size,
                limit=size,
                select=lambda queryset: queryset.prefetch_related("organisations"),
            )
        except search.SearchError as error:
            raise exceptions.ValidationError({"q": [str(error)]}) from error
        urls, kind_of = Urls(request), RecordPage.kind_of_content_type()
        url = request.build_absolute_uri()
        more = page * size < outcome.total
        body = {
            "query": params["q"],
            "total": outcome.total,
            "page": page,
            "page_size": size,
            "next": replace_query_param(url, "page", page + 1) if more and page < MAX_PAGE else None,
            "previous": (
                None
                if page == 1
                else remove_query_param(url, "page")
                if page == 2
                else replace_query_param(url, "page", page - 1)
            ),
            "results": [_hit(record, outcome.terms, kind_of, urls) for record in outcome.records],
            "facets": outcome.facets,
            "suggestions": {"spelling": outcome.spelling, "completions": outcome.completions},
        }
        self.last_modified, self.modified_since = newest_change(outcome.records), False
        return Response(body)  # in the shape SearchResultsSerializer describes
