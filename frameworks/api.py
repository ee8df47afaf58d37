"""The API's framework parts: the framework's own fields, its provisions, and crosswalks."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field

from django.db.models import Prefetch, Q
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
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

from .models import Crosswalk, CrosswalkMapping, FrameworkPage, FrameworkVersion, Provision, ProvisionChange, Timeline
from .models.rules import VERSION_DATE_FIELDS
from .oscal_api import CrosswalkOscalMixin, FrameworkOscalMixin


class ProvisionChangeRefSerializer(serializers.Serializer):
    version = serializers.CharField(
        help_text="The key of the version that made the change (see the framework's versions)."
    )
    change = serializers.CharField(help_text="introduced, amended, renumbered, repealed or withdrawn.")
    note = serializers.CharField(help_text="What changed, in our words; may be empty.")
    old_code = serializers.CharField(help_text="For a renumbering, the code before; else empty.")
    applies_from = serializers.DateField(allow_null=True, help_text="When the provision applies under that version.")


class ProvisionNodeSerializer(serializers.Serializer):
    """Describes a node of the provision tree (built as plain dicts by ``load_provisions``)."""

    code = serializers.CharField(help_text="The framework's own reference, e.g. GOVERN 1.1.")
    anchor = serializers.CharField(help_text="Fragment id on the framework's web page, e.g. govern-1-1.")
    type = serializers.CharField(help_text="principle, function, category, control…")
    type_label = serializers.CharField()
    level = serializers.IntegerField(help_text="Depth in the outline; 1 is the top.")
    title = serializers.CharField()
    text = serializers.CharField(help_text="What the provision asks for; may be empty.")
    applies_from = serializers.DateField(
        allow_null=True, help_text="When the provision starts to apply, if not when the framework does."
    )
    applies_until = serializers.DateField(allow_null=True, help_text="When it stops applying, if it does.")
    previous_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Codes it had before a renumbering; lookups by them redirect here."
    )
    changes = ProvisionChangeRefSerializer(
        many=True, help_text="What the framework's versions did to it, oldest first."
    )
    changed_at = serializers.DateTimeField(
        allow_null=True, help_text="When its code, title, text or dates last changed on this portal."
    )
    state = serializers.CharField(
        required=False,
        help_text="Only with as_of=: applies, not_yet, pending (introduced by a version not yet in force), "
        "repealed or ended, on that day.",
    )
    children = serializers.SerializerMethodField(help_text="The provisions one level below, as a tree.")

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/ProvisionNode"}})
    def get_children(self, node):
        return node["children"]


class FrameworkVersionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Unique within the framework; provision changes name it.")
    kind = serializers.CharField(help_text="original, edition, consolidated, amendment or corrigendum.")
    title = serializers.CharField()
    identifier = serializers.CharField(help_text="The issuer's reference; may be empty.")
    adopted = serializers.DateField(allow_null=True)
    published = serializers.DateField(allow_null=True)
    in_force = serializers.DateField(allow_null=True, help_text="Null while not in force (adopted, not yet in force).")
    applies_from = serializers.DateField(allow_null=True, help_text="Its general date of application.")
    withdrawn = serializers.DateField(allow_null=True)
    source_url = serializers.CharField(help_text="Where its text can be read; may be empty.")
    note = serializers.CharField(help_text="What it is or changes, in our words; may be empty.")


TYPE_LABELS = dict(Provision.Type.choices)
VERSION_VALUES = ("key", "kind", "title", "identifier", "adopted", "published", "in_force", "applies_from")
VERSION_VALUES += ("withdrawn", "source_url", "note")
CHANGE_VALUES = ("version", "change", "note", "old_code", "applies_from")


_DATETIME = serializers.DateTimeField()


def _iso(day):
    return day.isoformat() if day else None


def provision_node(row, changes):
    return {
        "code": row["code"],
        "anchor": anchor(row["code"]),
        "type": row["provision_type"],
        "type_label": TYPE_LABELS.get(row["provision_type"], row["provision_type"]),
        "level": row["level"],
        "title": row["title"],
        "text": row["text"],
        "applies_from": _iso(row["applies_from"]),
        "applies_until": _iso(row["applies_until"]),
        "previous_codes": [c["old_code"] for c in changes if c["change"] == ProvisionChange.Change.RENUMBERED],
        "changes": [dict(_change_ref(c)) for c in changes],
        "changed_at": _DATETIME.to_representation(row["changed_at"]) if row["changed_at"] else None,
        "children": [],
    }


def _change_ref(change):
    return {name: _iso(change[name]) if name == "applies_from" else change[name] for name in CHANGE_VALUES}


def version_ref(row):
    return {name: _iso(row[name]) if name in VERSION_DATE_FIELDS else row[name] for name in VERSION_VALUES}


def provision_tree(rows, changes=None):
    """The outline as nested dicts (from the levels, as on the web page), from ordered value rows;
    ``changes`` is {anchor: [change rows]}."""
    roots, stack = [], []
    for row in rows:
        node = provision_node(row, (changes or {}).get(anchor(row["code"]), []))
        while stack and stack[-1]["level"] >= node["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(node)
        stack.append(node)
    return roots


PROVISION_VALUES = ("framework_id", "code", "provision_type", "level", "title", "text", "applies_from")
PROVISION_VALUES += ("applies_until", "changed_at")


def provision_rows(frameworks):
    """{framework id: [provision value rows]} in reading order (one query)."""
    by_framework = {}
    rows = (
        Provision.objects.filter(framework_id__in=[f.pk for f in frameworks])
        .order_by("framework_id", "sort_order", "pk")
        .values(*PROVISION_VALUES)
    )
    for row in rows:
        by_framework.setdefault(row["framework_id"], []).append(row)
    return by_framework


def history_rows(frameworks):
    """({framework id: [version rows]}, {framework id: {anchor: [change rows]}}) (two queries)."""
    ids = [f.pk for f in frameworks]
    versions, changes = {}, {}
    for row in (
        FrameworkVersion.objects.filter(framework_id__in=ids)
        .order_by("framework_id", "sort_order", "pk")
        .values("framework_id", *VERSION_VALUES)
    ):
        versions.setdefault(row["framework_id"], []).append(row)
    position = {(f, v["key"]): i for f, rows in versions.items() for i, v in enumerate(rows)}
    rows = ProvisionChange.objects.filter(framework_id__in=ids).order_by("sort_order", "pk")
    rows = sorted(
        rows.values("framework_id", "code", *CHANGE_VALUES),
        key=lambda c: position.get((c["framework_id"], c["version"]), len(position)),
    )
    for row in rows:
        changes.setdefault(row["framework_id"], {}).setdefault(anchor(row["code"]), []).append(row)
    return versions, changes


def load_provisions(frameworks, context):
    """Every framework's provision tree and versions, in three queries."""
    provisions = provision_rows(frameworks)
    versions, changes = history_rows(frameworks)
    for framework in frameworks:
        framework.api_provisions = provision_tree(provisions.get(framework.pk, []), changes.get(framework.pk, {}))
        framework.api_versions = [version_ref(row) for row in versions.get(framework.pk, [])]


