"""Governance frameworks and their provisions."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import models
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable
from wagtail.search import index

from portal.models import CrossLink, Organisation, RecordIndexPage, RecordPage
from portal.models.forms import RecordPageForm, child_forms
from portal.text import anchor as provision_anchor


class FrameworkPageForm(RecordPageForm):
    """Adds checks across the provision list: unique codes and a well-formed outline."""

    def clean(self):
        cleaned_data = super().clean()
        anchors, previous_level = {}, 0
        for form in child_forms(self, "provisions"):
            code, level = form.cleaned_data.get("code"), form.cleaned_data.get("level")
            if code:
                anchor = provision_anchor(code)
                if anchor in anchors:
                    form.add_error(
                        "code",
                        f"Another provision of this framework already has the code “{anchors[anchor]}”. "
                        "Each code must be unique within its framework.",
                    )
                anchors.setdefault(anchor, code)
            if level:
                if level > previous_level + 1:
                    form.add_error(
                        "level",
                        f"Level {level} cannot follow level {previous_level}: a provision can be at most one "
                        "level deeper than the one above it.",
                    )
                previous_level = level
        return cleaned_data


class FrameworkPage(RoutablePageMixin, RecordPage):
    """A governance framework, standard, law or code of practice, with its provisions."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (published for consultation)"
        IN_FORCE = "in_force", "In force"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class LegalEffect(models.TextChoices):
        BINDING = "binding", "Binding (law or regulation)"
        VOLUNTARY = "voluntary", "Voluntary (guidance, standard, code)"

    issuing_body = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="issued_frameworks",
        help_text="The body that issued the framework, e.g. NIST or the European Union.",
    )
    version = models.CharField(max_length=50, blank=True, help_text="As the issuer writes it, e.g. 1.0 or 2nd edition.")
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.IN_FORCE,
        help_text="Whether the framework applies today.",
    )
    legal_effect = models.CharField(
        max_length=20,
        choices=LegalEffect.choices,
        default=LegalEffect.VOLUNTARY,
        help_text="Binding frameworks are law; voluntary ones are guidance organisations choose to follow.",
    )
    effective_date = models.DateField(
        null=True, blank=True, help_text="When the framework took or takes effect. Leave empty if not stated."
    )
    end_date = models.DateField(
        null=True,
        blank=True,
        help_text="When it stopped applying (superseded or withdrawn). Leave empty while it applies.",
    )

    record_kind = "framework"
    kind_label = "Framework"
    parent_page_types = ["frameworks.FrameworkIndexPage"]
    subpage_types = []
    base_form_class = FrameworkPageForm

    search_fields = RecordPage.search_fields + [
        index.FilterField("status"),
        index.FilterField("legal_effect"),
    ]  # provisions are searched on their own (Provision.search_fields, frameworks/search.py)

    details_panels = [
        FieldPanel("issuing_body"),
        FieldPanel("version"),
        FieldPanel("status"),
        FieldPanel("legal_effect"),
        FieldPanel("effective_date"),
        FieldPanel("end_date"),
        InlinePanel(
            "provisions",
            heading="Provisions",
            label="Provision",
            help_text="The framework's parts in reading order. Level 1 is the top (e.g. a function or "
            "chapter); level 2 sits under the nearest level 1 above it, and so on.",
        ),
    ]
    edit_handler = RecordPage.edit_tabs(details_panels, details_heading="Framework")

    class Meta:
        verbose_name = "framework"

    def clean(self):
        super().clean()
        if self.effective_date and self.end_date and self.end_date < self.effective_date:
            raise ValidationError({"end_date": "The end date is before the effective date."})

    def provision_tree(self):
        """The provisions as nested nodes ``{"provision", "children"}``, from their outline levels."""
        roots, stack = [], []
        for provision in self.provisions.all():
            node = {"provision": provision, "children": []}
            while stack and stack[-1]["provision"].level >= provision.level:
                stack.pop()
            (stack[-1]["children"] if stack else roots).append(node)
            stack.append(node)
        return roots

    def route(self, request, path_components):
        # RoutablePageMixin.route comes first in the method order and does not call on.
        self.check_visible(request)
        return super().route(request, path_components)

    @path("evidence/", name="evidence")
    def evidence(self, request):
        """Each provision with how many findings and lessons bear on it, so gaps stand out."""
        counts = evidence_counts(self, request.user)
        rows = [
            {"provision": p, "findings": counts.get((p.pk, "finding"), 0), "lessons": counts.get((p.pk, "lesson"), 0)}
            for p in self.provisions.all()
        ]
        most = max([row["findings"] for row in rows] + [row["lessons"] for row in rows] + [1])
        for row in rows:
            row["finding_width"] = round(100 * row["findings"] / most)
            row["lesson_width"] = round(100 * row["lessons"] / most)
        context = self.get_context(request)
        context.update(
            rows=rows,
            gaps=sum(1 for row in rows if not row["findings"] and not row["lessons"]),
            covered=sum(1 for row in rows if row["findings"] or row["lessons"]),
        )
        return TemplateResponse(request, "frameworks/evidence_map.html", context)

    @path("compare/", name="compare_picker")
    def compare_picker(self, request):
        """The 'compare with' form on a framework page lands here: go to the chosen comparison."""
        other = request.GET.get("with", "")
        if not slug_re.match(other):  # also keeps NUL bytes away from PostgreSQL
            raise Http404
        if not FrameworkPage.objects.visible_to(request.user).filter(slug=other).exclude(pk=self.pk).exists():
            raise Http404
        return redirect(self.url + self.reverse_subpage("compare", args=(other,)))

    @path("compare/<slug:other_slug>/", name="compare")
    def compare(self, request, other_slug):
        """This framework beside another, with the crosswalk mappings between them."""
        Crosswalk = apps.get_model("frameworks", "Crosswalk")  # defined beside, importing this module
        other = get_object_or_404(FrameworkPage.objects.visible_to(request.user), slug=other_slug)
        if other.pk == self.pk:
            raise Http404
        context = self.get_context(request)
        context.update(other=other, comparison=Crosswalk.compare(self, other))
        return TemplateResponse(request, "frameworks/compare.html", context)


