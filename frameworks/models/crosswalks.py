"""Crosswalks: how the provisions of one framework map onto another's."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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

        Returns one row per provision of ``left`` with the provisions of ``right`` it relates to
        (from a crosswalk in either direction; each relation read from ``left``'s side, so a
        crosswalk published the other way round reads "superset of" where it said "subset of"),
        the provisions of ``right`` that nothing relates to, the crosswalks used, and coverage
        figures for both sides: provisions related at all (any relation but "not related"), and
        provisions wholly covered by the other side (equal to, or a subset of, one of its
        provisions).
        """
        mappings = (
            CrosswalkMapping.objects.filter(
                Q(crosswalk__source_framework=left, crosswalk__target_framework=right)
                | Q(crosswalk__source_framework=right, crosswalk__target_framework=left)
            )
            .select_related("source_provision", "target_provision", "crosswalk")
            .order_by("sort_order", "pk")
        )
        by_left, related_right, covered_right, sources = {}, set(), set(), {}
        for mapping in mappings:
            ours, theirs = mapping.source_provision, mapping.target_provision
            flipped = ours.framework_id != left.pk
            if flipped:
                ours, theirs = theirs, ours
            relation = mapping.relation_from(flipped)
            by_left.setdefault(ours.pk, []).append(
                {
                    "provision": theirs,
                    "mapping": mapping,
                    "relation": relation,
                    "relation_label": CrosswalkMapping.relation_label(relation),
                }
            )
            if relation != CrosswalkMapping.Relation.NOT_RELATED:
                related_right.add(theirs.pk)
            if CrosswalkMapping.CONVERSE.get(relation, relation) in CrosswalkMapping.COVERING:
                covered_right.add(theirs.pk)
            sources[mapping.crosswalk.pk] = mapping.crosswalk
        left_provisions = list(left.provisions.all())
        rows = [{"provision": p, "matches": by_left.get(p.pk, [])} for p in left_provisions]
        right_provisions = list(right.provisions.all())
        related_left = sum(1 for row in rows if any(m["relation"] != "not_related" for m in row["matches"]))
        covered_left = sum(1 for row in rows if any(m["relation"] in CrosswalkMapping.COVERING for m in row["matches"]))
        return {
            "rows": rows,
            "unmapped_right": [p for p in right_provisions if p.pk not in related_right],
            "crosswalks": list(sources.values()),
            "left": _coverage(related_left, covered_left, len(left_provisions)),
            "right": _coverage(len(related_right), len(covered_right), len(right_provisions)),
        }


def _coverage(related, covered, total):
    """Coverage figures of one side: related at all, wholly covered, out of how many (per cent)."""
    return {
        "related": related,
        "covered": covered,
        "total": total,
        "related_percent": round(100 * related / total) if total else 0,
        "covered_percent": round(100 * covered / total) if total else 0,
    }


#: Old relation -> (relation, rationale): the rule that re-expressed mappings made before the
#: set-theory vocabulary (migration 0004, ``portal-records/1`` files; docs/data-format.md).
OLD_RELATIONS = {
    "equivalent": ("equal", "semantic"),
    "partial": ("intersects_with", "semantic"),
    "related": ("intersects_with", "functional"),
}


class CrosswalkMapping(Orderable):
    """One relationship between a provision of the source framework and one of the target, in the
    set-theory vocabulary of NIST IR 8477 (also that of NIST's OLIR programme and OSCAL mappings),
    read as “source <relation> target”."""

    class Relation(models.TextChoices):
        EQUAL = "equal", "Equal to"
        SUBSET_OF = "subset_of", "Subset of"
        SUPERSET_OF = "superset_of", "Superset of"
        INTERSECTS_WITH = "intersects_with", "Intersects with"
        NOT_RELATED = "not_related", "Not related to"

    class Rationale(models.TextChoices):
        SYNTACTIC = "syntactic", "Syntactic (the wording)"
        SEMANTIC = "semantic", "Semantic (the meaning)"
        FUNCTIONAL = "functional", "Functional (the outcome)"

    #: The relation read the other way round (target <relation> source).
    CONVERSE = {"subset_of": "superset_of", "superset_of": "subset_of"}
    #: Relations under which the source provision is wholly covered by the target.
    COVERING = {"equal", "subset_of"}

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
        default=Relation.INTERSECTS_WITH,
        help_text="Read as “source … target”. Equal: the same content. Subset of: the source lies wholly within "
        "the target. Superset of: the source contains all of the target. Intersects with: each has content the "
        "other lacks. Not related to: examined, and no overlap.",
    )
    rationale = models.CharField(
        max_length=20,
        choices=Rationale.choices,
        default=Rationale.SEMANTIC,
        help_text="What the relation was judged on: the wording, the meaning, or the outcome the two achieve.",
    )
    strength = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Optional, 1 to 10: how strongly the two are related, if the source says.",
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
        FieldPanel("rationale"),
        FieldPanel("strength"),
        FieldPanel("note"),
        FieldPanel("source"),
    ]

    def __str__(self):
        return f"{self.source_provision.code} {self.get_relation_display().lower()} {self.target_provision.code}"

    def relation_from(self, reversed_):
        """This mapping's relation read from the target's side if ``reversed_``."""
        return self.CONVERSE.get(self.relation, self.relation) if reversed_ else self.relation

    @classmethod
    def relation_label(cls, relation):
        return cls.Relation(relation).label
