"""Governance frameworks and their provisions."""

import datetime

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import models
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable
from wagtail.search import index

from portal.models import CrossLink, Organisation, RecordIndexPage, RecordPage
from portal.models.forms import RecordPageForm, child_forms
from portal.text import anchor as provision_anchor

from .history import Timeline
from .rules import history_problems


class FrameworkPageForm(RecordPageForm):
    """Adds checks across the provision list (unique codes, a well-formed outline) and the
    framework's history (``rules.history_problems``)."""

    HISTORY_FIELDS = {
        "versions": ("key", "kind", "adopted", "published", "in_force", "applies_from", "withdrawn"),
        "provisions": ("code", "applies_from", "applies_until"),
        "provision_changes": ("version", "code", "change", "old_code", "applies_from"),
    }

    def clean(self):
        cleaned_data = super().clean()
        self.clean_outline()
        self.clean_history()
        return cleaned_data

    def clean_history(self):
        forms = {name: list(child_forms(self, name)) for name in self.HISTORY_FIELDS}
        values = {
            name: [{key: form.cleaned_data.get(key) for key in keys} for form in forms[name]]
            for name, keys in self.HISTORY_FIELDS.items()
        }
        sections = {"versions": "versions", "provisions": "provisions", "changes": "provision_changes"}
        for section, position, field, message in history_problems(
            values["versions"], values["provisions"], values["provision_changes"]
        ):
            form = forms[sections[section]][position]
            if field not in form.errors:
                form.add_error(field, message[0].upper() + message[1:] + ".")

    def clean_outline(self):
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


class FrameworkPage(RoutablePageMixin, RecordPage):
    """A governance framework, standard, law or code of practice, with its provisions."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (published for consultation)"
        ADOPTED = "adopted", "Adopted, not yet in force"
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
    alternates = (
        *RecordPage.alternates,
        ("application/oscal+json", "OSCAL catalog", "api:framework-oscal", {}),
        *RecordPage.CITATIONS,
    )
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
            "versions",
            heading="Versions and amendments",
            label="Version",
            help_text="The framework's history, oldest first: the original text, later editions or consolidated "
            "texts, and instruments that amend it. A version without an entry-into-force date reads "
            "“adopted, not yet in force”.",
        ),
        InlinePanel(
            "provisions",
            heading="Provisions",
            label="Provision",
            help_text="The framework's parts in reading order. Level 1 is the top (e.g. a function or "
            "chapter); level 2 sits under the nearest level 1 above it, and so on.",
        ),
        InlinePanel(
            "provision_changes",
            heading="Changes to provisions",
            label="Change",
            help_text="What each version did to a provision: introduced, amended, renumbered, repealed or "
            "withdrew it. Name the version by its key and the provision by its current code.",
        ),
    ]
    edit_handler = RecordPage.edit_tabs(details_panels, details_heading="Framework")

    class Meta:
        verbose_name = "framework"

    def clean(self):
        super().clean()
        if self.effective_date and self.end_date and self.end_date < self.effective_date:
            raise ValidationError({"end_date": "The end date is before the effective date."})

    def newest_version_key(self):
        newest = self.versions.order_by("-sort_order", "-pk").first()
        return newest.key if newest else ""

    def timeline(self):
        """The framework's versions and provision changes (``history.Timeline``)."""
        return Timeline(self)

    def provision_tree(self, day=None, only_applying=False):
        """The provisions as nested nodes ``{"provision", "standing", "children"}``, from their
        outline levels; ``standing`` is where each stands on ``day`` (today if None). With
        ``only_applying``, the provisions that apply on that day and the headings above them."""
        timeline = self.timeline()
        roots, stack = [], []
        for provision in self.provisions.all():
            node = {"provision": provision, "standing": timeline.standing(provision, day), "children": []}
            while stack and stack[-1]["provision"].level >= provision.level:
                stack.pop()
            (stack[-1]["children"] if stack else roots).append(node)
            stack.append(node)
        return _applying(roots) if only_applying else roots

    def route(self, request, path_components):
        # RoutablePageMixin.route comes first in the method order and does not call on.
        self.check_visible(request)
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        try:
            context["as_of"] = as_of_day(request)
        except BadDay as error:
            context["as_of"], context["as_of_error"] = None, str(error)
        return context

    @path("")
    def index_route(self, request, *args, **kwargs):
        """The framework page; ``?as_of=YYYY-MM-DD`` shows the provisions that apply on that day."""
        response = super().index_route(request, *args, **kwargs)
        if "as_of_error" in (response.context_data or {}):
            response.status_code = 400
        return response

    @path("evidence/", name="evidence")
    def evidence(self, request):
        """Each provision with how many findings and lessons bear on it, so gaps stand out; with
        ``?as_of=``, the provisions that apply on that day."""
        counts = evidence_counts(self, request.user)
        context = self.get_context(request)
        provisions = list(self.provisions.all())
        if context["as_of"]:
            timeline = self.timeline()
            provisions = [p for p in provisions if timeline.standing(p, context["as_of"]).applies]
        rows = [
            {"provision": p, "findings": counts.get((p.pk, "finding"), 0), "lessons": counts.get((p.pk, "lesson"), 0)}
            for p in provisions
        ]
        most = max([row["findings"] for row in rows] + [row["lessons"] for row in rows] + [1])
        for row in rows:
            row["finding_width"] = round(100 * row["findings"] / most)
            row["lesson_width"] = round(100 * row["lessons"] / most)
        context.update(
            rows=rows,
            gaps=sum(1 for row in rows if not row["findings"] and not row["lessons"]),
            covered=sum(1 for row in rows if row["findings"] or row["lessons"]),
        )
        response = TemplateResponse(request, "frameworks/evidence_map.html", context)
        response.status_code = 400 if "as_of_error" in context else 200
        return response

    @path("changes/", name="changes")
    def changes(self, request):
        """What changed between two versions (``?from=KEY&to=KEY``; by default the latest version
        and the one before it)."""
        timeline = self.timeline()
        keys = [version.key for version in timeline.versions]
        context = self.get_context(request)
        context.update(versions=timeline.versions, timeline=timeline)
        if len(keys) < 2:
            context["error"] = "This framework has only one version recorded, so there is nothing to compare yet."
            return TemplateResponse(request, "frameworks/changes.html", context)
        end = request.GET.get("to") or keys[-1]
        start = request.GET.get("from") or (keys[keys.index(end) - 1] if end in keys and keys.index(end) else "")
        error = None
        if end not in keys or start not in keys:
            error = "Choose two of this framework's versions."
        elif keys.index(start) >= keys.index(end):
            error = "Choose a “from” version older than the “to” version."
        status = 400 if error else 200
        if error:
            start, end = keys[-2], keys[-1]
        versions, changes = timeline.between(start, end)
        provisions = {provision_anchor(p.code): p for p in self.provisions.all()}
        context.update(
            start=start,
            end=end,
            error=error,
            changed_versions=versions,
            changes=[{"change": c, "provision": provisions.get(provision_anchor(c.code))} for c in changes],
        )
        return TemplateResponse(request, "frameworks/changes.html", context, status=status)

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


