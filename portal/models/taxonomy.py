"""Taxonomy terms, managed as snippets: topics (a tree), sectors, jurisdictions, organisations, languages.

Each term has a name, a slug that appears in URLs and API filters, and a description.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, InlinePanel, Panel
from wagtail.search import index

from .sharing import Membership


class Term(index.Indexed, models.Model):
    """What every taxonomy term has in common."""

    name = models.CharField(max_length=200, unique=True, help_text="The term as readers see it.")
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Short identifier used in web addresses and API filters, e.g. 'prompt-injection'. "
        "Changing it breaks saved links.",
    )
    description = models.TextField(blank=True, help_text="One or two sentences explaining the term.")

    #: The URL segment of this kind of term, e.g. /topics/<slug>/.
    url_prefix = ""

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [
        index.SearchField("name", boost=2),
        index.AutocompleteField("name"),
        index.SearchField("description"),
        index.FilterField("slug"),
    ]

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("term", kwargs={"kind": self.url_prefix, "slug": self.slug})


class Topic(Term):
    """A risk area. Topics form a tree, e.g. 'Privacy & security' > 'Compromise of privacy'."""

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The broader topic this one belongs to. Leave empty for a top-level topic.",
    )
    url_prefix = "topics"

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("parent"), FieldPanel("description")]

    class Meta(Term.Meta):
        verbose_name = "topic"

    def clean(self):
        super().clean()
        ancestor, seen = self.parent, set()
        while ancestor is not None:
            is_self = self.pk is not None and ancestor.pk == self.pk
            if is_self or ancestor.pk in seen:
                raise ValidationError({"parent": "A topic cannot sit under itself or under one of its own sub-topics."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    @classmethod
    def descendant_ids(cls, topic_ids):
        """The ids of the given topics and of every topic below them (one query for the whole tree)."""
        ids = set(topic_ids)
        return cls._subtrees(lambda pk, slug: pk in ids)

    @classmethod
    def ids_under(cls, slugs):
        """The ids of the topics with these slugs and of every topic below them (one query)."""
        slugs = set(slugs)
        return cls._subtrees(lambda pk, slug: slug in slugs)

    @classmethod
    def _subtrees(cls, is_root):
        """The ids of the topics for which ``is_root(pk, slug)`` holds and of every topic below them."""
        children, stack = {}, []
        for pk, slug, parent_id in cls.objects.values_list("pk", "slug", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
            if is_root(pk, slug):
                stack.append(pk)
        found = set()
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.add(pk)
                stack.extend(children.get(pk, []))
        return found


class Sector(Term):
    """An economic or public sector, e.g. telecommunications, finance, health."""

    url_prefix = "sectors"

    class Meta(Term.Meta):
        verbose_name = "sector"


JURISDICTION_CODE = re.compile(r"^(?:[A-Z]{2}|EU|INT)$")


def validate_jurisdiction_code(value):
    if not JURISDICTION_CODE.match(value):
        raise ValidationError(
            "Use a two-letter ISO 3166-1 country code in capitals (e.g. SG, US), 'EU' or 'INT'.",
        )


class Jurisdiction(Term):
    """A country (ISO 3166-1 alpha-2), the European Union (EU) or international (INT)."""

    code = models.CharField(
        max_length=3,
        unique=True,
        validators=[validate_jurisdiction_code],
        help_text="ISO 3166-1 alpha-2 code such as SG or US; EU for the European Union; INT for international.",
    )
    url_prefix = "jurisdictions"

    panels = [FieldPanel("name"), FieldPanel("code"), FieldPanel("slug"), FieldPanel("description")]

    class Meta(Term.Meta):
        verbose_name = "jurisdiction"


class OrganisationForm(WagtailAdminModelForm):
    """An organisation's admin form. Its members are part of it only for those who may manage them
    (``Organisation.members_manageable_by``); for anyone else the form has no Members formset, so
    nothing they send about members is read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.members_manageable_by(self.for_user):
            self.formsets.pop("memberships", None)

    def save(self, commit=True):
        members = self.formsets.get("memberships")
        if members is not None and not members.has_changed():
            # Saving the formset saves every member again, and the change log hears of each.
            del self.formsets["memberships"]
        return super().save(commit=commit)


