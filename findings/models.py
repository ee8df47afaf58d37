"""Research findings and operational lessons."""

from django.core.exceptions import ValidationError
from django.db import models

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index

from portal.models import RecordIndexPage, RecordPage
from portal.models.identifiers import validate_doi


class FindingPage(RecordPage):
    """A research result: an evaluation, a vulnerability, an incident analysis or a study."""

    class FindingType(models.TextChoices):
        EVALUATION = "evaluation", "Evaluation result"
        VULNERABILITY = "vulnerability", "Vulnerability"
        INCIDENT_ANALYSIS = "incident_analysis", "Incident analysis"
        STUDY = "study", "Study"

    class EvidenceStrength(models.TextChoices):
        STRONG = "strong", "Strong (large, controlled or replicated)"
        MODERATE = "moderate", "Moderate (sound method, limited scope)"
        LIMITED = "limited", "Limited (small sample or early result)"
        ANECDOTAL = "anecdotal", "Anecdotal (case reports)"

    class Severity(models.TextChoices):
        INFORMATIONAL = "informational", "Informational"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        PRELIMINARY = "preliminary", "Preliminary (preprint or early report)"
        PEER_REVIEWED = "peer_reviewed", "Peer-reviewed"
        REPLICATED = "replicated", "Replicated"
        RETRACTED = "retracted", "Retracted"

    finding_type = models.CharField(
        max_length=20,
        choices=FindingType.choices,
        default=FindingType.STUDY,
        help_text="What kind of research produced the finding.",
    )
    methodology = models.TextField(
        blank=True, help_text="How the result was obtained: the method, data, sample size and setting."
    )
    evidence_strength = models.CharField(
        max_length=20,
        choices=EvidenceStrength.choices,
        blank=True,
        help_text="How much weight the result can bear, in your judgement.",
    )
    systems_examined = models.TextField(
        blank=True,
        help_text="The AI systems or models studied, one per line, with versions where known (e.g. GPT-4 (2023-03)).",
    )
    severity = models.CharField(
        max_length=20,
        choices=Severity.choices,
        blank=True,
        help_text="For vulnerabilities and incidents: how serious the issue is. Leave empty otherwise.",
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.PRELIMINARY,
        help_text="How far the result has been checked by others.",
    )
    authors = models.TextField(
        blank=True, help_text="The authors, one per line, as the source names them (e.g. Zheng-Xin Yong)."
    )
    venue = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where it appeared: journal, conference, preprint server or publisher.",
    )
    doi = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_doi],
        verbose_name="DOI",
        help_text="e.g. 10.48550/arXiv.2310.02446, without 'https://doi.org/'.",
    )

    record_kind = "finding"
    kind_label = "Finding"
    alternates = (*RecordPage.alternates, *RecordPage.CITATIONS)
    parent_page_types = ["findings.FindingIndexPage"]
    subpage_types = []

    narrative_fields = ("methodology", "systems_examined")
    search_fields = RecordPage.search_fields + [
        index.SearchField("authors"),
        index.FilterField("finding_type"),
        index.FilterField("severity"),
        index.FilterField("status"),
    ]

    details_panels = [
        FieldPanel("finding_type"),
        FieldPanel("status"),
        FieldPanel("evidence_strength"),
        FieldPanel("severity"),
        FieldPanel("methodology"),
        FieldPanel("systems_examined"),
        MultiFieldPanel(
            [FieldPanel("authors"), FieldPanel("venue"), FieldPanel("doi")],
            heading="Citation",
            help_text="How readers cite the source. The web address goes in the Sources tab.",
        ),
    ]
    edit_handler = RecordPage.edit_tabs(details_panels, details_heading="Finding")

    class Meta:
        verbose_name = "finding"

    @property
    def author_list(self):
        return [line.strip() for line in self.authors.splitlines() if line.strip()]

    @property
    def system_list(self):
        return [line.strip() for line in self.systems_examined.splitlines() if line.strip()]


class LessonPage(RecordPage):
    """What an organisation learned from deploying, operating or failing with an AI system."""

    context = models.TextField(help_text="The setting: who ran which system, for what, and under which rules.")
    what_happened = models.TextField(help_text="The events, in order, as far as the public record shows.")
    impact = models.TextField(blank=True, help_text="Who or what was affected, and how much.")
    what_worked = models.TextField(blank=True, help_text="Responses or safeguards that helped.")
    what_did_not_work = models.TextField(blank=True, help_text="Safeguards that failed or were missing.")
    recommendations = models.TextField(
        blank=True, help_text="What others should do differently, one recommendation per line."
    )
    event_date = models.DateField(
        null=True, blank=True, help_text="When it happened (the first day, if it lasted longer)."
    )
    event_end_date = models.DateField(
        null=True, blank=True, help_text="When it ended, if it lasted more than a day. Leave empty otherwise."
    )

    record_kind = "lesson"
    kind_label = "Lesson"
    parent_page_types = ["findings.LessonIndexPage"]
    subpage_types = []

    narrative_fields = ("context", "what_happened", "impact", "what_worked", "what_did_not_work", "recommendations")
    search_fields = RecordPage.search_fields + [
        index.FilterField("event_date"),
    ]

    details_panels = [
        FieldPanel("event_date"),
        FieldPanel("event_end_date"),
        FieldPanel("context"),
        FieldPanel("what_happened"),
        FieldPanel("impact"),
        FieldPanel("what_worked"),
        FieldPanel("what_did_not_work"),
        FieldPanel("recommendations"),
    ]
    edit_handler = RecordPage.edit_tabs(details_panels, details_heading="Lesson")

    class Meta:
        verbose_name = "lesson"

    def clean(self):
        super().clean()
        if self.event_date and self.event_end_date and self.event_end_date < self.event_date:
            raise ValidationError({"event_end_date": "The end date is before the date it happened."})

    @property
    def recommendation_list(self):
        return [line.strip() for line in self.recommendations.splitlines() if line.strip()]


class FindingIndexPage(RecordIndexPage):
    listed_kind = "finding"
    subpage_types = ["findings.FindingPage"]

    class Meta:
        verbose_name = "finding index"


class LessonIndexPage(RecordIndexPage):
    listed_kind = "lesson"
    subpage_types = ["findings.LessonPage"]

    class Meta:
        verbose_name = "lesson index"
