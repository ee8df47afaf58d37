"""The taxonomies: topics (a tree), sectors, jurisdictions, organisations and languages.

Terms are public; each shows how many records *the caller* may see under it (through the one
visibility rule), so a hidden record is counted nowhere. Lists are short and not paged.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view

from django.db.models import Count
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from portal.models import Jurisdiction, Language, Organisation, RecordPage, Sector, Topic

from .http import ConditionalGetMixin


class TermSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="Used in filters (?topic=, ?sector=, ?organisation=) and URLs.")
    name = serializers.CharField()
    description = serializers.CharField()
    web_url = serializers.SerializerMethodField(help_text="The term's page on the web site.")
    record_count = serializers.SerializerMethodField(help_text="Records under this term that the caller may see.")

    def get_web_url(self, term) -> str:
        return self.context["request"].build_absolute_uri(term.get_absolute_url())

    def get_record_count(self, term) -> int:
        return self.context["counts"].get(term.pk, 0)


class SectorSerializer(TermSerializer):
    pass


class JurisdictionSerializer(TermSerializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2, EU or INT; used by ?jurisdiction=.")


class LanguageSerializer(TermSerializer):
    code = serializers.CharField(help_text="BCP 47 tag; used by ?language=.")


class OrganisationSerializer(TermSerializer):
    acronym = serializers.CharField()
    website = serializers.CharField(help_text="May be empty.")
    jurisdiction = serializers.SerializerMethodField(help_text="Code of the jurisdiction it is based in, or null.")

    def get_jurisdiction(self, organisation) -> str | None:
        return organisation.jurisdiction.code if organisation.jurisdiction_id else None


class TopicSerializer(TermSerializer):
    parent = serializers.SerializerMethodField(help_text="Slug of the broader topic, or null for a top-level one.")

    def get_parent(self, topic) -> str | None:
        parent = self.context["by_pk"].get(topic.parent_id)
        return parent.slug if parent else None

    def get_fields(self):
        fields = super().get_fields()
        fields["children"] = TopicChildrenField(help_text="Narrower topics, as a tree.")
        return fields


@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/Topic"}})
class TopicChildrenField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, topic):
        children = self.context["children"].get(topic.pk, [])
        return TopicSerializer(children, many=True, context=self.context).data


class TermViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    """One taxonomy: every term (not paged), or one term by slug."""

    model = None
    relation = ""
    pagination_class = None
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return self.model.objects.order_by("name")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        records = RecordPage.objects.visible_to(self.request.user).filter(**{f"{self.relation}__isnull": False})
        # order_by(): the records' own ordering would join the GROUP BY and count each record apart.
        counts = records.order_by().values_list(self.relation).annotate(n=Count("pk", distinct=True))
        context["counts"] = dict(counts.values_list(self.relation, "n"))
        return context

    def retrieve(self, request, *args, **kwargs):
        term = self.get_queryset().filter(slug=kwargs["slug"]).first()
        if term is None:
            raise exceptions.NotFound(f"There is no {self.model._meta.verbose_name} with this slug.")
        return Response(self.get_serializer(term).data)


def term_schema(serializer, noun):
    return extend_schema_view(
        list=extend_schema(summary=f"Every {noun}", responses={200: serializer(many=True)}),
        retrieve=extend_schema(
            summary=f"One {noun} by slug",
            parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")],
            responses={200: serializer},
        ),
    )


@term_schema(SectorSerializer, "sector")
class SectorViewSet(TermViewSet):
    model, relation, serializer_class = Sector, "sectors", SectorSerializer


@term_schema(JurisdictionSerializer, "jurisdiction")
class JurisdictionViewSet(TermViewSet):
    model, relation, serializer_class = Jurisdiction, "jurisdictions", JurisdictionSerializer


@term_schema(LanguageSerializer, "language")
class LanguageViewSet(TermViewSet):
    model, relation, serializer_class = Language, "languages", LanguageSerializer


@term_schema(OrganisationSerializer, "organisation")
class OrganisationViewSet(TermViewSet):
    model, relation, serializer_class = Organisation, "organisations", OrganisationSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("jurisdiction")


@extend_schema_view(
    list=extend_schema(
        summary="Every topic, as a tree of top-level topics", responses={200: TopicSerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="One topic by slug, with the topics under it",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")],
        responses={200: TopicSerializer},
    ),
)
class TopicViewSet(TermViewSet):
    model, relation, serializer_class = Topic, "topics", TopicSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        topics = list(Topic.objects.order_by("name"))
        context["by_pk"] = {topic.pk: topic for topic in topics}
        children = {}
        for topic in topics:
            children.setdefault(topic.parent_id, []).append(topic)
        context["children"] = children
        return context

    def list(self, request, *args, **kwargs):
        context = self.get_serializer_context()
        roots = context["children"].get(None, [])
        return Response(TopicSerializer(roots, many=True, context=context).data)
