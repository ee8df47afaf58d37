"""Editors' controls of search: synonym groups and promoted results.

A **synonym group** lists words or short phrases that mean the same here ("recruiting",
"hiring", "recruitment"); a search for one also looks for the others
(``portal.services.synonyms``). A term belongs to one group at most.

A **promotion** names, for one query, records to show first, in order, each with an optional
note (``portal.services.promotions``). Queries match exactly once normalised (``normal_query``:
lower case, single spaces), as in Wagtail's ``search_promotions`` contrib app, which this
follows; unlike it, a promotion names records only (no other pages, no outside links), so that
what it shows is always a record the visitor's own rule (``visible_to``) has admitted.

Both are editors' choices, not records: they carry no sharing level of their own. A promotion
never shows a record the visitor may not see, and staff list and edit only the promotions whose
records they may link to (``SearchPromotionQuerySet.editable_by``).
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, PageChooserPanel
from wagtail.models import Orderable

from .forms import child_forms, choose_only
from .records import RecordPage

#: Longest term of a synonym group, and longest promoted query, in characters.
MAX_TERM_LENGTH = 100
MAX_QUERY_LENGTH = 255
#: Most terms in one synonym group.
MAX_TERMS = 20
_SEPARATORS = re.compile(r"[\n,;]+")


def normal_term(text):
    """A synonym term as it is stored and matched: trimmed, lower case, single spaces."""
    return " ".join(str(text).split()).lower()


def parse_terms(text):
    """The terms of a group as typed: one a line (commas and semicolons also separate),
    normalised, empty lines left out."""
    return [term for term in (normal_term(part) for part in _SEPARATORS.split(text or "")) if term]


def normal_query(text):
    """A query as promotions match it: trimmed, lower case, single spaces (and at most
    ``MAX_QUERY_LENGTH`` characters)."""
    return " ".join(str(text or "").split()).lower()[:MAX_QUERY_LENGTH].strip()


def unused_slug(model, text, instance_pk=None, fallback="item"):
    """``slugify(text)``, or the first of ``-2``, ``-3``… that no other row of ``model`` uses."""
    base = slugify(text)[:90].strip("-") or fallback
    taken = set(model.objects.exclude(pk=instance_pk).filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def term_problems(terms):
    """What is wrong with a list of synonym terms (already normalised), as sentences."""
    problems = []
    seen = set()
    for term in terms:
        if not term:
            continue
        if len(term) > MAX_TERM_LENGTH:
            problems.append(
                f"'{term[:40]}…' is longer than {MAX_TERM_LENGTH} characters: use a word or a short phrase."
            )
        elif not re.search(r"\w", term):
            problems.append(f"'{term}' has no letter or digit.")
        if term in seen:
            problems.append(f"'{term}' is listed twice. List each term once.")
        seen.add(term)
    if len(seen) < 2:
        problems.append("A synonym group needs at least two different terms.")
    if len(seen) > MAX_TERMS:
        problems.append(f"A synonym group holds at most {MAX_TERMS} terms; split it into groups of true synonyms.")
    return problems


class SynonymGroup(models.Model):
    """Words or short phrases that mean the same in this portal's searches."""

    terms = models.TextField(
        help_text="One word or short phrase a line, e.g. 'self-driving', 'automated vehicle', 'autonomous "
        "vehicle'. A search for any of them also finds records that use another. Case does not matter. "
        "A term can be in one group only.",
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        blank=True,
        help_text="Names the group in the record files (import and export). Leave it empty to make one "
        "from the first term.",
    )

    panels = [FieldPanel("terms"), FieldPanel("slug")]

    class Meta:
        ordering = ["slug"]
        verbose_name = "synonym group"
        verbose_name_plural = "search synonyms"

    def __str__(self):
        return ", ".join(self.term_list)

    @property
    def term_list(self):
        """The group's terms, normalised, in the order given."""
        return parse_terms(self.terms)

    def clean(self):
        super().clean()
        terms = parse_terms(self.terms)
        problems = term_problems(terms)
        owner = {}
        for group in SynonymGroup.objects.exclude(pk=self.pk).order_by("slug").only("pk", "slug", "terms"):
            for term in group.term_list:
                owner.setdefault(term, group)
        for term in dict.fromkeys(terms):
            if term in owner:
                other = owner[term]
                problems.append(
                    f"'{term}' is already in the synonym group '{other}' ({other.slug}). A term can be in one "
                    "group only: add the other terms to that group, or remove it from there first."
                )
        if problems:
            raise ValidationError({"terms": problems})
        self.terms = "\n".join(terms)

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unused_slug(SynonymGroup, (self.term_list or [""])[0], self.pk, fallback="synonyms")
        super().save(*args, **kwargs)


