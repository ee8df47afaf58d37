"""Sharing levels after the Traffic Light Protocol 2.0 (https://www.first.org/tlp/), and who may
see what. ``audience`` is the one rule; ``RecordQuerySet.visible_to`` applies it everywhere.
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel


class SharingLevel(models.TextChoices):
    CLEAR = "TLP:CLEAR", "TLP:CLEAR"
    GREEN = "TLP:GREEN", "TLP:GREEN"
    AMBER = "TLP:AMBER", "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "TLP:RED", "TLP:RED"


#: Who may see a record at each level, in plain words (shown to editors and on badges).
AUDIENCES = {
    SharingLevel.CLEAR: "Everyone, including visitors who are not signed in.",
    SharingLevel.GREEN: "Every signed-in partner account.",
    SharingLevel.AMBER: "Members of the owning organisation and of the organisations it is shared with.",
    SharingLevel.AMBER_STRICT: "Members of the owning organisation only.",
    SharingLevel.RED: "Only the people it is shared with by name.",
}

#: Levels from widest audience to narrowest; a move to a lower index widens the audience.
BREADTH = [
    SharingLevel.CLEAR,
    SharingLevel.GREEN,
    SharingLevel.AMBER,
    SharingLevel.AMBER_STRICT,
    SharingLevel.RED,
]


class Membership(models.Model):
    """A person's membership of an organisation. A person can belong to several.

    Memberships are edited on their organisation's page in the admin (hence the parental key), by
    superusers and by that organisation's administrators only (``Organisation.members_manageable_by``).
    """

    organisation = ParentalKey("portal.Organisation", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    is_administrator = models.BooleanField(
        default=False,
        verbose_name="organisation administrator",
        help_text="May add, remove and change the organisation's members in the admin (needs admin access).",
    )
    since = models.DateField(auto_now_add=True)

    panels = [FieldPanel("user"), FieldPanel("is_administrator")]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_person")]

    def __str__(self):
        return f"{self.user} in {self.organisation}"


def who_may_manage(users, organisation_id):
    """``users`` (a queryset of accounts) less those who may not manage, in the admin, a record
    that ``organisation_id`` owns: its members and superusers (everyone, for a record no
    organisation owns). The accounts' side of ``RecordQuerySet.manageable_by``."""
    if organisation_id is None:
        return users
    return users.filter(Q(is_superuser=True) | Q(memberships__organisation=organisation_id))


_ORGANISATION_IDS = "_portal_organisation_ids"


