"""Agency staff in the Wagtail admin: drafting, review, publishing, and clear form errors."""

import pytest

from django.urls import reverse

from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import querydict_from_html

from findings.models import FindingPage, LessonPage
from frameworks.models import FrameworkPage
from tests.factories import FindingFactory, FrameworkFactory, ProvisionFactory

pytestmark = pytest.mark.django_db

KIND_FIELDS = {
    FrameworkPage: {},
    FindingPage: {"finding_type": "evaluation", "status": "preliminary"},
    LessonPage: {"context": "A telecom operator ran a support bot.", "what_happened": "It leaked data."},
}


def add_form(client, model, parent):
    """The admin's 'add page' form, as a browser would submit it unchanged."""
    url = reverse("wagtailadmin_pages:add", args=(model._meta.app_label, model._meta.model_name, parent.pk))
    response = client.get(url)
    assert response.status_code == 200
    return url, _with_empty_body(querydict_from_html(response.content.decode(), form_id="page-edit-form"))


def _with_empty_body(data):
    # The body StreamField is drawn by JavaScript; a browser with an empty body sends a count of 0.
    data.setdefault("body-count", "0")
    return data


def edit_form(client, page):
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    response = client.get(url)
    assert response.status_code == 200
    return url, _with_empty_body(querydict_from_html(response.content.decode(), form_id="page-edit-form"))


def fill(data, **values):
    for key, value in values.items():
        data[key] = value
    return data


@pytest.mark.parametrize("model", [FrameworkPage, FindingPage, LessonPage])
def test_editor_submits_and_publisher_approves_each_kind(client, indexes, editor, publisher, model):
    kind = model.record_kind
    client.force_login(editor)
    url, data = add_form(client, model, indexes[kind])
    fill(
        data,
        title=f"New {kind}",
        slug=f"new-{kind}",
        summary="Plain summary.",
        publication_date="2024-06-01",
        **KIND_FIELDS[model],
    )
    data["action-submit"] = "Submit for moderation"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = model.objects.get(slug=f"new-{kind}")
    assert not page.live
    state = WorkflowState.objects.get(object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS)
    assert client.get(f"/{indexes[kind].slug}/new-{kind}/").status_code == 404

    # An editor cannot publish; a publisher approves the task and the record goes live.
    client.force_login(publisher)
    task_state = state.current_task_state
    approve = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))
    response = client.post(approve, {"comment": ""})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    assert client.get(f"/{indexes[kind].slug}/new-{kind}/").status_code == 200


def test_editor_cannot_publish_directly(client, indexes, editor):
    client.force_login(editor)
    url, data = add_form(client, FindingPage, indexes["finding"])
    fill(data, title="Direct", slug="direct", summary="S.", publication_date="2024-01-01")
    data["action-publish"] = "Publish"
    client.post(url, data)
    assert not FindingPage.objects.get(slug="direct").live


def test_preview_shows_a_draft_to_its_editor(client, indexes, editor):
    draft = FindingFactory(parent=indexes["finding"], slug="draft", title="Draft under review", live=False)
    client.force_login(editor)
    url, data = edit_form(client, draft)
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=(draft.pk,))
    assert client.post(preview_url, data).json()["is_valid"]
    response = client.get(preview_url)
    assert response.status_code == 200
    assert "Draft under review" in response.content.decode()


def test_admin_rejects_two_provisions_with_the_same_code(admin_client, indexes):
    framework = FrameworkFactory(parent=indexes["framework"])
    ProvisionFactory(framework=framework, code="GOVERN 1.1", sort_order=0)
    ProvisionFactory(framework=framework, code="MAP 1", sort_order=1)
    framework.save_revision().publish()
    url, data = edit_form(admin_client, framework)
    data["provisions-1-code"] = "govern 1.1"
    data["action-publish"] = "Publish"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "already has the code “GOVERN 1.1”" in response.content.decode()
    assert set(framework.provisions.values_list("code", flat=True)) == {"GOVERN 1.1", "MAP 1"}


def test_admin_rejects_a_provision_two_levels_below_the_one_above(admin_client, indexes):
    framework = FrameworkFactory(parent=indexes["framework"])
    ProvisionFactory(framework=framework, code="A", level=1, sort_order=0)
    ProvisionFactory(framework=framework, code="B", level=1, sort_order=1)
    framework.save_revision().publish()
    url, data = edit_form(admin_client, framework)
    data["provisions-1-level"] = "3"
    response = admin_client.post(url, dict(data.lists()) | {"action-publish": "Publish"})
    assert "Level 3 cannot follow level 1" in response.content.decode()


def _with_link(data, target, **extra):
    index = int(data["links-TOTAL_FORMS"])
    data["links-TOTAL_FORMS"] = str(index + 1)
    data[f"links-{index}-link_type"] = extra.get("link_type", "addresses")
    data[f"links-{index}-target"] = str(target.pk)
    data[f"links-{index}-target_provision"] = str(extra["provision"].pk) if extra.get("provision") else ""
    data[f"links-{index}-note"] = ""
    data[f"links-{index}-ORDER"] = str(index + 1)
    data[f"links-{index}-id"] = ""
    data[f"links-{index}-DELETE"] = ""
    return data


