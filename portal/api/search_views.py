"""``search/``: the public search over the records the caller may see, rendering the outcome of
the search pipeline the web search page renders too (``portal/services/search.py``)."""

from drf_spectacular.utils import extend_schema

from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from portal.caching import audience_key
from portal.models import RecordPage
from portal.services import search
from portal.services.highlights import query_terms

from . import representations
from .filters import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, KindChoice, TermFilterParams, parse_params, selections
from .http import ConditionalGetMixin, newest_change
from .loading import Urls
from .serializers import OrganisationRefSerializer

MAX_PAGE = search.MAX_PAGE


class SearchParams(TermFilterParams):
    q = serializers.CharField(
        max_length=search.MAX_QUERY_LENGTH,
        error_messages={"max_length": search.QUERY_TOO_LONG},
        help_text=f"What to search for. Words, or a phrase in double quotes; at most {search.MAX_QUERY_LENGTH} "
        "characters.",
    )
    kind = serializers.ListField(child=KindChoice(), required=False, help_text="framework, finding or lesson.")
    year = serializers.ListField(
        child=serializers.IntegerField(min_value=1900, max_value=2100),
        required=False,
        help_text="Publication years, e.g. 2024 (several: any of them).",
    )
    order = serializers.ChoiceField(
        choices=[*search.SORTS, *search.SORT_ALIASES],
        required=False,
        default="relevance",
        help_text="relevance (default), newest, oldest or title; -published and published are "
        "accepted for newest and oldest.",
    )
    page = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=MAX_PAGE,
        help_text=f"Page number, 1 to {MAX_PAGE}; past the last page, an empty page.",
    )
    page_size = serializers.IntegerField(
        required=False,
        default=DEFAULT_PAGE_SIZE,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Results per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    )

    def validate_q(self, value):
        if not query_terms(value):
            raise serializers.ValidationError(search.TYPE_A_WORD)
        return value

    def validate_order(self, value):
        return search.sort_name(value)


class HighlightSerializer(serializers.Serializer):
    title = serializers.CharField(allow_null=True, help_text="HTML: the title with matches in <mark>, or null.")
    summary = serializers.CharField(allow_null=True, help_text="HTML snippet of the summary, or null.")
    body = serializers.CharField(allow_null=True, help_text="HTML snippet of the body, or null.")


class PromotionSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="The editors' note; may be empty.")


class MatchedProvisionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    web_url = serializers.URLField(allow_null=True, help_text="The provision on the framework's web page.")


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
    promoted = PromotionSerializer(
        allow_null=True, help_text="Set when the portal's editors promoted this record for the query (listed first)."
    )
    matched_provision = MatchedProvisionSerializer(
        allow_null=True,
        help_text="The framework's provision the query matched (the result was found through it), or null.",
    )


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The filter value (slug, code, kind or year).")
    label = serializers.CharField()
    count = serializers.IntegerField(
        help_text="Matching records with this value that the caller may see, with the other facets' "
        "selections applied but not this facet's own (a topic counts its sub-topics' records too)."
    )


class FacetsSerializer(serializers.Serializer):
    kind = FacetValueSerializer(many=True)
    topic = FacetValueSerializer(many=True)
    sector = FacetValueSerializer(many=True)
    jurisdiction = FacetValueSerializer(many=True)
    language = FacetValueSerializer(many=True)
    organisation = FacetValueSerializer(many=True)
    year = FacetValueSerializer(many=True)


class SuggestionsSerializer(serializers.Serializer):
    spelling = serializers.CharField(
        allow_null=True, help_text="A spelling of the query that finds more records (did you mean), or null."
    )
    corrected = serializers.CharField(
        allow_null=True,
        help_text="When some words of the query matched nothing, the query as spelled for the results listed "
        "first (showing results for), or null.",
    )
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


def _bodies(records):
    """{record id: body as plain text}, from the representations stored when they were published."""
    return {pk: data.get("body_text", "") for pk, data in representations.read([r.pk for r in records]).items()}


def _hit(record, urls):
    highlights = record.highlights
    web_url = urls.web(record.url_path)
    return {
        "uuid": record.translation_key,
        "kind": record.kind,
        "title": record.title,
        "summary": record.summary,
        "publication_date": record.publication_date,
        "web_url": web_url,
        "api_url": urls.record(record.translation_key),
        "organisations": [{"slug": o.slug, "name": o.name, "acronym": o.acronym} for o in record.organisations.all()],
        "highlights": {"title": highlights.title, "summary": highlights.summary, "body": highlights.body},
        "promoted": {"note": record.promotion.note} if record.promotion else None,
        "matched_provision": _matched(record, web_url),
    }


def _matched(record, web_url):
    part = record.matched_part
    if part is None:
        return None
    return {"code": part.code, "title": part.title, "web_url": f"{web_url}#{part.anchor}" if web_url else None}


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
        page, size = params["page"], params["page_size"]
        outcome = search.search(
            self.get_queryset(),
            params["q"],
            selections(params),
            params["order"],
            page,
            size,
            cache_as=("search", audience_key(request.user)),
            bodies=_bodies,
            completion_limit=5,
        )
        if outcome.message:  # the backend could not run this query
            raise exceptions.ValidationError({"q": [outcome.message]})
        # Past the last page, the API answers an empty page (the web shows the last one).
        records = outcome.records if outcome.page.number == page else []
        urls = Urls(request)
        url = request.build_absolute_uri()
        more = page * size < outcome.total
        body = {
            "query": params["q"],
            "total": outcome.total,
            "page": page,
            "page_size": size,
            "next": replace_query_param(url, "page", page + 1) if more and page < MAX_PAGE else None,
            "previous": _previous(url, page),
            "results": [_hit(record, urls) for record in records],
            "facets": {
                name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                for name, values in outcome.facets.items()
            },
            "suggestions": {
                "spelling": outcome.spelling,
                "corrected": outcome.corrected,
                "completions": outcome.completions,
            },
        }
        self.last_modified, self.modified_since = newest_change(records), False
        return Response(body)  # in the shape SearchResultsSerializer describes