class MembersPanel(InlinePanel):
    """The Members panel: shown only when the form has its formset (see ``OrganisationForm``)."""

    class BoundPanel(InlinePanel.BoundPanel):
        def __init__(self, **kwargs):
            form = kwargs.get("form")
            self.managed = form is None or kwargs["panel"].relation_name in form.formsets
            if self.managed:
                super().__init__(**kwargs)
            else:  # nothing to bind: skip InlinePanel's own set-up, which reads the formset
                Panel.BoundPanel.__init__(self, **kwargs)

        def is_shown(self):
            return self.managed and super().is_shown()


class Organisation(ClusterableModel, Term):
    """A body that publishes or issues records (an agency, a standards body, a lab, a company),
    or a partner organisation whose members see the records shared with it."""

    acronym = models.CharField(max_length=30, blank=True, help_text="Short form, e.g. NIST, IMDA.")
    website = models.URLField(blank=True, help_text="The organisation's home page.")
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Where the organisation is based, if it is tied to one jurisdiction.",
    )
    url_prefix = "organisations"

    panels = [
        FieldPanel("name"),
        FieldPanel("acronym"),
        FieldPanel("slug"),
        FieldPanel("website"),
        FieldPanel("jurisdiction"),
        FieldPanel("description"),
        MembersPanel(
            "memberships",
            heading="Members",
            label="Member",
            help_text="People who belong to this organisation. They see the TLP:AMBER records it owns or "
            "that are shared with it, and its TLP:AMBER+STRICT records. Only superusers and the "
            "organisation's administrators see and change this list.",
        ),
    ]
    base_form_class = OrganisationForm

    class Meta(Term.Meta):
        verbose_name = "organisation"

    def members_manageable_by(self, user):
        """Whether ``user`` may add, remove and change this organisation's members: a superuser, or
        an administrator of this organisation (never of a new one, which has no members yet)."""
        if user is None or not user.is_active:
            return False
        if user.is_superuser:
            return True
        return (
            self.pk is not None
            and Membership.objects.filter(organisation=self, user=user, is_administrator=True).exists()
        )


BCP47 = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Z]{2}|[0-9]{3}))?$")


def validate_bcp47(value):
    if not BCP47.match(value):
        raise ValidationError(
            "Use a BCP 47 language tag such as 'en', 'zh-Hans', 'pt-BR' or 'ms' "
            "(language in lower case, optional script, optional region in capitals).",
        )


class Language(Term):
    """A language a record is about (for a finding: a language tested), as a BCP 47 tag."""

    code = models.CharField(
        max_length=20,
        unique=True,
        validators=[validate_bcp47],
        help_text="BCP 47 tag, e.g. en, zh-Hans, ta, ms.",
    )
    url_prefix = "languages"

    panels = [FieldPanel("name"), FieldPanel("code"), FieldPanel("slug"), FieldPanel("description")]

    class Meta(Term.Meta):
        verbose_name = "language"


#: Every kind of term, by the URL segment of its pages.
TERM_MODELS = {model.url_prefix: model for model in (Topic, Sector, Jurisdiction, Organisation, Language)}


@dataclass(frozen=True)
class TermRelation:
    """How records hold one kind of term: the one definition that search facets, filters, the
    API, the exchange format, similar records and the change log all read."""

    #: the facet and filter parameter, e.g. 'topic' (``?topic=``)
    facet: str
    #: the record's many-to-many field, also the URL segment and the exchange file key: 'topics'
    relation: str
    model: type
    #: the term's field in URLs, filters and files: 'slug', or 'code' for jurisdictions and languages
    key: str
    #: the term's columns the API shows, in output order
    columns: tuple


#: Every record relation to taxonomy terms, in the order facets are shown.
TERM_RELATIONS = (
    TermRelation("topic", "topics", Topic, "slug", ("slug", "name")),
    TermRelation("sector", "sectors", Sector, "slug", ("slug", "name")),
    TermRelation("jurisdiction", "jurisdictions", Jurisdiction, "code", ("code", "slug", "name")),
    TermRelation("language", "languages", Language, "code", ("code", "slug", "name")),
    TermRelation("organisation", "organisations", Organisation, "slug", ("slug", "name", "acronym")),
)
#: facet name -> TermRelation, and record relation -> TermRelation
TERM_FACETS = {term.facet: term for term in TERM_RELATIONS}
TERMS_BY_RELATION = {term.relation: term for term in TERM_RELATIONS}
#: term model -> TermRelation
TERMS_BY_MODEL = {term.model: term for term in TERM_RELATIONS}
