"""Sharing levels after the Traffic Light Protocol 2.0 (https://www.first.org/tlp/), and who may
see what. ``audience`` is the one rule; ``RecordQuerySet.visible_to`` applies it everywhere.
"""

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
