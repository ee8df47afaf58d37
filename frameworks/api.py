"""The API's framework parts: the framework's own fields, its provisions, and crosswalks."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field

from django.db.models import Prefetch, Q
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api import kinds
from portal.api.filters import RecordListParams, parse_params
from portal.api.http import ConditionalGetMixin
from portal.api.kinds import KindAPI
from portal.api.loading import Urls
from portal.api.records import RecordViewSetBase, record_changed_at, record_schema
from portal.api.serializers import Loaded, OrganisationRefSerializer, ProvisionRefSerializer, serializer_for_kind
from portal.models import RecordPage
from portal.text import anchor

from .models import Crosswalk, CrosswalkMapping, FrameworkPage, Provision


class ProvisionNodeSerializer(serializers.Serializer):
    """Describes a node of the provision tree (built as plain dicts by ``load_provisions``)."""

    code = serializers.CharField(help_text="The framework's own reference, e.g. GOVERN 1.1.")
    anchor = serializers.CharField(help_text="Fragment id on the framework's web page, e.g. govern-1-1.")
    type = serializers.CharField(help_text="principle, function, category, control…")
    type_label = serializers.CharField()
    level = serializers.IntegerField(help_text="Depth in the outline; 1 is the top.")
    title = serializers.CharField()
    text = serializers.CharField(help_text="What the provision asks for; may be empty.")
    children = serializers.SerializerMethodField(help_text="The provisions one level below, as a tree.")

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/ProvisionNode"}})
    def get_children(self, node):
        return node["children"]


TYPE_LABELS = dict(Provision.Type.choices)


def provision_tree(rows):
    """The outline as nested dicts (from the levels, as on the web page), from ordered value rows."""
    roots, stack = [], []
    for row in rows:
        node = {
            "code": row["code"],
            "anchor": anchor(row["code"]),
            "type": row["provision_type"],
            "type_label": TYPE_LABELS.get(row["provision_type"], row["provision_type"]),
            "level": row["level"],
            "title": row["title"],
            "text": row["text"],
            "children": [],
        }
        while stack and stack[-1]["level"] >= node["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(node)
        stack.append(node)
    return roots


def load_provisions(frameworks, context):
    """Every framework's provision tree, in one query."""
    by_framework = {}
    rows = (
        Provision.objects.filter(framework_id__in=[f.pk for f in frameworks])
        .order_by("framework_id", "sort_order", "pk")
        .values("framework_id", "code", "provision_type", "level", "title", "text")
    )
    for row in rows:
        by_framework.setdefault(row["framework_id"], []).append(row)
    for framework in frameworks:
        framework.api_provisions = provision_tree(by_framework.get(framework.pk, []))


class FrameworkFieldsSerializer(serializers.Serializer):
    issuing_body = OrganisationRefSerializer(allow_null=True, help_text="The body that issued the framework.")
    version = serializers.CharField(help_text="As the issuer writes it; may be empty.")
    status = serializers.CharField(help_text="draft, in_force, superseded or withdrawn.")
    status_label = serializers.CharField(source="get_status_display")
    legal_effect = serializers.CharField(help_text="binding or voluntary.")
    legal_effect_label = serializers.CharField(source="get_legal_effect_display")
    effective_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    provisions = Loaded(
        ProvisionNodeSerializer(many=True), source="api_provisions", help_text="The provisions as a tree."
    )


FrameworkSerializer = serializer_for_kind("framework")


@record_schema(FrameworkSerializer, RecordListParams, "frameworks")
class FrameworkViewSet(RecordViewSetBase):
    """Governance frameworks, with their provisions."""

    kind = "framework"
    serializer_class = FrameworkSerializer

    @extend_schema(
        summary="A framework's provisions, as a tree",
        parameters=[OpenApiParameter("uuid", str, OpenApiParameter.PATH, pattern=r"^[0-9a-fA-F-]{32,36}$")],
        responses={200: ProvisionNodeSerializer(many=True)},
    )
    @action(detail=True, pagination_class=None)
    def provisions(self, request, uuid=None):
        framework = self.get_object()
        load_provisions([framework.frameworkpage], {})
        self.last_modified = record_changed_at(framework.translation_key, request.user)
        return Response(
            ProvisionNodeSerializer(
                framework.frameworkpage.api_provisions, many=True, context={"request": request}
            ).data
        )


# Crosswalks


class CrosswalkFrameworkSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(source="translation_key")
    title = serializers.CharField()
    api_url = serializers.SerializerMethodField()

    def get_api_url(self, framework) -> str:
        return self.context["urls"].record(framework.translation_key)