class FrameworkFieldsSerializer(serializers.Serializer):
    issuing_body = OrganisationRefSerializer(allow_null=True, help_text="The body that issued the framework.")
    version = serializers.CharField(help_text="As the issuer writes it; may be empty.")
    status = serializers.CharField(help_text="draft, adopted (not yet in force), in_force, superseded or withdrawn.")
    status_label = serializers.CharField(source="get_status_display")
    legal_effect = serializers.CharField(help_text="binding or voluntary.")
    legal_effect_label = serializers.CharField(source="get_legal_effect_display")
    effective_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    versions = Loaded(
        FrameworkVersionSerializer(many=True),
        source="api_versions",
        help_text="The framework's history, oldest first: original text, editions, consolidated texts, amendments.",
    )
    provisions = Loaded(
        ProvisionNodeSerializer(many=True), source="api_provisions", help_text="The provisions as a tree."
    )


FrameworkSerializer = serializer_for_kind("framework")


class ProvisionParams(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, help_text="A day (YYYY-MM-DD): only the provisions that apply on it, each with its state."
    )
    changed_since = serializers.DateTimeField(
        required=False,
        help_text="A time (RFC 3339) or day: only the provisions changed on this portal since then, as a flat list.",
    )

    def to_internal_value(self, data):
        value = data.get("changed_since")
        if value and len(str(value)) == 10:  # a day alone means its start, in UTC
            data = dict(data.items(), changed_since=f"{value}T00:00:00Z")
        return super().to_internal_value(data)


