"""Sharing levels after the Traffic Light Protocol 2.0 (https://www.first.org/tlp/), and who may
see what. ``audience`` is the one rule; ``RecordQuerySet.visible_to`` applies it everywhere.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q

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
    """A person's membership of an organisation. A person can belong to several."""

    organisation = models.ForeignKey("portal.Organisation", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    since = models.DateField(auto_now_add=True)

    panels = [FieldPanel("user")]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_person")]

    def __str__(self):
        return f"{self.user} in {self.organisation}"


def audience(user):
    """A filter on records keeping those whose sharing level lets ``user`` see them.

    Publication state (live, not expired) is checked by ``RecordQuerySet.visible_to``, which is
    what every surface calls."""
    from .records import RecordPage

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
        organisations = frozenset(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        return cls(signed_in=True, superuser=user.is_superuser, pk=user.pk, organisations=organisations)

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
