"""What staff may do with a record in the admin: their own organisation's records only.

Editors and Publishers see and act on records owned by an organisation they belong to, and on the
portal's shared records (those with no owning organisation); a superuser sees all. The rule is
``RecordQuerySet.manageable_by`` (for querysets) and ``may_manage`` (for one record); pages that
are not records (the home page, index pages) keep Wagtail's own rights.

Wagtail asks its page permission policy which pages a user may explore, search, choose, report
on or act on, so narrowing the policy (``OrganisationPagePermissionPolicy``) closes the page
search, the admin API, the explorer, the usage and workflow reports and site history at once;
``RecordPermissionTester`` narrows the per-page rights (edit, publish, delete…). The hooks that
apply the rule where Wagtail asks no policy are in ``portal/admin_scope.py``.

These are model-layer rules (what an account may manage follows from its memberships), so the
record model reaches its per-page tester without importing anything above it.
"""

from wagtail.models import PagePermissionTester

from .sharing import organisation_ids


def may_manage(user, record):
    """Whether ``user`` may see and act on ``record`` in the admin (on top of Wagtail's page
    rights): ``RecordQuerySet.manageable_by`` for one record already loaded."""
    if not user.is_active:
        return False
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

    def can_unlock(self):
        return self._allowed() and super().can_unlock()

    def can_move(self):
        return self._allowed() and super().can_move()

    def can_copy(self):
        return self._allowed() and super().can_copy()

    def can_view_revisions(self):
        return self._allowed() and super().can_view_revisions()

    def can_set_view_restrictions(self):
        return self._allowed() and super().can_set_view_restrictions()