class ChangesParams(serializers.Serializer):
    from_version = serializers.CharField(
        required=False, max_length=60, help_text="A version key; default: the version before `to`."
    )
    to_version = serializers.CharField(required=False, max_length=60, help_text="A version key; default: the latest.")

    def validate(self, attrs):
        timeline = self.context["timeline"]
        keys = [version.key for version in timeline.versions]
        if len(keys) < 2:
            raise serializers.ValidationError("This framework has fewer than two versions, so nothing to compare.")
        errors = {}
        for name in ("from_version", "to_version"):
            if name in attrs and attrs[name] not in keys:
                errors[name] = [f"There is no version '{attrs[name]}'; this framework's versions: {', '.join(keys)}."]
        if errors:
            raise serializers.ValidationError(errors)
        attrs.setdefault("to_version", keys[-1])
        if "from_version" not in attrs:
            attrs["from_version"] = keys[max(keys.index(attrs["to_version"]) - 1, 0)]
        if keys.index(attrs["from_version"]) >= keys.index(attrs["to_version"]):
            raise serializers.ValidationError({"from_version": ["Choose a version older than to_version."]})
        return attrs


class VersionChangeSerializer(ProvisionChangeRefSerializer):
    code = serializers.CharField(help_text="The provision's code now.")
    anchor = serializers.CharField()
    title = serializers.CharField()