def _applying(nodes):
    kept = []
    for node in nodes:
        children = _applying(node["children"])
        if node["standing"].applies or children:
            kept.append(dict(node, children=children))
    return kept


def as_of_day(request):
    """The day of ``?as_of=`` (None if absent), or raise ``BadDay`` with a message for people."""
    value = request.GET.get("as_of", "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise BadDay(f"“{value[:40]}” is not a date: write it as YYYY-MM-DD, e.g. 2026-08-02.") from None


class BadDay(ValueError):
    pass


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
        TECHNIQUE = "technique", "Technique"
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
    applies_from = models.DateField(
        null=True,
        blank=True,
        help_text="When this provision starts to apply, if not when the framework does.",
    )
    applies_until = models.DateField(null=True, blank=True, help_text="When it stops applying, if it does.")
    changed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its code, title, text or dates last changed here."
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
        FieldRowPanel([FieldPanel("applies_from"), FieldPanel("applies_until")]),
    ]

    #: What counts as a change of the provision (``changed_at``), besides being new.
    TRACKED = ("level", "provision_type", "code", "title", "text", "applies_from", "applies_until")

    class Meta(Orderable.Meta):
        verbose_name = "provision"

    def save(self, *args, **kwargs):
        stored = None
        if self.pk:
            stored = Provision.objects.filter(pk=self.pk).values(*self.TRACKED).first()
        if stored is None or any(stored[name] != getattr(self, name) for name in self.TRACKED):
            self.changed_at = timezone.now()
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.code} {self.title} ({self.framework.title})"

    @property
    def anchor(self):
        return provision_anchor(self.code)

    def standing(self, day=None):
        """Where this provision stands on ``day`` (today if None): ``history.Standing``."""
        return self.framework.timeline().standing(self, day)

    @property
    def standing_note(self):
        """“Repealed by …” or “Amended by …” for a link to this provision, or ''."""
        return self.standing().note


class FrameworkIndexPage(RecordIndexPage):
    listed_kind = "framework"
    subpage_types = ["frameworks.FrameworkPage"]

    class Meta:
        verbose_name = "framework index"
