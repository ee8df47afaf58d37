"""The record: what frameworks, findings and lessons share.

A record is a Wagtail page, so drafts, revisions, previews, moderation and scheduled publishing
come with it. ``RecordPage`` is the one base of the three kinds (``FrameworkPage``,
``FindingPage``, ``LessonPage``). It is a concrete table rather than an abstract class so that
"every record" is one query: listings across kinds, term pages, cross-links and the API order,
filter and page over one table instead of stitching three together.
"""

import re

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, Max, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList, TabbedInterface
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from portal.blocks import RecordBodyBlock

from .sharing import AUDIENCES, Membership, SharingLevel, audience, sharing_state, stored_sharing, widenings
from .taxonomy import Jurisdiction, Language, Organisation, Sector, Topic


class RecordQuerySet(PageQuerySet):
    def visible_to(self, user):
        """The records ``user`` may see. Every public surface lists records through this method.

        A record is visible when it is live (published), not past its expiry time, and its
        sharing level lets ``user`` see it (``portal.models.sharing.audience``). A record someone
        may not see is, for them, a record that does not exist.
        """
        now = timezone.now()
        return self.live().filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now)).filter(audience(user))

    def visible_through(self, user, field):
        """A condition for another model's rows: the record that their ``field`` (a foreign key
        to a record) points at is visible to ``user``. The same rule as ``visible_to``, written
        as a correlated ``EXISTS`` so the database checks only the rows at hand; a filter like
        ``target__in=visible_to(user)`` makes SQLite build the whole visible set on each query
        (about 8 ms at 10,000 records, against 1 ms this way)."""
        return Exists(self.visible_to(user).filter(pk=OuterRef(field)))

    def of_kind(self, kind):
        """Records of one kind ('framework', 'finding', 'lesson')."""
        return self.type(RecordPage.kind_models()[kind])

    def manageable_by(self, user):
        """The records ``user`` may see and act on in the admin: those owned by one of their
        organisations and those with no owning organisation; every record for a superuser, none
        for an inactive or anonymous account. The admin's one rule for staff (``portal.staff``
        applies it to every listing, chooser, report and workflow task); Wagtail's page
        permissions (edit, publish…) still apply on top of it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        organisations = Membership.objects.filter(user=user).values("organisation")
        return self.filter(Q(owning_organisation__isnull=True) | Q(owning_organisation__in=organisations))

    def not_manageable_by(self, user):
        """The records ``user`` may not see or act on in the admin (``manageable_by``'s complement)."""
        return self.exclude(pk__in=RecordPage.objects.manageable_by(user).values("pk"))

    def linkable_by(self, user):
        """The records ``user`` may choose as the target of a cross-link in the admin: those they
        may manage, and those they may see on the site anyway."""
        return self.filter(
            Q(pk__in=RecordPage.objects.manageable_by(user).values("pk"))
            | Q(pk__in=RecordPage.objects.visible_to(user).values("pk"))
        )


RecordManager = PageManager.from_queryset(RecordQuerySet)


def child_forms(form, relation):
    """The valid, not-deleted inline forms of ``relation`` in a cluster form.

    A cluster form cleans itself before its inline formsets, so a check across the inline forms
    (duplicates, ordering) first validates the formset here; errors added to a child form then
    make the whole form invalid as usual."""
    formset = form.formsets.get(relation)
    if formset is None:
        return []
    formset.is_valid()
    return [f for f in formset.forms if f.is_valid() and not f.cleaned_data.get("DELETE")]


def choose_only(field, queryset):
    """Narrow a chooser field to ``queryset``: any other id is refused as one that does not exist,
    and the form shown again with the error does not name what that id points at (a chooser
    widget looks its value up by id alone)."""
    field.queryset = queryset
    widget = field.widget
    look_up = widget.get_instance

    def get_instance(value):
        instance = look_up(value)
        return instance if instance is not None and queryset.filter(pk=instance.pk).exists() else None

    widget.get_instance = get_instance


class RecordPageForm(WagtailAdminPageForm):
    """Checks that need the whole page form: cross-links against each other, and a confirmation
    before a record is shared with a wider audience."""

    confirm_wider_sharing = forms.BooleanField(
        required=False,
        label="Confirm wider sharing",
        help_text="Tick to confirm a change that lets more people see the record: a wider sharing level "
        "(e.g. from TLP:AMBER to TLP:GREEN), another organisation, a person named on a TLP:RED record, "
        "or another or no owning organisation. The change is recorded in the audit log.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is None or user.is_superuser:
            return
        mine = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        if "owning_organisation" in self.fields:
            field = self.fields["owning_organisation"]
            field.queryset = field.queryset.filter(pk__in=mine)
            if not self.instance.pk and len(mine) == 1:
                self.initial.setdefault("owning_organisation", next(iter(mine)))
        if "shared_with_people" in self.fields:
            self._offer_only_people_in_reach(mine)
        self._offer_only_link_targets_in_reach(user)

    def _offer_only_people_in_reach(self, mine):
        """The people an editor may name: members of their own organisations and of the record's
        owner and shared-with organisations, and those already named; never every account."""
        record = self.instance
        organisations = set(mine)
        named = set()
        if record.pk:
            organisations |= {organisation.pk for organisation in record.shared_with_organisations.all()}
            organisations.add(record.owning_organisation_id)
            named = {person.pk for person in record.shared_with_people.all()}
        field = self.fields["shared_with_people"]
        members = Membership.objects.filter(organisation__in=organisations).values("user")
        field.queryset = field.queryset.filter(Q(pk__in=members) | Q(pk__in=named)).order_by("username")

    def _offer_only_link_targets_in_reach(self, user):
        """A link may point only at a record (or a provision of a framework) the editor may link to
        (``linkable_by``); a link already stored keeps its target, so saving loses nothing. Any
        other id is refused as one that does not exist."""
        formset = self.formsets.get("links")
        if formset is None:
            return
        stored = [(link.target_id, link.target_provision_id) for link in self.instance.links.all()]
        targets = RecordPage.objects.linkable_by(user).values("pk")
        kept_targets = {target for target, _ in stored if target}
        kept_provisions = {provision for _, provision in stored if provision}
        for form in formset.forms:
            if "target" in form.fields:
                field = form.fields["target"]
                choose_only(field, field.queryset.filter(Q(pk__in=targets) | Q(pk__in=kept_targets)))
            if "target_provision" in form.fields:
                field = form.fields["target_provision"]
                choose_only(field, field.queryset.filter(Q(framework__in=targets) | Q(pk__in=kept_provisions)))

    def clean(self):
        cleaned_data = super().clean()
        self._check_wider_sharing(cleaned_data)
        seen = set()
        for form in child_forms(self, "links"):
            target = form.cleaned_data.get("target")
            provision = form.cleaned_data.get("target_provision")
            if target is None and provision is not None:
                target = provision.framework
            if target is None:
                continue
            if self.instance.pk and target.pk == self.instance.pk:
                form.add_error("target", "A record cannot link to itself. Choose another record.")
                continue
            key = (form.cleaned_data.get("link_type"), target.pk, provision.pk if provision else None)
            if key in seen:
                form.add_error("target", "This link is already listed above. Remove one of the two.")
            seen.add(key)
        return cleaned_data

    def _check_wider_sharing(self, cleaned_data):
        """Each change that lets more people see the record (``sharing.widenings``: the level, a
        new organisation, a newly named person, another or no owner) is an error on its field
        until the editor ticks the confirmation. Compared with the stored, live, version."""
        before = stored_sharing(self.instance.pk) if self.instance.pk else None
        if before is None or cleaned_data.get("confirm_wider_sharing"):
            return

        def chosen(field, key, read):
            # A field that is not valid (so not cleaned) keeps its stored value here.
            return read(cleaned_data[field]) if field in cleaned_data else before[key]

        after = sharing_state(
            cleaned_data.get("sharing_level") or before["level"],
            chosen("owning_organisation", "owner", lambda owner: owner.pk if owner else None),
            chosen("shared_with_organisations", "organisations", lambda organisations: [o.pk for o in organisations]),
            chosen("shared_with_people", "people", lambda people: [p.pk for p in people]),
        )
        for field, words in widenings(before, after):
            self.add_error(
                field if field in self.fields else None,
                f"This shares the record with a wider audience: {words}. "
                "Tick “Confirm wider sharing” (under the sharing level) to go ahead.",
            )


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

    search_fields = Page.search_fields + [
        index.SearchField("summary", boost=1.5),  # title (boost 2, from Page) > summary > body
        index.SearchField("body"),
        index.FilterField("publication_date"),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.RelatedFields("organisations", [index.SearchField("name"), index.SearchField("acronym")]),
    ]

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
        may walk every record first (8 ms at 10,000 records, against 2 ms)."""
        kinds = ContentType.objects.get_for_models(*RecordPage.kind_models().values()).values()
        expired = Page.objects.filter(content_type__in=kinds, live=True, expire_at__lte=timezone.now())
        return expired.aggregate(last=Max("expire_at"))["last"]

    @staticmethod
    def kind_models():
        """{kind: page model} for every kind of record, e.g. {'finding': FindingPage}."""
        return {
            model.record_kind: model
            for model in apps.get_models()
            if issubclass(model, RecordPage) and model.record_kind
        }

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

    def permissions_for_user(self, user):
        from portal.staff import RecordPermissionTester

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

    def get_context(self, request, *args, **kwargs):
        """The record's links, backlinks, map and similar records, computed only when the page
        renders them: the template keeps those parts in the cache (``cached_fragment``) under
        ``cache_key``, and a cached part needs none of them."""
        from portal.caching import request_key, when_rendered
        from portal.graph import neighbourhood
        from portal.similar import similar_records

        from .links import grouped_backlinks, grouped_links

        context = super().get_context(request, *args, **kwargs)
        user = request.user
        outgoing = context["outgoing_links"] = when_rendered(lambda: grouped_links(self, user))
        backlinks = context["backlinks"] = when_rendered(lambda: grouped_backlinks(self, user))
        context["graph"] = when_rendered(lambda: neighbourhood(self, outgoing(), backlinks()))
        context["similar"] = when_rendered(lambda: similar_records(self, user))
        context["cache_key"] = request_key(request)
        return context


class RecordTag(TaggedItemBase):
    content_object = ParentalKey(RecordPage, on_delete=models.CASCADE, related_name="tagged_items")


DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")


def validate_doi(value):
    if not DOI_PATTERN.match(value):
        raise ValidationError(
            "This is not a DOI. A DOI starts with '10.', then a registrant number, a slash and a suffix, "
            "e.g. 10.6028/NIST.AI.100-1 (without 'https://doi.org/')."
        )


class ExternalIdentifier(Orderable):
    """An identifier the record has elsewhere: a DOI, an arXiv id, a CELEX number…"""

    SCHEMES = [
        ("doi", "DOI"),
        ("arxiv", "arXiv"),
        ("celex", "CELEX (EU law)"),
        ("iso", "ISO/IEC reference"),
        ("aiid", "AI Incident Database incident"),
        ("isbn", "ISBN"),
        ("other", "Other"),
    ]
    record = ParentalKey(RecordPage, on_delete=models.CASCADE, related_name="external_ids")
    scheme = models.CharField(max_length=20, choices=SCHEMES, help_text="What kind of identifier this is.")
    value = models.CharField(max_length=300, help_text="The identifier itself, e.g. 10.6028/NIST.AI.100-1.")

    panels = [FieldPanel("scheme"), FieldPanel("value")]

    def clean(self):
        super().clean()
        if self.scheme == "doi":
            try:
                validate_doi(self.value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from error

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.value}"