class SearchPromotionQuerySet(models.QuerySet):
    def editable_by(self, user):
        """The promotions ``user`` may list and edit in the admin: those whose every record they may
        link to (``RecordQuerySet.linkable_by``: records they manage, or may see on the site).
        Everything for a superuser; nothing for an inactive or anonymous account."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        out_of_reach = RecordPage.objects.exclude(pk__in=RecordPage.objects.linkable_by(user).values("pk"))
        return self.exclude(records__record__in=out_of_reach.values("pk"))


class SearchPromotionForm(WagtailAdminModelForm):
    """A promotion's admin form: records the editor may link to only, each listed once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        formset = self.formsets.get("records")
        if user is None or user.is_superuser or formset is None:
            return
        records = RecordPage.objects.linkable_by(user).values("pk")
        for form in formset.forms:
            if "record" in form.fields:
                field = form.fields["record"]
                choose_only(field, field.queryset.filter(pk__in=records))

    def clean(self):
        cleaned_data = super().clean()
        chosen = 0
        seen = set()
        for form in child_forms(self, "records"):
            record = form.cleaned_data.get("record")
            if record is None:
                continue
            chosen += 1
            if record.pk in seen:
                form.add_error("record", "This record is already promoted above. Remove one of the two.")
            seen.add(record.pk)
        if not chosen:
            self.add_error(None, "Choose at least one record to show first for this query.")
        return cleaned_data


class SearchPromotion(ClusterableModel):
    """Records shown first, in order, for one query."""

    query = models.CharField(
        max_length=MAX_QUERY_LENGTH,
        unique=True,
        help_text="The search exactly as visitors type it; case and extra spaces do not matter, other "
        "words do ('ai act' does not match 'eu ai act').",
        error_messages={"unique": "Results are already promoted for this query. Edit that promotion instead."},
    )
    slug = models.SlugField(
        max_length=100,
        unique=True,
        blank=True,
        help_text="Names the promotion in the record files (import and export). Leave it empty to make one "
        "from the query.",
    )

    objects = SearchPromotionQuerySet.as_manager()

    panels = [
        FieldPanel("query"),
        FieldPanel("slug"),
        InlinePanel(
            "records",
            label="Promoted record",
            heading="Promoted records",
            help_text="Shown first, in this order, above the other results. A visitor sees only the records "
            "they may see anyway; the others are left out, without a trace.",
        ),
    ]
    base_form_class = SearchPromotionForm

    class Meta:
        ordering = ["query"]
        verbose_name = "promoted search result"
        verbose_name_plural = "promoted search results"

    def __str__(self):
        return self.query

    def promoted_titles(self):
        """The promoted records' titles, in order (the admin's listing)."""
        return ", ".join(row.record.title for row in self.records.all())

    promoted_titles.short_description = "Promoted records"

    def clean(self):
        super().clean()
        self.query = normal_query(self.query)
        if not self.query:
            raise ValidationError({"query": "Type the query these records are promoted for."})

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unused_slug(SearchPromotion, self.query, self.pk, fallback="promotion")
        super().save(*args, **kwargs)


class PromotedRecord(Orderable):
    """One record a promotion shows, with an optional note."""

    promotion = ParentalKey(SearchPromotion, on_delete=models.CASCADE, related_name="records")
    record = models.ForeignKey(
        RecordPage,
        on_delete=models.CASCADE,
        related_name="promotions",
        help_text="A framework, finding or lesson.",
    )
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Optional: one short sentence shown with the record, e.g. why it comes first.",
    )

    panels = [PageChooserPanel("record", page_type="portal.RecordPage"), FieldPanel("note")]

    class Meta(Orderable.Meta):
        # A record is listed once per promotion: the admin form and the import check it, each
        # with its own words (a unique constraint would answer with Django's generic message).
        verbose_name = "promoted record"