def evidence_counts(framework, user):
    """{(provision id, kind): number of visible records linking to that provision} (one query)."""
    kinds = RecordPage.kind_of_content_type()
    rows = (
        CrossLink.objects.visible_to(user)
        .filter(target=framework, target_provision__isnull=False)
        .order_by()
        .values_list("target_provision", "source__content_type")
        .annotate(n=Count("source", distinct=True))
    )
    return {(provision, kinds.get(content_type)): n for provision, content_type, n in rows}


class Provision(index.Indexed, Orderable):
    """One part of a framework: a function, category, control, article, clause, principle…

    Searched as documents of their own, each leading to its framework (``frameworks/search.py``),
    so that a match in one provision's title counts as a match in a short field."""

    class Type(models.TextChoices):
        PRINCIPLE = "principle", "Principle"
        FUNCTION = "function", "Function"
        CATEGORY = "category", "Category"
        SUBCATEGORY = "subcategory", "Subcategory"
        CONTROL = "control", "Control"
        CHAPTER = "chapter", "Chapter"
        SECTION = "section", "Section"
        ARTICLE = "article", "Article"
        CLAUSE = "clause", "Clause"
        ANNEX = "annex", "Annex"
        DIMENSION = "dimension", "Dimension"
        RISK = "risk", "Risk"
        TACTIC = "tactic", "Tactic"
        OTHER = "other", "Other"

    framework = ParentalKey(FrameworkPage, on_delete=models.CASCADE, related_name="provisions")
    level = models.PositiveSmallIntegerField(
        default=1,
        choices=[(n, f"Level {n}") for n in range(1, 7)],
        help_text="Depth in the outline: 1 for the top, 2 for a part of the level 1 above it, and so on.",
    )
    provision_type = models.CharField(
        max_length=20,
        choices=Type.choices,
        default=Type.OTHER,
        verbose_name="type",
        help_text="What the framework calls this part.",
    )
    code = models.CharField(
        max_length=60,
        help_text="The framework's own reference, e.g. GOVERN 1.1, Art. 5, A.2.2. Unique within the framework.",
    )
    title = models.CharField(max_length=500, help_text="The provision's heading or a short name for it.")
    text = models.TextField(
        blank=True,
        help_text="What the provision asks for, summarised in your own words (or quoted, with the source).",
    )

    search_fields = [
        index.SearchField("title", boost=2),
        index.SearchField("code"),
        index.SearchField("text"),
        index.FilterField("framework"),
    ]

    panels = [
        FieldPanel("level"),
        FieldPanel("provision_type"),
        FieldPanel("code"),
        FieldPanel("title"),
        FieldPanel("text"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "provision"

    def __str__(self):
        return f"{self.code} {self.title} ({self.framework.title})"

    @property
    def anchor(self):
        return provision_anchor(self.code)


class FrameworkIndexPage(RecordIndexPage):
    listed_kind = "framework"
    subpage_types = ["frameworks.FrameworkPage"]

    class Meta:
        verbose_name = "framework index"