class MappingSerializer(serializers.Serializer):
    source = ProvisionRefSerializer(help_text="A provision of the source framework.")
    target = ProvisionRefSerializer(help_text="A provision of the target framework.")
    relation = serializers.CharField(help_text="equivalent, partial or related.")
    relation_label = serializers.CharField()
    note = serializers.CharField(help_text="What differs between the two; may be empty.")
    reference = serializers.CharField(help_text="Where this mapping comes from, if not the crosswalk's source.")


class CrosswalkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    source_title = serializers.CharField(help_text="The published mapping this crosswalk follows; may be empty.")
    source_url = serializers.CharField(help_text="Where that published mapping can be read; may be empty.")
    source = CrosswalkFrameworkSerializer(help_text="The framework on the left (the one asked for as ?source=).")
    target = CrosswalkFrameworkSerializer(help_text="The framework on the right.")
    reversed = serializers.BooleanField(help_text="True if the crosswalk was published from target to source.")
    mappings = MappingSerializer(many=True)


class CrosswalkParams(serializers.Serializer):
    source = serializers.UUIDField(required=False, help_text="UUID of a framework: crosswalks from (or to) it.")
    target = serializers.UUIDField(required=False, help_text="UUID of a second framework: crosswalks between the two.")

    def validate(self, attrs):
        visible = self.context["visible"]
        errors = {}
        for name in ("source", "target"):
            if name in attrs:
                framework = visible.filter(translation_key=attrs[name]).first()
                if framework is None:
                    errors[name] = [f"There is no framework with UUID {attrs[name]}."]
                attrs[name] = framework
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _crosswalk_data(crosswalk, left_id):
    """A crosswalk oriented so that the framework ``left_id`` (if given) is the source."""
    flip = left_id is not None and crosswalk.target_framework_id == left_id
    source, target = crosswalk.source_framework, crosswalk.target_framework
    mappings = []
    for m in crosswalk.mappings.all():
        left, right = (m.target_provision, m.source_provision) if flip else (m.source_provision, m.target_provision)
        mappings.append(
            {
                "source": {"code": left.code, "title": left.title},
                "target": {"code": right.code, "title": right.title},
                "relation": m.relation,
                "relation_label": m.get_relation_display(),
                "note": m.note,
                "reference": m.source,
            }
        )
    return {
        "slug": crosswalk.slug,
        "title": crosswalk.title,
        "description": crosswalk.description,
        "source_title": crosswalk.source_title,
        "source_url": crosswalk.source_url,
        "source": target if flip else source,
        "target": source if flip else target,
        "reversed": flip,
        "mappings": mappings,
    }


class CrosswalkViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    """Provision mappings between two frameworks the caller may both see."""

    serializer_class = CrosswalkSerializer
    pagination_class = None
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        visible = RecordPage.objects.visible_to(self.request.user).values("pk")
        mappings = CrosswalkMapping.objects.select_related("source_provision", "target_provision").order_by(
            "sort_order", "pk"
        )
        return (
            Crosswalk.objects.filter(source_framework__in=visible, target_framework__in=visible)
            .select_related("source_framework", "target_framework")
            .prefetch_related(Prefetch("mappings", queryset=mappings))
            .order_by("title")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "urls": Urls(self.request)}

    @extend_schema(summary="Crosswalks", parameters=[CrosswalkParams], responses={200: CrosswalkSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        visible = FrameworkPage.objects.visible_to(request.user)
        params = parse_params(request, CrosswalkParams, visible=visible)
        crosswalks = self.get_queryset()
        source, target = params.get("source"), params.get("target")
        for framework in (source, target):
            if framework is not None:
                crosswalks = crosswalks.filter(Q(source_framework=framework) | Q(target_framework=framework))
        data = [_crosswalk_data(c, source.pk if source else None) for c in crosswalks]
        return Response(self.get_serializer(data, many=True).data)

    @extend_schema(
        summary="One crosswalk by slug",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")],
        responses={200: CrosswalkSerializer},
    )
    def retrieve(self, request, *args, **kwargs):
        crosswalk = self.get_queryset().filter(slug=kwargs["slug"]).first()
        if crosswalk is None:
            raise exceptions.NotFound("No crosswalk with this slug, or you may not see both its frameworks.")
        return Response(self.get_serializer(_crosswalk_data(crosswalk, None)).data)


def register():
    """Registers the framework kind and the crosswalk endpoint with the API (``apps.py``)."""
    kinds.register(
        KindAPI(
            kind="framework",
            fields_serializer=FrameworkFieldsSerializer,
            select_related=("issuing_body",),
            load=load_provisions,
            route=("frameworks", FrameworkViewSet),
        )
    )
    kinds.register_route("crosswalks", CrosswalkViewSet, "crosswalk")
