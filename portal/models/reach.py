"""What staff reach in the admin: the page permission policy narrowed to the records they may
manage, and the helpers the admin's hooks (``portal/admin_scope.py``) apply where Wagtail asks no
policy. The rule itself is ``RecordQuerySet.manageable_by``; one record's is ``may_manage``
(``portal/models/permissions.py``)."""

from wagtail.permission_policies.pages import PagePermissionPolicy

from .permissions import may_manage
from .records import RecordPage
from .sharing import who_may_manage


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
