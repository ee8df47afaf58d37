"""Cross-links: typed, directed edges from one record to another record or to one provision.

Every link type has an inverse label, so the target shows the link as a backlink: a finding
*addresses* GOVERN 1.1, and GOVERN 1.1 *is addressed by* the finding.
"""

from django.core.exceptions import ValidationError
from django.db import models

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, PageChooserPanel
from wagtail.models import Orderable

from .records import RecordPage


class LinkType(models.TextChoices):
    IMPLEMENTS = "implements", "implements"
    ADDRESSES = "addresses", "addresses"
    SUPPORTS = "supports", "supports"
    CONTRADICTS = "contradicts", "contradicts"
    EXTENDS = "extends", "extends"
    SUPERSEDES = "supersedes", "supersedes"
    CITES = "cites", "cites"
    DERIVED_FROM = "derived_from", "is derived from"
    RELATED = "related", "is related to"


#: How a link reads from its target's side.
INVERSE_LABELS = {
    LinkType.IMPLEMENTS: "is implemented by",
    LinkType.ADDRESSES: "is addressed by",
    LinkType.SUPPORTS: "is supported by",
    LinkType.CONTRADICTS: "is contradicted by",
    LinkType.EXTENDS: "is extended by",
    LinkType.SUPERSEDES: "is superseded by",
    LinkType.CITES: "is cited by",
    LinkType.DERIVED_FROM: "is the basis of",
    LinkType.RELATED: "is related to",
}


class CrossLinkQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The links both of whose ends ``user`` may see: the only way a page, a reason or a
        count reads another record's part of a link (its title, kind, provision code or note)."""
        records = RecordPage.objects
        return self.filter(records.visible_through(user, "source"), records.visible_through(user, "target"))


class CrossLink(Orderable):
    source = ParentalKey("portal.RecordPage", on_delete=models.CASCADE, related_name="links")
    link_type = models.CharField(
        max_length=20,
        choices=LinkType.choices,
        default=LinkType.RELATED,
        verbose_name="relationship",
        help_text="Read it as a sentence: this record <relationship> the target.",
    )
    target = models.ForeignKey(
        "portal.RecordPage",
        on_delete=models.CASCADE,
        related_name="backlinks",
        null=True,
        blank=True,
        verbose_name="target record",
        help_text="The record this one links to. For a link to a provision, choose the provision "
        "below; its framework is filled in for you.",
    )
    target_provision = models.ForeignKey(
        "frameworks.Provision",
        on_delete=models.SET_NULL,
        related_name="backlinks",
        null=True,
        blank=True,
        verbose_name="target provision",
        help_text="Optional: one provision of a framework, e.g. GOVERN 1.1.",
    )
    note = models.CharField(max_length=500, blank=True, help_text="Optional: one sentence on how the two relate.")

    objects = CrossLinkQuerySet.as_manager()

    panels = [
        FieldPanel("link_type"),
        PageChooserPanel("target", page_type="portal.RecordPage"),
        FieldPanel("target_provision"),
        FieldPanel("note"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "cross-link"

    def clean(self):
        super().clean()
        if self.target_provision_id:
            framework_id = self.target_provision.framework_id
            if self.target_id is None:
                self.target_id = framework_id
            elif self.target_id != framework_id:
                raise ValidationError(
                    {
                        "target_provision": "This provision belongs to another framework. Choose a provision "
                        "of the target record, or leave the target record empty."
                    }
                )
        if self.target_id is None:
            raise ValidationError({"target": "Choose the record (or the provision) this link points to."})
        if self.source_id and self.source_id == self.target_id:
            raise ValidationError({"target": "A record cannot link to itself. Choose another record."})

    @property
    def label(self):
        return self.get_link_type_display()

    @property
    def inverse_label(self):
        return INVERSE_LABELS[self.link_type]

    def __str__(self):
        target = self.target_provision or self.target
        return f"{self.source} {self.label} {target}"


#: What a list of links shows of the record at the other end: its title, kind (from its content
#: type), sharing badge, summary, address and stable id. A framework may have a hundred
#: backlinks; loading only these fields of each nearly halves the time to read them.
END_FIELDS = ("title", "summary", "sharing_level", "url_path", "content_type", "translation_key")


def _only(links, end):
    """``links`` loading of the record at ``end`` ("source" or "target") only ``END_FIELDS``."""
    own = ("source", "target", "target_provision", "link_type", "note", "sort_order")
    return links.only(*own, *(f"{end}__{name}" for name in END_FIELDS))


def _grouped(links, label_of):
    groups = {}
    for link in links:
        groups.setdefault(label_of(link), []).append(link)
    order = {choice: i for i, choice in enumerate(LinkType.values)}
    return sorted(
        ({"label": label, "links": items} for label, items in groups.items()),
        key=lambda group: order[group["links"][0].link_type],
    )


def grouped_links(record, user):
    """The record's outgoing links that ``user`` may follow, grouped by relationship (one query)."""
    links = (
        CrossLink.objects.visible_to(user)
        .filter(source=record)
        .select_related("target", "target_provision")
        .order_by("sort_order", "pk")
    )
    return _grouped(_only(links, "target"), lambda link: link.label)


def grouped_backlinks(record, user):
    """Links from other records that ``user`` may see, pointing at this record or one of its
    provisions, grouped by the inverse relationship (one query)."""
    links = (
        CrossLink.objects.visible_to(user)
        .filter(target=record)
        .select_related("source", "target_provision")
        .order_by("source__title", "pk")
    )
    return _grouped(_only(links, "source"), lambda link: link.inverse_label)
