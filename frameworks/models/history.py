"""A framework's history: its versions (editions, consolidated texts, amending instruments) and
what each version did to its provisions, and from these, which provisions apply on a given day.

Versions and provision changes belong to the framework page (they are saved with its revisions).
A change names its version by key and its provision by code, so both can be edited in one form
and written in one record file (docs/data-format.md)."""

import datetime
from dataclasses import dataclass, field

from django.core.validators import RegexValidator
from django.db import models

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Orderable

from portal.text import anchor

from .rules import VERSION_DATES, VERSION_KEY


class FrameworkVersion(Orderable):
    """One step in a framework's history, oldest first: the original text, a later edition or a
    consolidated text, or an instrument that amends it."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original text"
        EDITION = "edition", "New edition"
        CONSOLIDATED = "consolidated", "Consolidated text"
        AMENDMENT = "amendment", "Amending instrument"
        CORRIGENDUM = "corrigendum", "Corrigendum"

    framework = ParentalKey("frameworks.FrameworkPage", on_delete=models.CASCADE, related_name="versions")
    key = models.CharField(
        max_length=60,
        validators=[RegexValidator(VERSION_KEY, "Use lower-case letters, digits, '-' and '.', e.g. reg-2024-1689.")],
        help_text="A short key, unique within the framework, that provision changes name, e.g. reg-2024-1689.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ORIGINAL)
    title = models.CharField(max_length=255, help_text="e.g. “Regulation (EU) 2024/1689 as adopted”.")
    identifier = models.CharField(
        max_length=200, blank=True, help_text="The issuer's reference, e.g. Regulation (EU) 2024/1689."
    )
    adopted = models.DateField(null=True, blank=True, help_text="When it was adopted or approved.")
    published = models.DateField(
        null=True, blank=True, help_text="When it was published, e.g. in the Official Journal."
    )
    in_force = models.DateField(
        null=True,
        blank=True,
        help_text="When it entered (or enters) into force. Leave empty while it is not in force: "
        "the version then reads “adopted, not yet in force”.",
    )
    applies_from = models.DateField(null=True, blank=True, help_text="Its general date of application, if later.")
    withdrawn = models.DateField(null=True, blank=True, help_text="When a proposal was withdrawn or it ceased.")
    source_url = models.URLField(max_length=500, blank=True, help_text="Where the text can be read.")
    note = models.TextField(blank=True, help_text="What this version is or changes, in your own words.")

    panels = [
        FieldRowPanel([FieldPanel("key"), FieldPanel("kind")]),
        FieldPanel("title"),
        FieldPanel("identifier"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("adopted"), FieldPanel("published")]),
                FieldRowPanel([FieldPanel("in_force"), FieldPanel("applies_from")]),
                FieldPanel("withdrawn"),
            ],
            heading="Dates",
        ),
        FieldPanel("source_url"),
        FieldPanel("note"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "version"

    def __str__(self):
        return self.title

    @property
    def first_date(self):
        return next((getattr(self, name) for name in VERSION_DATES if getattr(self, name)), None)

    def in_force_on(self, day):
        return bool(self.in_force and self.in_force <= day and not (self.withdrawn and self.withdrawn <= day))

    def state_on(self, day):
        """'withdrawn', 'in_force', 'adopted' (not yet in force) or 'proposed', on ``day``."""
        if self.withdrawn and self.withdrawn <= day:
            return "withdrawn"
        if self.in_force_on(day):
            return "in_force"
        if self.adopted and self.adopted <= day:
            return "adopted"
        return "proposed"

    STATE_LABELS = {
        "withdrawn": "Withdrawn",
        "in_force": "In force",
        "adopted": "Adopted, not yet in force",
        "proposed": "Proposed",
    }

    def state_label(self, day=None):
        return self.STATE_LABELS[self.state_on(day or datetime.date.today())]


class ProvisionChange(Orderable):
    """What one version did to one provision."""

    class Change(models.TextChoices):
        INTRODUCED = "introduced", "Introduced"
        AMENDED = "amended", "Amended"
        RENUMBERED = "renumbered", "Renumbered"
        REPEALED = "repealed", "Repealed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    framework = ParentalKey("frameworks.FrameworkPage", on_delete=models.CASCADE, related_name="provision_changes")
    version = models.CharField(max_length=60, help_text="The key of the version that made the change.")
    code = models.CharField(max_length=60, help_text="The provision's code as it is now (after any renumbering).")
    change = models.CharField(max_length=20, choices=Change.choices, default=Change.AMENDED)
    note = models.TextField(blank=True, help_text="What changed, in your own words.")
    old_code = models.CharField(max_length=60, blank=True, help_text="Renumbered only: the code it had before.")
    applies_from = models.DateField(
        null=True, blank=True, help_text="When the provision applies under this version, if the version says."
    )

    panels = [
        FieldRowPanel([FieldPanel("version"), FieldPanel("code"), FieldPanel("change")]),
        FieldPanel("note"),
        FieldRowPanel([FieldPanel("old_code"), FieldPanel("applies_from")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "provision change"

    def __str__(self):
        return f"{self.code} {self.get_change_display().lower()} by {self.version}"


#: Versions that are a whole text (an amendment changes one).
TEXTS = {FrameworkVersion.Kind.ORIGINAL, FrameworkVersion.Kind.EDITION, FrameworkVersion.Kind.CONSOLIDATED}
#: Changes after which a provision no longer applies.
ENDING = {ProvisionChange.Change.REPEALED, ProvisionChange.Change.WITHDRAWN}

STATE_LABELS = {
    "applies": "Applies",
    "not_yet": "Not yet applicable",
    "pending": "Introduced by a version not yet in force",
    "repealed": "Repealed",
    "ended": "No longer applies",
}


@dataclass
class Standing:
    """Where a provision stands on one day."""

    state: str  # a key of STATE_LABELS
    applies_from: datetime.date | None = None
    #: (change, version) pairs in force on the day, oldest first
    made: list = field(default_factory=list)
    #: (change, version) pairs of versions not in force on the day (adopted or proposed)
    pending: list = field(default_factory=list)

    @property
    def applies(self):
        return self.state == "applies"

    @property
    def label(self):
        return STATE_LABELS[self.state]

    @property
    def previous_codes(self):
        return [change.old_code for change, _ in self.made if change.change == ProvisionChange.Change.RENUMBERED]

    @property
    def previous_anchors(self):
        """Fragment ids of the codes it had before, so old links to them land here."""
        return [anchor(code) for code in self.previous_codes]

    @property
    def note(self):
        """What a link to the provision says beside it: repealed or amended, and by what; or ''."""
        if self.state == "repealed" or self.last:
            change, version = self.last
            return f"{change.get_change_display()} by {version.title}"
        return ""

    @property
    def last(self):
        """The latest amending, repealing or withdrawing change in force (what a link shows), or None."""
        shown = ENDING | {ProvisionChange.Change.AMENDED}
        return next(((c, v) for c, v in reversed(self.made) if c.change in shown), None)


class Timeline:
    """A framework's versions and provision changes, read once, asked about any day."""

    def __init__(self, framework, versions=None, changes=None):
        self.framework = framework
        self.versions = list(framework.versions.all() if versions is None else versions)
        self.by_key = {version.key: version for version in self.versions}
        self.position = {version.key: i for i, version in enumerate(self.versions)}
        self.changes = {}
        ordered = framework.provision_changes.all() if changes is None else changes
        for change in sorted(ordered, key=lambda c: self.position.get(c.version, len(self.versions))):
            self.changes.setdefault(anchor(change.code), []).append(change)

    def applies_from(self, day):
        """When the framework's text in force on ``day`` applies in general: the latest original,
        edition or consolidated text in force then (its date of application, else its entry into
        force), or the framework's effective date if it records no such version."""
        texts = [v for v in self.versions if v.kind in TEXTS and v.in_force_on(day)]
        if texts:
            return texts[-1].applies_from or texts[-1].in_force
        return self.framework.effective_date

    def changes_of(self, code):
        return self.changes.get(anchor(code), [])

    def standing(self, provision, day=None):
        """Where ``provision`` stands on ``day`` (today if None), from its own dates and the
        changes of the versions in force on that day."""
        day = day or datetime.date.today()
        made, pending = [], []
        for change in self.changes_of(provision.code):
            version = self.by_key.get(change.version)
            if version is None:
                continue
            if version.in_force_on(day):
                made.append((change, version))
            elif version.state_on(day) != "withdrawn":
                pending.append((change, version))
        introduced_by = [c for c in self.changes_of(provision.code) if c.change == ProvisionChange.Change.INTRODUCED]
        starts = provision.applies_from or self.applies_from(day)
        for change, version in made:
            if change.change in ENDING:
                ends = change.applies_from or version.applies_from or version.in_force
                if ends <= day:
                    return Standing("repealed", made=made, pending=pending)
            elif change.applies_from:
                starts = change.applies_from
            elif change.change == ProvisionChange.Change.INTRODUCED:
                starts = version.applies_from or version.in_force
        if introduced_by and not any(c.change == ProvisionChange.Change.INTRODUCED for c, _ in made):
            return Standing("pending", made=made, pending=pending)
        if starts and starts > day:
            return Standing("not_yet", applies_from=starts, made=made, pending=pending)
        if provision.applies_until and provision.applies_until <= day:
            return Standing("ended", applies_from=starts, made=made, pending=pending)
        return Standing("applies", applies_from=starts, made=made, pending=pending)

    def between(self, start_key, end_key):
        """(versions, changes) of the versions after ``start_key`` up to and including ``end_key``
        (both keys of this framework, ``start_key`` before ``end_key``); changes in version order."""
        first, last = self.position[start_key] + 1, self.position[end_key]
        keys = {version.key for version in self.versions[first : last + 1]}
        versions = [version for version in self.versions if version.key in keys]
        changes = [c for group in self.changes.values() for c in group if c.version in keys]
        changes.sort(key=lambda c: (self.position[c.version], c.sort_order or 0, c.pk or 0))
        return versions, changes
