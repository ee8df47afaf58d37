"""Organisation boundaries in the admin, wired into Wagtail's extension points.

Staff see and act only on the records they may manage (``portal/models/permissions.py``). Most of the admin
asks the page permission policy, which is replaced here by ``OrganisationPagePermissionPolicy``.
The rest asks no policy, and is narrowed by hooks:

- every view of one record (edit, history, workflow actions and previews…) and the explorer and
  page chooser of a record out of reach answer 404, as for a page that does not exist, and the
  chooser lists and finds only pages in reach (and records the user may see on the site);
- bulk actions leave out records out of reach (404 when none is left), so their confirmation pages
  never name them;
- a submitted draft is announced by e-mail only to the reviewers who may manage it.

Imported by ``portal/wagtail_hooks.py``, where Wagtail looks for hooks and expects permission
policies to be registered.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import Http404

from wagtail import hooks
from wagtail.admin.mail import GroupApprovalTaskStateSubmissionEmailNotifier
from wagtail.admin.views.chooser import ChosenMultipleView
from wagtail.admin.views.pages.bulk_actions.delete import DeleteBulkAction
from wagtail.admin.views.pages.bulk_actions.move import MoveBulkAction
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction
from wagtail.admin.views.pages.bulk_actions.unpublish import UnpublishBulkAction
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import AbstractPage, ModelLogEntry, Page, PageLogEntry, TaskState
from wagtail.permissions import register_permission_policy
from wagtail.signals import task_submitted

from portal.models import OrganisationApprovalTask, RecordPage
from portal.models.reach import OrganisationPagePermissionPolicy, choosable, in_reach, within_reach

register_permission_policy(AbstractPage, OrganisationPagePermissionPolicy(Page))


def _page_in_reach(user, page_id):
    return within_reach(user, Page.objects.filter(pk=page_id)).exists()


@hooks.register("construct_explorer_page_queryset")
def explore_only_pages_in_reach(parent_page, pages, request):
    """The explorer of a record out of reach is a page that does not exist (its children are
    already narrowed by the permission policy)."""
    if not in_reach(request.user, parent_page):
        raise Http404
    return pages


@hooks.register("construct_page_chooser_queryset")
def choose_only_pages_in_reach(pages, request):
    """The page chooser browses and finds only pages in reach, and the records the user may see
    on the site anyway (a cross-link may point at another organisation's public record);
    browsing into a record out of reach answers 404."""
    match = request.resolver_match
    parent_id = match.kwargs.get("parent_page_id") if match else None
    if parent_id is not None and not _page_in_reach(request.user, parent_id):
        raise Http404
    return choosable(request.user, pages)


class ChosenPagesInReachView(ChosenMultipleView):
    """Wagtail's "pages chosen" answer of the page chooser (it names each page by id), for the
    pages the chooser offers only: any other id is left out, as an id that does not exist. Wagtail
    has no hook here, so ``portal/urls.py`` routes the chooser's URL to this view first."""

    def get(self, request):
        ids = [value for value in request.GET.getlist("id") if value.isdigit()]
        offered = choose_only_pages_in_reach(Page.objects.filter(pk__in=ids), request)
        request.GET = request.GET.copy()
        request.GET.setlist("id", [str(pk) for pk in offered.values_list("pk", flat=True)])
        return super().get(request)


class SiteHistoryInReachView(LogEntriesView):
    """Wagtail's site history, less what staff of one organisation may not see: the entries of
    deleted pages (a deleted record's owner is no longer known, so only superusers see them) and
    of objects an app keeps in reach with the ``objects_in_reach`` hook (for example crosswalks
    between frameworks out of reach). Wagtail has no hook here, so ``portal/urls.py`` routes the
    report's URLs to this view first."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        user = self.request.user
        if user.is_superuser:
            return queryset
        if issubclass(queryset.model, PageLogEntry):
            return queryset.exclude(deleted=True)
        if issubclass(queryset.model, ModelLogEntry):
            for get_rule in hooks.get_hooks("objects_in_reach"):
                model, in_reach_of = get_rule()
                kept = [str(pk) for pk in in_reach_of(user).values_list("pk", flat=True)]
                content_type = ContentType.objects.get_for_model(model)
                queryset = queryset.exclude(Q(content_type=content_type) & ~Q(object_id__in=kept))
        return queryset


class RecordPageViewSet(PageViewSet):
    """Wagtail's views of one record (edit, history, revisions, workflow actions and previews,
    copy, move, delete…): for a record out of reach each answers 404, as for a page that does not
    exist, before Wagtail's view runs; so no message, error or preview names it."""

    model = RecordPage
    name = "record_pages"
    #: the URL keywords under which Wagtail's page views take the page's id
    PAGE_ID_KWARGS = ("page_id", "page_to_move_id", "pk")

    def construct_view(self, view_class, **kwargs):
        view = super().construct_view(view_class, **kwargs)

        def view_in_reach(request, *args, **view_kwargs):
            for name in self.PAGE_ID_KWARGS:
                if name in view_kwargs and not _page_in_reach(request.user, view_kwargs[name]):
                    raise Http404
            return view(request, *args, **view_kwargs)

        return view_in_reach


@hooks.register("register_admin_viewset")
def register_record_page_viewset():
    return RecordPageViewSet()


class InReachBulkActionMixin:
    """Pages out of reach are left out of a bulk action as if their ids did not exist: neither
    acted on nor named among the pages 'you do not have permission to' act on."""

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        refused = extra["items_with_no_access"]
        ids = [page.pk for page in objects + refused]
        reachable = set(within_reach(self.request.user, Page.objects.filter(pk__in=ids)).values_list("pk", flat=True))
        objects = [page for page in objects if page.pk in reachable]
        extra["items_with_no_access"] = [page for page in refused if page.pk in reachable]
        if not objects and not extra["items_with_no_access"]:
            raise Http404
        return objects, extra


# Registered after Wagtail's own page bulk actions (order 0), which they replace.
for action in (DeleteBulkAction, MoveBulkAction, PublishBulkAction, UnpublishBulkAction):
    narrowed = type(action.__name__, (InReachBulkActionMixin, action), {"__module__": __name__})
    hooks.register("register_bulk_action", narrowed, order=1)


class OrganisationTaskSubmissionNotifier(GroupApprovalTaskStateSubmissionEmailNotifier):
    """Wagtail's 'submitted for review' e-mail, sent only to reviewers who may manage the record."""

    def get_recipient_users(self, task_state, **kwargs):
        users = super().get_recipient_users(task_state, **kwargs)
        task = task_state.task.specific
        if isinstance(task, OrganisationApprovalTask):
            users = task.reviewers(task_state.workflow_state.content_object, users)
        return users


# Takes the place of Wagtail's notifier under its dispatch_uid, whichever of the two is connected
# first: a receiver with the same dispatch_uid is not connected twice.
SUBMISSION_NOTIFICATION = "group_approval_task_submitted_email_notification"
submission_notifier = OrganisationTaskSubmissionNotifier()
task_submitted.disconnect(sender=TaskState, dispatch_uid=SUBMISSION_NOTIFICATION)
task_submitted.connect(submission_notifier, sender=TaskState, dispatch_uid=SUBMISSION_NOTIFICATION, weak=False)
