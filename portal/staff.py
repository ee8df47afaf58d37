"""What staff may do with a record in the admin: their own organisation's records only.

Editors and Publishers see and edit records owned by an organisation they belong to, and the
portal's shared records (those with no owning organisation); a superuser sees all.
"""

from wagtail.models import PagePermissionTester

from portal.models import Membership


def organisation_ids(user):
    return set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))


def may_manage(user, record):
    """Whether ``user`` may edit, publish or delete ``record`` (on top of Wagtail's page rights)."""
    if user.is_superuser:
        return True
    owner = record.owning_organisation_id
    return owner is None or owner in organisation_ids(user)


class RecordPermissionTester(PagePermissionTester):
    """Wagtail's page rights, narrowed to records of the user's own organisations."""

    def _allowed(self):
        if not hasattr(self, "_may_manage"):
            self._may_manage = may_manage(self.user, self.page)
        return self._may_manage

    def can_edit(self):
        return self._allowed() and super().can_edit()

    def can_delete(self, ignore_bulk=False):
        return self._allowed() and super().can_delete(ignore_bulk=ignore_bulk)

    def can_publish(self):
        return self._allowed() and super().can_publish()

    def can_unpublish(self):
        return self._allowed() and super().can_unpublish()

    def can_submit_for_moderation(self):
        return self._allowed() and super().can_submit_for_moderation()

    def can_lock(self):
        return self._allowed() and super().can_lock()

    def can_move(self):
        return self._allowed() and super().can_move()

    def can_copy(self):
        return self._allowed() and super().can_copy()

    def can_view_revisions(self):
        return self._allowed() and super().can_view_revisions()