def test_admin_rejects_a_link_from_a_record_to_itself(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    url, data = edit_form(admin_client, finding)
    response = admin_client.post(url, _with_link(data, finding) | {"action-publish": "Publish"})
    assert "A record cannot link to itself" in response.content.decode()
    assert not finding.links.exists()


def test_admin_rejects_a_duplicate_link(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    framework = FrameworkFactory(parent=indexes["framework"])
    url, data = edit_form(admin_client, finding)
    _with_link(data, framework)
    _with_link(data, framework)
    response = admin_client.post(url, data | {"action-publish": "Publish"})
    assert "This link is already listed above" in response.content.decode()


def test_admin_rejects_a_provision_of_another_framework_than_the_target(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    first = FrameworkFactory(parent=indexes["framework"])
    second = FrameworkFactory(parent=indexes["framework"])
    provision = ProvisionFactory(framework=second)
    url, data = edit_form(admin_client, finding)
    response = admin_client.post(url, _with_link(data, first, provision=provision) | {"action-publish": "Publish"})
    assert "This provision belongs to another framework" in response.content.decode()


def test_admin_accepts_a_link_to_a_provision_and_publishes_it(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    framework = FrameworkFactory(parent=indexes["framework"])
    provision = ProvisionFactory(framework=framework, code="MEASURE 2.7")
    url, data = edit_form(admin_client, finding)
    response = admin_client.post(url, _with_link(data, framework, provision=provision) | {"action-publish": "Publish"})
    assert response.status_code == 302
    link = finding.links.get()
    assert (link.target_id, link.target_provision_id) == (framework.pk, provision.pk)


def test_admin_rejects_an_end_date_before_the_start_date(admin_client, indexes):
    framework = FrameworkFactory(parent=indexes["framework"])
    url, data = edit_form(admin_client, framework)
    data["effective_date"], data["end_date"] = "2024-08-01", "2024-01-01"
    response = admin_client.post(url, data | {"action-publish": "Publish"})
    assert "The end date is before the effective date" in response.content.decode()


def test_admin_rejects_a_malformed_doi_and_url(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    url, data = edit_form(admin_client, finding)
    data["doi"], data["source_url"] = "https://doi.org/10.1/x", "not a url"
    content = admin_client.post(url, data | {"action-publish": "Publish"}).content.decode()
    assert "This is not a DOI" in content
    assert "Enter a valid URL" in content


def test_edit_form_has_tabs_and_help_text_on_every_record_field(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    content = admin_client.get(reverse("wagtailadmin_pages:edit", args=(finding.pk,))).content.decode()
    for tab in ("Content", "Finding", "Classification", "Links", "Sources"):
        assert f">{tab}<" in content or f"{tab}\n" in content
    own_fields = [f for f in FindingPage._meta.get_fields() if f.model in (FindingPage,) and f.concrete]
    record_fields = [f for f in FindingPage._meta.get_fields() if getattr(f, "model", None).__name__ == "RecordPage"]
    for field in own_fields + record_fields:
        if field.name.endswith("_ptr") or not field.editable:
            continue
        assert field.help_text, f"{field.name} has no help text"


def test_scheduled_publishing_makes_a_record_live_at_its_time(client, indexes, publisher, monkeypatch):
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    finding = FindingFactory(parent=indexes["finding"], slug="later", live=False)
    finding.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    finding.save_revision(user=publisher).publish(user=publisher)
    finding.refresh_from_db()
    assert not finding.live
    assert finding.latest_revision.approved_go_live_at is not None
    assert client.get("/findings/later/").status_code == 404
    # An hour later, the scheduler (cron: manage.py publish_scheduled) publishes it.
    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("publish_scheduled")
    finding.refresh_from_db()
    assert finding.live
    assert client.get("/findings/later/").status_code == 200


def test_revisions_are_kept_for_each_save(admin_client, indexes):
    finding = FindingFactory(parent=indexes["finding"])
    before = finding.revisions.count()
    url, data = edit_form(admin_client, finding)
    data["summary"] = "A second version."
    admin_client.post(url, data)
    admin_client.post(url, data | {"summary": "A third version."})
    assert finding.revisions.count() == before + 2
    assert admin_client.get(reverse("wagtailadmin_pages:history", args=(finding.pk,))).status_code == 200


def test_preview_of_a_draft_neither_reads_nor_fills_the_page_cache(admin_client, indexes):
    framework = FrameworkFactory(parent=indexes["framework"], slug="rmf")
    ProvisionFactory(framework=framework, code="GOVERN 1.1", title="Policies in place", sort_order=0)
    framework.save_revision().publish()
    assert "Policies in place" in admin_client.get("/frameworks/rmf/").content.decode()  # now cached
    url, data = edit_form(admin_client, framework)
    data["provisions-0-title"] = "Policies drafted anew"
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=(framework.pk,))
    assert admin_client.post(preview_url, data).json()["is_valid"]
    preview = admin_client.get(preview_url).content.decode()
    assert "Policies drafted anew" in preview
    assert "Policies drafted anew" not in admin_client.get("/frameworks/rmf/").content.decode()
