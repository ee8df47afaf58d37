"""Crosswalks: how the provisions of one framework map onto another's."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, PageChooserPanel
from wagtail.models import Orderable
from wagtail.search import index

from portal.models.forms import child_forms

from .pages import FrameworkPage


class CrosswalkForm(WagtailAdminModelForm):
    """Checks each mapping against the two frameworks chosen above it."""

    def clean(self):
        cleaned_data = super().clean()
        source, target = cleaned_data.get("source_framework"), cleaned_data.get("target_framework")
        if source and target and source.pk == target.pk:
            self.add_error("target_framework", "A crosswalk maps two different frameworks. Choose another one.")
            return cleaned_data
        seen = set()
        for form in child_forms(self, "mappings"):
            left, right = form.cleaned_data.get("source_provision"), form.cleaned_data.get("target_provision")
            if left and right and left.framework_id == right.framework_id:
                form.add_error("target_provision", "Both provisions belong to the same framework.")
                continue
            if left and source and left.framework_id != source.pk:
                form.add_error("source_provision", f"Choose a provision of {source.title}.")
            if right and target and right.framework_id != target.pk:
                form.add_error("target_provision", f"Choose a provision of {target.title}.")
            if left and right:
                if (left.pk, right.pk) in seen:
                    form.add_error("target_provision", "These two provisions are already mapped above.")
                seen.add((left.pk, right.pk))
        return cleaned_data


class Crosswalk(index.Indexed, ClusterableModel):
    """A published or editorial mapping from one framework's provisions to another's."""

    title = models.CharField(max_length=255, help_text="e.g. “AI Verify to NIST AI RMF”.")
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Short identifier used by imports and exports, e.g. 'ai-verify-to-nist-ai-rmf'.",
    )
    source_framework = models.ForeignKey(
        FrameworkPage,
        on_delete=models.CASCADE,
        related_name="crosswalks_from",
        help_text="The framework whose provisions are listed on the left.",
    )
    target_framework = models.ForeignKey(
        FrameworkPage,
        on_delete=models.CASCADE,
        related_name="crosswalks_to",
        help_text="The framework whose provisions they map to.",
    )
    description = models.TextField(blank=True, help_text="What the crosswalk covers and how it was made.")
    source_title = models.CharField(
        max_length=300, blank=True, help_text="The published mapping this crosswalk follows, if any."
    )
    source_url = models.URLField(max_length=500, blank=True, help_text="Where that published mapping can be read.")

    panels = [
        FieldPanel("title"),
        FieldPanel("slug"),
        PageChooserPanel("source_framework", page_type="frameworks.FrameworkPage"),
        PageChooserPanel("target_framework", page_type="frameworks.FrameworkPage"),
        FieldPanel("description"),
        FieldPanel("source_title"),
        FieldPanel("source_url"),
        InlinePanel("mappings", heading="Mappings", label="Mapping"),
    ]
    base_form_class = CrosswalkForm
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_framework", "target_framework"],
                name="one_crosswalk_per_framework_pair",
                violation_error_message="There is already a crosswalk from this framework to that one; "
                "add the mappings to it instead.",
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.source_framework_id and self.source_framework_id == self.target_framework_id:
            raise ValidationError({"target_framework": "A crosswalk maps two different frameworks."})

    @classmethod
    def partners_of(cls, framework, user):
        """Frameworks that ``user`` may see and that share a crosswalk with ``framework``."""
        linked = cls.objects.filter(Q(source_framework=framework) | Q(target_framework=framework))
        ids = {pk for pair in linked.values_list("source_framework", "target_framework") for pk in pair}
        ids.discard(framework.pk)
        return FrameworkPage.objects.visible_to(user).filter(pk__in=ids).order_by("title")

    @classmethod
    def compare(cls, left, right):
        """Rows for a side-by-side view of two frameworks.

        Returns one row per provision of ``left`` with the provisions of ``right`` it maps to (from
        a crosswalk in either direction), the provisions of ``right`` that nothing maps to, the
        crosswalks used, and coverage figures for both sides (mapped, total, per cent).
        """
        mappings = (
            CrosswalkMapping.objects.filter(
                Q(crosswalk__source_framework=left, crosswalk__target_framework=right)
                | Q(crosswalk__source_framework=right, crosswalk__target_framework=left)
            )
            .select_related("source_provision", "target_provision", "crosswalk")
            .order_by("sort_order", "pk")
        )
        by_left, mapped_right, sources = {}, set(), {}
        for mapping in mappings:
            ours, theirs = mapping.source_provision, mapping.target_provision
            if ours.framework_id != left.pk:
                ours, theirs = theirs, ours
            by_left.setdefault(ours.pk, []).append({"provision": theirs, "mapping": mapping})
            mapped_right.add(theirs.pk)
            sources[mapping.crosswalk.pk] = mapping.crosswalk
        left_provisions = list(left.provisions.all())
        rows = [{"provision": p, "matches": by_left.get(p.pk, [])} for p in left_provisions]
        right_provisions = list(right.provisions.all())
        mapped_left = sum(1 for row in rows if row["matches"])
        return {
            "rows": rows,
            "unmapped_right": [p for p in right_provisions if p.pk not in mapped_right],
            "crosswalks": list(sources.values()),
            "mapped_left": mapped_left,
            "total_left": len(left_provisions),
            "coverage_left": round(100 * mapped_left / len(left_provisions)) if left_provisions else 0,
            "mapped_right": len(mapped_right),
            "total_right": len(right_provisions),
            "coverage_right": round(100 * len(mapped_right) / len(right_provisions)) if right_provisions else 0,
        }


class CrosswalkMapping(Orderable):
    class Relation(models.TextChoices):
        EQUIVALENT = "equivalent", "Equivalent"
        PARTIAL = "partial", "Partial overlap"
        RELATED = "related", "Related"

    crosswalk = ParentalKey(Crosswalk, on_delete=models.CASCADE, related_name="mappings")
    source_provision = models.ForeignKey(
        "frameworks.Provision",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="A provision of the first framework.",
    )
    target_provision = models.ForeignKey(
        "frameworks.Provision",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="A provision of the second framework.",
    )
    relation = models.CharField(
        max_length=20,
        choices=Relation.choices,
        default=Relation.RELATED,
        help_text="Equivalent: they ask for the same thing. Partial: they overlap. Related: same subject.",
    )
    note = models.CharField(max_length=500, blank=True, help_text="Optional: what differs between the two.")
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where this mapping comes from, if not the crosswalk's own source (title, page or URL).",
    )

    panels = [
        FieldPanel("source_provision"),
        FieldPanel("target_provision"),
        FieldPanel("relation"),
        FieldPanel("note"),
        FieldPanel("source"),
    ]

    def __str__(self):
        return f"{self.source_provision.code} → {self.target_provision.code}"
