"""The publication review: approval by Publishers of the record's own organisation.

Wagtail's group approval task lets every member of its groups receive, preview, approve and reject
every draft. ``OrganisationApprovalTask`` keeps the groups and narrows them to the records each
member may manage (``RecordQuerySet.manageable_by``): a Publisher of one organisation is never
asked to review, and cannot act on, another organisation's draft. Pages that are not records are
reviewed by the groups as before.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from wagtail.models import GroupApprovalTask, Page

from .records import RecordPage
from .sharing import who_may_manage


class OrganisationApprovalTask(GroupApprovalTask):
    """Approval by members of the chosen groups who may manage the record under review."""

    def in_reach(self, obj, user):
        """Whether ``user`` may review ``obj``: any object that is not a record, and the records
        ``user`` may manage."""
        if user.is_superuser or not isinstance(obj, Page):
            return True
        return not RecordPage.objects.filter(pk=obj.pk).not_manageable_by(user).exists()

    def user_can_access_editor(self, obj, user):
        return super().user_can_access_editor(obj, user) and self.in_reach(obj, user)

    def locked_for_user(self, obj, user):
        return super().locked_for_user(obj, user) or not self.in_reach(obj, user)

    def user_can_lock(self, obj, user):
        return super().user_can_lock(obj, user) and self.in_reach(obj, user)

    def get_actions(self, obj, user):
        return super().get_actions(obj, user) if self.in_reach(obj, user) else []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if user.is_superuser:
            return states
        out_of_reach = RecordPage.objects.not_manageable_by(user).annotate(key=Cast("pk", CharField())).values("key")
        return states.exclude(
            workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
            workflow_state__object_id__in=out_of_reach,
        )

    def reviewers(self, obj, users):
        """``users`` (a queryset of accounts) less those who may not review ``obj``."""
        if not isinstance(obj, Page):
            return users
        # Not a record, or a record no organisation owns: the groups' members, as before.
        owner = RecordPage.objects.filter(pk=obj.pk).values_list("owning_organisation_id", flat=True).first()
        return who_may_manage(users, owner)

    @classmethod
    def get_description(cls):
        return _("Members of the chosen groups approve the records of their own organisations")

    class Meta:
        verbose_name = _("Organisation approval task")
        verbose_name_plural = _("Organisation approval tasks")
