"""The record: what frameworks, findings and lessons share.

A record is a Wagtail page, so drafts, revisions, previews, moderation and scheduled publishing
come with it. ``RecordPage`` is the one base of the three kinds (``FrameworkPage``,
``FindingPage``, ``LessonPage``). It is a concrete table rather than an abstract class so that
"every record" is one query: listings across kinds, term pages, cross-links and the API order,
filter and page over one table instead of stitching three together.
"""

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList, TabbedInterface
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from portal.blocks import RecordBodyBlock

from .forms import RecordPageForm
from .permissions import RecordPermissionTester
from .querysets import RecordManager, kind_models
from .sharing import AUDIENCES, SharingLevel
from .taxonomy import Jurisdiction, Language, Organisation, Sector, Topic


class RecordPage(Page):
    """A governance framework, research finding or operational lesson."""

    summary = models.TextField(
        max_length=1500,
        help_text="Two or three plain sentences saying what this is and why it matters. Shown in "
        "listings, search results and link previews. Write it in your own words.",
    )
    body = StreamField(
        RecordBodyBlock(),
        blank=True,
        help_text="The full text: headings, paragraphs, quotations, notes and figures.",
    )
    publication_date = models.DateField(
        db_index=True,
        help_text="When the source itself was published or issued (not when it was added to this portal).",
    )
    organisations = ParentalManyToManyField(
        Organisation,
        related_name="records",
        blank=True,
        verbose_name="publishing organisations",
        help_text="The organisations that published the source. Add missing ones under Snippets.",
    )
    topics = ParentalManyToManyField(
        Topic, related_name="records", blank=True, help_text="The risk areas this record is about."
    )
    sectors = ParentalManyToManyField(
        Sector, related_name="records", blank=True, help_text="The sectors this record concerns."
    )
    jurisdictions = ParentalManyToManyField(
        Jurisdiction,
        related_name="records",
        blank=True,
        help_text="Where this record applies or where it happened. Use International for global work.",
    )
    languages = ParentalManyToManyField(
        Language,
        related_name="records",
        blank=True,
        help_text="The languages this record is about (for a finding: the languages tested). "
        "Not the language it is written in.",
    )
    tags = ClusterTaggableManager(
        through="portal.RecordTag",
        blank=True,
        help_text="Free keywords for anything the taxonomy does not cover. Separate with commas.",
    )
    source_url = models.URLField(
        max_length=500,
        blank=True,
        verbose_name="source URL",
        help_text="The web address of the original document, paper or report.",
    )
    sharing_level = models.CharField(
        max_length=20,
        choices=SharingLevel.choices,
        default=SharingLevel.GREEN,
        help_text="Who may see this record (Traffic Light Protocol 2.0). "
        + " ".join(f"{level.label}: {text}" for level, text in AUDIENCES.items()),
    )
    owning_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_records",
        help_text="The partner organisation that shares this record. Its members see TLP:AMBER and "
        "TLP:AMBER+STRICT records.",
    )
    shared_with_organisations = ParentalManyToManyField(
        Organisation,
        blank=True,
        related_name="records_shared_with",
        help_text="For TLP:AMBER: other organisations whose members may see this record.",
    )
    shared_with_people = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="records_shared_with",
        help_text="For TLP:RED: the people, by name, who may see this record. You can name members of your "
        "organisations and of the organisations this record is owned by or shared with (to name someone "
        "from another organisation, add it under shared-with organisations and save first).",
    )

    objects = RecordManager()

    is_creatable = False
    base_form_class = RecordPageForm

    #: Set by each kind: a short machine name and a label for readers.
    record_kind = ""
    kind_label = "Record"
    #: The record's other representations, linked from its page (``<link rel="alternate">``):
    #: (media type, what it is, URL name, URL arguments besides the record's ``uuid``). A kind
    #: adds its own (a framework's OSCAL catalog, a finding's citations).
    alternates = (
        ("application/json", "This record in the portal's API", "api:record-detail", {}),
        ("application/stix+json;version=2.1", "STIX 2.1 bundle", "api:record-stix", {}),
        ("text/turtle", "DCAT dataset (Turtle)", "api:dcat_dataset_file", {"extension": "ttl"}),
        ("application/rdf+xml", "DCAT dataset (RDF/XML)", "api:dcat_dataset_file", {"extension": "rdf"}),
    )
    #: A record's citations (``/cite/…``), for the kinds that are cited.
    CITATIONS = (
        ("application/x-bibtex", "BibTeX citation", "cite", {"fmt": "bib"}),
        ("application/x-research-info-systems", "RIS citation", "cite", {"fmt": "ris"}),
        ("application/vnd.citationstyles.csl+json", "CSL-JSON citation", "cite", {"fmt": "json"}),
    )

    search_fields = Page.search_fields + [
        index.SearchField("summary", boost=1.5),  # title (boost 2, from Page) > summary > body
        index.SearchField("search_text"),  # the body and the kind's narrative fields, as one field
        index.FilterField("publication_date"),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.RelatedFields("sectors", [index.SearchField("name")]),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.RelatedFields("organisations", [index.SearchField("name"), index.SearchField("acronym")]),
    ]

    #: The kind's own long text fields, searched with the body as one field (``search_text``).
    narrative_fields = ()

    def search_text(self):
        """The body and the kind's narrative fields as one text. Searched as one field, a word
        repeated across them counts as a word repeated in one field (its weight saturates),
        where as separate fields each added its own score and outweighed a rare word of the
        title."""
        body = self._meta.get_field("body").get_searchable_content(self.body) if self.body else []
        narrative = [getattr(self, name) or "" for name in self.narrative_fields]
        return "\n".join(text for text in [*body, *narrative] if text)

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    classification_panels = [
        FieldPanel("publication_date"),
        FieldPanel("organisations", widget=forms.CheckboxSelectMultiple),
        FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
        FieldPanel("sectors", widget=forms.CheckboxSelectMultiple),
        FieldPanel("jurisdictions", widget=forms.CheckboxSelectMultiple),
        FieldPanel("languages", widget=forms.CheckboxSelectMultiple),
        FieldPanel("tags"),
    ]
    source_panels = [
        FieldPanel("source_url"),
        InlinePanel("external_ids", heading="Identifiers", label="Identifier"),
    ]
    sharing_panels = [
        FieldPanel("sharing_level", widget=forms.RadioSelect),
        FieldPanel("confirm_wider_sharing"),
        FieldPanel("owning_organisation"),
        FieldPanel("shared_with_organisations", widget=forms.CheckboxSelectMultiple),
        FieldPanel("shared_with_people"),
    ]
    link_panels = [
        InlinePanel(
            "links",
            heading="Links to other records",
            label="Link",
            help_text="How this record relates to other records or to one provision of a framework. "
            "The other record shows the link back automatically.",
        )
    ]

    class Meta:
        verbose_name = "record"

    @classmethod
    def edit_tabs(cls, details_panels, details_heading="Details"):
        """The editor's tabs, in the order an editor works through them."""
        return TabbedInterface(
            [
                ObjectList(cls.content_panels, heading="Content"),
                ObjectList(details_panels, heading=details_heading),
                ObjectList(cls.classification_panels, heading="Classification"),
                ObjectList(cls.link_panels, heading="Links"),
                ObjectList(cls.source_panels, heading="Sources"),
                ObjectList(cls.sharing_panels, heading="Sharing"),
                ObjectList(Page.promote_panels, heading="Promote"),
                ObjectList(Page.settings_panels, heading="Settings"),
            ]
        )

    @staticmethod
    def newest_expiry_passed():
        """When the last live record to reach its expiry time reached it (None if none has): an
        expired record leaves every list without a change-log entry. Read from Wagtail's page
        table alone, by the records' content types: with a join to the records' table, SQLite
        may walk every record first (docs/performance.md)."""
        kinds = ContentType.objects.get_for_models(*RecordPage.kind_models().values()).values()
        expired = Page.objects.filter(content_type__in=kinds, live=True, expire_at__lte=timezone.now())
        return expired.aggregate(last=Max("expire_at"))["last"]

    @staticmethod
    def kind_models():
        """{kind: page model} for every kind of record, e.g. {'finding': FindingPage}."""
        return kind_models()

    @staticmethod
    def kind_of_content_type():
        """{content type id: kind} for every kind of record (content types are cached by Django)."""
        return {ContentType.objects.get_for_model(model).pk: kind for kind, model in RecordPage.kind_models().items()}

    @property
    def kind(self):
        """'framework', 'finding' or 'lesson', also on a plain ``RecordPage`` instance (no query)."""
        return self.specific_class.record_kind

    @property
    def kind_display(self):
        return self.specific_class.kind_label

    @property
    def uuid(self):
        """The record's stable id for API clients. Wagtail's translation key: it survives renames
        and moves, is shared by translations of one record, and is reset when a page is copied."""
        return self.translation_key

    def newest_version_key(self):
        """The key of the record's newest version, for kinds whose records have versions (a
        framework's amendments); '' otherwise. A webhook tells "amended" when it changes."""
        return ""

    def permissions_for_user(self, user):
        return RecordPermissionTester(user, self)

    def check_visible(self, request):
        """404 unless the visitor may see this record: the one rule, applied to routing."""
        if not RecordPage.objects.filter(pk=self.pk).visible_to(request.user).exists():
            raise Http404

    def route(self, request, path_components):
        # Every URL that resolves to a record (or a sub-route of one) passes here; previews
        # of drafts for their editors do not route, and are unaffected.
        self.check_visible(request)
        return super().route(request, path_components)


class RecordTag(TaggedItemBase):
    content_object = ParentalKey(RecordPage, on_delete=models.CASCADE, related_name="tagged_items")
