"""The API's parts for findings and lessons: each kind's own fields and typed endpoints."""

from rest_framework import serializers

from portal.api import kinds
from portal.api.filters import RecordListParams
from portal.api.kinds import KindAPI
from portal.api.records import RecordViewSetBase, record_schema
from portal.api.serializers import serializer_for_kind


class FindingFieldsSerializer(serializers.Serializer):
    finding_type = serializers.CharField(help_text="evaluation, vulnerability, incident_analysis or study.")
    finding_type_label = serializers.CharField(source="get_finding_type_display")
    status = serializers.CharField(help_text="preliminary, peer_reviewed, replicated or retracted.")
    status_label = serializers.CharField(source="get_status_display")
    evidence_strength = serializers.CharField(help_text="strong, moderate, limited, anecdotal, or empty.")
    evidence_strength_label = serializers.CharField(source="get_evidence_strength_display")
    severity = serializers.CharField(help_text="informational, low, medium, high, critical, or empty.")
    severity_label = serializers.CharField(source="get_severity_display")
    methodology = serializers.CharField()
    systems_examined = serializers.ListField(
        child=serializers.CharField(), source="system_list", help_text="The AI systems or models studied."
    )
    authors = serializers.ListField(child=serializers.CharField(), source="author_list")
    venue = serializers.CharField()
    doi = serializers.CharField(help_text="Without https://doi.org/; may be empty.")


class LessonFieldsSerializer(serializers.Serializer):
    event_date = serializers.DateField(allow_null=True, help_text="When it happened (the first day).")
    event_end_date = serializers.DateField(allow_null=True)
    context = serializers.CharField()
    what_happened = serializers.CharField()
    impact = serializers.CharField()
    what_worked = serializers.CharField()
    what_did_not_work = serializers.CharField()
    recommendations = serializers.ListField(child=serializers.CharField(), source="recommendation_list")


FindingSerializer = serializer_for_kind("finding")
LessonSerializer = serializer_for_kind("lesson")


@record_schema(FindingSerializer, RecordListParams, "findings")
class FindingViewSet(RecordViewSetBase):
    """Research findings."""

    kind = "finding"
    serializer_class = FindingSerializer


@record_schema(LessonSerializer, RecordListParams, "lessons")
class LessonViewSet(RecordViewSetBase):
    """Operational lessons."""

    kind = "lesson"
    serializer_class = LessonSerializer


def register():
    """Registers findings and lessons with the API (``apps.py``)."""
    kinds.register(
        KindAPI(kind="finding", fields_serializer=FindingFieldsSerializer, route=("findings", FindingViewSet))
    )
    kinds.register(KindAPI(kind="lesson", fields_serializer=LessonFieldsSerializer, route=("lessons", LessonViewSet)))