def organisation_ids(user):
    """The ids of the organisations ``user`` belongs to, read once per user object (a request's
    user: a membership changed takes effect on the next request)."""
    if not hasattr(user, _ORGANISATION_IDS):
        ids = frozenset(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        setattr(user, _ORGANISATION_IDS, ids)
    return getattr(user, _ORGANISATION_IDS)


def audience(user):
    """A filter on records keeping those whose sharing level lets ``user`` see them.

    Publication state (live, not expired) is checked by ``RecordQuerySet.visible_to``, which is
    what every surface calls."""
    RecordPage = apps.get_model("portal", "RecordPage")
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(sharing_level=SharingLevel.CLEAR)
    if user.is_superuser:
        return Q()
    organisations = Membership.objects.filter(user=user).values("organisation")
    shared_with_mine = RecordPage.objects.filter(shared_with_organisations__in=organisations).values("pk")
    named = RecordPage.shared_with_people.through.objects.filter(user=user).values("recordpage")
    return (
        Q(sharing_level__in=[SharingLevel.CLEAR, SharingLevel.GREEN])
        | Q(sharing_level=SharingLevel.AMBER, owning_organisation__in=organisations)
        | Q(sharing_level=SharingLevel.AMBER, pk__in=shared_with_mine)
        | Q(sharing_level=SharingLevel.AMBER_STRICT, owning_organisation__in=organisations)
        | Q(sharing_level=SharingLevel.RED, pk__in=named)
    )


def sharing_state(level, owner, organisations=(), people=()):
    """A record's sharing as plain data, kept where the record itself cannot be asked (the change
    log keeps who could see a record at the time of each change)."""
    return {
        "level": str(level),
        "owner": owner,
        "organisations": sorted(organisations),
        "people": sorted(people),
    }


def named_person(user_id):
    """The sharing state that admits one person only."""
    return sharing_state(SharingLevel.RED, None, people=[user_id])


@dataclass(frozen=True)
class Viewer:
    """A visitor as the sharing rule sees them, for checking stored sharing states in Python: the
    same rule as ``audience`` (tests hold the two equal), for states that are no longer in the
    database."""

    signed_in: bool = False
    superuser: bool = False
    pk: int | None = None
    organisations: frozenset = frozenset()

    @classmethod
    def of(cls, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return cls()
        return cls(signed_in=True, superuser=user.is_superuser, pk=user.pk, organisations=organisation_ids(user))

    def admits(self, state):
        """Whether a record shared as ``state`` (see ``sharing_state``) is visible to this visitor."""
        level = state["level"]
        if level == SharingLevel.CLEAR or self.superuser:
            return True
        if not self.signed_in:
            return False
        if level == SharingLevel.GREEN:
            return True
        if level in (SharingLevel.AMBER, SharingLevel.AMBER_STRICT) and state["owner"] in self.organisations:
            return True
        if level == SharingLevel.AMBER:
            return not self.organisations.isdisjoint(state["organisations"])
        if level == SharingLevel.RED:
            return self.pk in state["people"]
        return False

    def admits_any(self, states):
        return any(self.admits(state) for state in states)


# -- Widening: what a change of a record's sharing opens to people who could not see it before -----

#: Levels every signed-in account sees; named organisations and people add nobody to them.
PUBLIC_LEVELS = (SharingLevel.CLEAR, SharingLevel.GREEN)


def stored_sharings(record_pks):
    """{pk: sharing state (``sharing_state``)} of records as stored in the database (three queries):
    for a published record, its live version (a draft's changes are in its revisions only)."""
    RecordPage = apps.get_model("portal", "RecordPage")
    rows = RecordPage.objects.filter(pk__in=record_pks).values_list("pk", "sharing_level", "owning_organisation_id")
    organisations, people = {}, {}
    through = RecordPage.shared_with_organisations.through.objects.filter(recordpage_id__in=record_pks)
    for pk, organisation in through.values_list("recordpage_id", "organisation_id"):
        organisations.setdefault(pk, []).append(organisation)
    through = RecordPage.shared_with_people.through.objects.filter(recordpage_id__in=record_pks)
    for pk, person in through.values_list("recordpage_id", "user_id"):
        people.setdefault(pk, []).append(person)
    return {pk: sharing_state(level, owner, organisations.get(pk, ()), people.get(pk, ())) for pk, level, owner in rows}


def stored_sharing(record_pk):
    """The stored sharing state of one record (``stored_sharings``), or None if there is no such record."""
    return stored_sharings([record_pk]).get(record_pk)


def sharing_of(record):
    """The sharing state of a record as it is in memory, e.g. a draft rebuilt from a revision."""
    return sharing_state(
        record.sharing_level,
        record.owning_organisation_id,
        [organisation.pk for organisation in record.shared_with_organisations.all()],
        [person.pk for person in record.shared_with_people.all()],
    )


def _reader_organisations(state):
    """The organisations whose members (or, for TLP:RED, whose staff in the admin) see a record."""
    owner = {state["owner"]} if state["owner"] is not None else set()
    if state["level"] == SharingLevel.AMBER:
        return owner | set(state["organisations"])
    return owner


def _person(user):
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def widenings(before, after):
    """What changing a record's sharing from ``before`` to ``after`` (two ``sharing_state``s) opens to
    people who could not see it, as ``[(field name, in words)]``; empty when nobody gains.

    A wider level always counts (as ``BREADTH`` orders them). Below TLP:GREEN, so does each new
    organisation (shared with, or a new owner), each person named on a TLP:RED record who could not
    see it before, and dropping the owner: a record no organisation owns is the portal's own, which
    every editor and publisher opens in the admin (``portal.models.permissions``)."""
    Organisation = apps.get_model("portal", "Organisation")
    old, new = before["level"], after["level"]
    found = []
    if BREADTH.index(new) < BREADTH.index(old):
        found.append(("sharing_level", f"{old} → {new}: {AUDIENCES[new]}"))
    if old in PUBLIC_LEVELS or new in PUBLIC_LEVELS:
        return found
    old_organisations = _reader_organisations(before)
    added = _reader_organisations(after) - old_organisations
    names = dict(Organisation.objects.filter(pk__in=added).values_list("pk", "name"))
    owner = after["owner"]
    if owner in added:
        readers = "the editors and publishers, in the admin," if new == SharingLevel.RED else "the members"
        found.append(("owning_organisation", f"{readers} of {names[owner]} (the new owning organisation)"))
    if added - {owner}:
        shared = ", ".join(sorted(names[pk] for pk in added - {owner}))
        found.append(("shared_with_organisations", f"the members of {shared}"))
    if owner is None and before["owner"] is not None:
        found.append(("owning_organisation", "every editor and publisher, in the admin (no owning organisation)"))
    if new == SharingLevel.RED:
        if old == SharingLevel.RED:
            could_see = set(before["people"])
        else:
            members = Membership.objects.filter(organisation__in=old_organisations, user__in=after["people"])
            could_see = set(members.values_list("user_id", flat=True))
        people = get_user_model().objects.filter(pk__in=set(after["people"]) - could_see)
        if people:
            named = ", ".join(sorted(_person(person) for person in people))
            found.append(("shared_with_people", f"{named} by name"))
    return found