class VersionChangesSerializer(serializers.Serializer):
    from_ = serializers.CharField(help_text="The version compared from (its changes not included).")
    to = serializers.CharField(help_text="The version compared to.")
    versions = FrameworkVersionSerializer(many=True, help_text="The versions after `from` up to `to`.")
    changes = VersionChangeSerializer(many=True, help_text="What those versions did to provisions, in version order.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


@record_schema(FrameworkSerializer, RecordListParams, "frameworks")
class FrameworkViewSet(FrameworkOscalMixin, RecordViewSetBase):
    """Governance frameworks, with their provisions."""

    kind = "framework"
    serializer_class = FrameworkSerializer

    @extend_schema(
        summary="A framework's provisions, as a tree",
        description="With `as_of`, only the provisions that apply on that day (and the headings above them), "
        "each with its `state`. With `changed_since`, the provisions whose code, title, text or dates changed "
        "on this portal since then, as a flat list in reading order.",
        parameters=[
            OpenApiParameter("uuid", str, OpenApiParameter.PATH, pattern=r"^[0-9a-fA-F-]{32,36}$"),
            ProvisionParams,
        ],
        responses={200: ProvisionNodeSerializer(many=True)},
    )
    @action(detail=True, pagination_class=None)
    def provisions(self, request, uuid=None):
        params = parse_params(request, ProvisionParams)
        framework = self.get_object().frameworkpage
        load_provisions([framework], {})
        self.last_modified = record_changed_at(framework.translation_key, request.user)
        nodes = framework.api_provisions
        if params.get("as_of"):
            nodes = applying_on(framework, nodes, params["as_of"])
        if params.get("changed_since"):
            since = _DATETIME.to_representation(params["changed_since"])
            nodes = [
                dict(node, children=[]) for node in flatten(nodes) if node["changed_at"] and node["changed_at"] >= since
            ]
        return Response(ProvisionNodeSerializer(nodes, many=True, context={"request": request}).data)

    @extend_schema(
        summary="One provision of a framework, by code",
        description="A code the provision had before a renumbering answers 301 with the current code's address.",
        parameters=[
            OpenApiParameter("uuid", str, OpenApiParameter.PATH, pattern=r"^[0-9a-fA-F-]{32,36}$"),
            OpenApiParameter("code", str, OpenApiParameter.PATH, description="The code as an anchor, e.g. art-5."),
        ],
        responses={
            200: ProvisionNodeSerializer,
            301: OpenApiResponse(description="A former code: the Location header names the current one."),
        },
    )
    @action(detail=True, pagination_class=None, url_path=r"provisions/(?P<code>[^/]{1,100})")
    def provision(self, request, uuid=None, code=None):
        framework = self.get_object().frameworkpage
        load_provisions([framework], {})
        wanted = anchor(code)
        for node in flatten(framework.api_provisions):
            if node["anchor"] == wanted:
                self.last_modified = record_changed_at(framework.translation_key, request.user)
                return Response(ProvisionNodeSerializer(dict(node, children=[]), context={"request": request}).data)
        for node in flatten(framework.api_provisions):
            if wanted in {anchor(old) for old in node["previous_codes"]}:
                url = request.build_absolute_uri(
                    reverse("api:framework-provision", kwargs={"uuid": uuid, "code": node["anchor"]})
                )
                return HttpResponsePermanentRedirect(url)
        raise exceptions.NotFound(f"This framework has no provision '{code}', now or before a renumbering.")

    @extend_schema(
        summary="What changed between two versions of a framework",
        parameters=[
            OpenApiParameter("uuid", str, OpenApiParameter.PATH, pattern=r"^[0-9a-fA-F-]{32,36}$"),
            ChangesParams,
        ],
        responses={200: VersionChangesSerializer},
    )
    @action(detail=True, pagination_class=None)
    def changes(self, request, uuid=None):
        framework = self.get_object().frameworkpage
        timeline = Timeline(framework)
        params = parse_params(request, ChangesParams, timeline=timeline)
        versions, changes = timeline.between(params["from_version"], params["to_version"])
        titles = {p.code: p.title for p in framework.provisions.all()}
        self.last_modified = record_changed_at(framework.translation_key, request.user)
        data = {
            "from": params["from_version"],
            "to": params["to_version"],
            "versions": [version_ref(v.__dict__) for v in versions],
            "changes": [
                dict(_change_ref(c.__dict__), code=c.code, anchor=anchor(c.code), title=titles.get(c.code, ""))
                for c in changes
            ],
        }
        return Response(VersionChangesSerializer(data).data)


def flatten(nodes):
    for node in nodes:
        yield node
        yield from flatten(node["children"])


def applying_on(framework, nodes, day):
    """The tree of ``nodes`` kept to the provisions that apply on ``day`` (and the headings above
    them), each with its ``state`` on that day."""
    timeline = Timeline(framework)
    provisions = {p.code: p for p in framework.provisions.all()}

    def prune(level):
        kept = []
        for node in level:
            state = timeline.standing(provisions[node["code"]], day).state
            children = prune(node["children"])
            if state == "applies" or children:
                kept.append(dict(node, state=state, children=children))
        return kept

    return prune(nodes)


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
    relation = serializers.CharField(
        help_text="How the source provision relates to the target one, in the set-theory vocabulary of NIST IR 8477: "
        "equal, subset_of, superset_of, intersects_with or not_related (read from this answer's source side: "
        "a reversed crosswalk reads superset_of where it was published as subset_of)."
    )
    relation_label = serializers.CharField()
    rationale = serializers.CharField(help_text="What the relation was judged on: syntactic, semantic or functional.")
    strength = serializers.IntegerField(allow_null=True, help_text="1 to 10 where the source gives one, else null.")
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
                "relation": m.relation_from(flip),
                "relation_label": CrosswalkMapping.relation_label(m.relation_from(flip)),
                "rationale": m.rationale,
                "strength": m.strength,
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


class CrosswalkViewSet(CrosswalkOscalMixin, ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
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
