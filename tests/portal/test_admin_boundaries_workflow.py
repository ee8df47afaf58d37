"""Organisation boundaries in the moderation workflow: a publisher of organisation B is neither
asked, told nor allowed to review organisation A's drafts (tests/portal/test_admin_boundaries.py
says how these tests work).
"""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.models import Task, TaskState, WorkflowState

from portal.models import Membership
from tests.portal.admin_boundaries import (
    OURS,
    assert_nothing_of_theirs,
    assert_refused,
)

pytestmark = pytest.mark.django_db


# -- The moderation workflow ----------------------------------------------------------------------


@pytest.fixture
def in_moderation(orgs, editor):
    """A's draft and B's draft, each submitted for moderation by its own organisation's editor."""
    states = {}
    for key, author in (("amber", orgs["author_a"]), ("ours", editor)):
        page = orgs[key]
        page.title = page.title + " revised"
        page.save_revision(user=author)
        states[key] = page.get_workflow().start(page, author)
    return states


def test_the_default_workflow_uses_the_organisation_aware_task(db):
    from portal.models import OrganisationApprovalTask

    task = Task.objects.get(name="Publisher approval")
    assert isinstance(task.specific, OrganisationApprovalTask)
    assert list(task.specific.groups.values_list("name", flat=True)) == ["Publishers"]


def test_publisher_is_not_asked_to_review_another_organisations_draft(client, orgs, publisher, in_moderation):
    assert set(TaskState.objects.reviewable_by(publisher)) == {in_moderation["ours"].current_task_state}
    client.force_login(publisher)
    dashboard = client.get(reverse("wagtailadmin_home"))
    assert dashboard.status_code == 200
    assert OURS in assert_nothing_of_theirs(dashboard)
    for name in ("workflow", "workflow_tasks"):
        report = client.get(reverse(f"wagtailadmin_reports:{name}"))
        assert report.status_code == 200
        assert OURS in assert_nothing_of_theirs(report)


def test_publisher_cannot_preview_approve_or_reject_another_organisations_draft(client, orgs, publisher, in_moderation):
    client.force_login(publisher)
    page, state = orgs["amber"], in_moderation["amber"]
    task_state = state.current_task_state
    assert_refused(
        client, client.get(reverse("wagtailadmin_pages:workflow_preview", args=(page.pk, task_state.task_id)))
    )
    for action in ("approve", "reject"):
        url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))
        assert_refused(client, client.get(url))
        assert_refused(client, client.post(url, {"comment": "looks fine"}))
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.status == TaskState.STATUS_IN_PROGRESS

    # Their own organisation's draft: previewed and approved as before.
    own_state = in_moderation["ours"]
    own_task_state = own_state.current_task_state
    own_preview = reverse("wagtailadmin_pages:workflow_preview", args=(orgs["ours"].pk, own_task_state.task_id))
    assert client.get(own_preview).status_code == 200
    approve = reverse("wagtailadmin_pages:workflow_action", args=(orgs["ours"].pk, "approve", own_task_state.pk))
    client.post(approve, {"comment": ""})
    own_state.refresh_from_db()
    assert own_state.status == WorkflowState.STATUS_APPROVED


def test_publishers_of_another_organisation_are_not_told_about_a_submission(
    orgs, publisher, django_user_model, mailoutbox
):
    colleague = django_user_model.objects.create_user("paula", "paula@example.org", "pw")
    colleague.groups.add(Group.objects.get(name="Publishers"))
    Membership.objects.create(user=colleague, organisation=orgs["a"])
    page = orgs["amber"]
    page.save_revision(user=orgs["author_a"])
    page.get_workflow().start(page, orgs["author_a"])
    recipients = {address for message in mailoutbox for address in message.to}
    assert "paula@example.org" in recipients
    assert "pablo@example.org" not in recipients


def test_workflow_views_of_a_record_out_of_reach_answer_404_even_when_it_is_not_in_review(client, orgs, publisher):
    client.force_login(publisher)
    task = Task.objects.get(name="Publisher approval")
    for page in (orgs["amber"], orgs["red"]):
        urls = [
            reverse("wagtailadmin_pages:workflow_preview", args=(page.pk, task.pk)),
            reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", 1)),
            reverse("wagtailadmin_pages:history", args=(page.pk,)),
            reverse("wagtailadmin_pages:edit", args=(page.pk,)),
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, url
            assert_nothing_of_theirs(response)
