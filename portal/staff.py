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
"""

from wagtail.models import PagePermissionTester
from wagtail.permission_policies.pages import PagePermissionPolicy

from portal.models import Membership, RecordPage
from portal.models.sharing import who_may_manage

_CACHE = "_portal_organisation_ids"


def organisation_ids(user):
    """The ids of the organisations ``user`` belongs to, read once per user object (a request)."""
    if not hasattr(user, _CACHE):
        ids = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
        setattr(user, _CACHE, ids)
    return getattr(user, _CACHE)


def may_manage(user, record):
    """Whether ``user`` may see and act on ``record`` in the admin (on top of Wagtail's page
    rights): ``RecordQuerySet.manageable_by`` for one record already loaded."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    owner = record.owning_organisation_id
    return owner is None or owner in organisation_ids(user)


def record_of(page):
    """``page`` as a record if it is one (a plain ``Page`` of a record is made specific), else None."""
    if isinstance(page, RecordPage):
        return page
    specific_class = getattr(page, "specific_class", None)
    if specific_class is not None and issubclass(specific_class, RecordPage) and page.pk:
        return page.specific_deferred
    return None


def in_reach(user, page):
    """Whether ``user`` may see ``page`` in the admin: any page that is not a record, and the
    records they may manage."""
    record = record_of(page)
    return record is None or may_manage(user, record)


def within_reach(user, pages):
    """``pages`` (a queryset of pages of any type) less the records ``user`` may not see."""
    if user.is_superuser:
        return pages
    return pages.exclude(pk__in=RecordPage.objects.not_manageable_by(user).values("pk"))


def choosable(user, pages):
    """``pages`` less the records ``user`` may not choose as a link's target: the page chooser
    offers the same records as the record form accepts (``RecordQuerySet.linkable_by``)."""
    if user.is_superuser:
        return pages
    unlinkable = RecordPage.objects.exclude(pk__in=RecordPage.objects.linkable_by(user).values("pk"))
    return pages.exclude(pk__in=unlinkable.values("pk"))


class OrganisationPagePermissionPolicy(PagePermissionPolicy):
    """Wagtail's page permission policy, narrowed to the records the user may manage.

    Every page list the admin builds from the policy (explorer, page search, admin API, reports,
    site history, workflow reports) and every check of a right on one page leave out the records
    of other organisations; users who could act on a record are only those who may manage it."""

    def instances_user_has_any_permission_for(self, user, actions):
        return within_reach(user, super().instances_user_has_any_permission_for(user, actions))

    def explorable_instances(self, user):
        return within_reach(user, super().explorable_instances(user))

    def user_has_any_permission_for_instance(self, user, actions, instance):
        allowed = super().user_has_any_permission_for_instance(user, actions, instance)
        return allowed and in_reach(user, instance)

    def users_with_any_permission_for_instance(self, actions, instance, include_superusers=True):
        users = super().users_with_any_permission_for_instance(actions, instance, include_superusers)
        record = record_of(instance)
        return users if record is None else who_may_manage(users, record.owning_organisation_id)


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
