"""Every change that lets more people see a record asks for confirmation in the admin, and every
change of a record's sharing that is saved or goes live is in the audit log: the sharing level,
the organisations it is shared with, the people named on a TLP:RED record and the owning
organisation alike, however the draft is published (edit form, page listing, review, schedule)."""

import datetime

import pytest

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry, Membership, SharingLevel
from tests.factories import FindingFactory, OrganisationFactory
from tests.portal.test_admin import edit_form as admin_edit_form

pytestmark = pytest.mark.django_db

CONFIRM = {"confirm_wider_sharing": "on"}
PUBLISH = {"action-publish": "Publish"}


@pytest.fixture
def owner():
    return OrganisationFactory(name="Owner Agency", slug="owner-agency")


@pytest.fixture
def partner():
    return OrganisationFactory(name="Partner Lab", slug="partner-lab")


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user(
        "rita", "rita@example.org", "pw", first_name="Rita", last_name="Reader"
    )


def record_at(indexes, level, owner, **extra):
    return FindingFactory(
        parent=indexes["finding"], title="Restricted", sharing_level=level, owning_organisation=owner, **extra
    )


def edit_form(client, record):
    """The record's edit form as a browser submits it unchanged. The form parser of the tests picks
    the first option of a multiple select that has none selected, which a browser does not do: the
    named people are set back to the record's own."""
    url, data = admin_edit_form(client, record)
    data.setlist("shared_with_people", [str(pk) for pk in record.shared_with_people.values_list("pk", flat=True)])
    return url, data


def audited():
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.SHARING_CHANGED).order_by("id"))


def test_naming_a_reader_of_a_red_record_asks_for_confirmation(admin_client, admin_user, indexes, owner, reader):
    record = record_at(indexes, SharingLevel.RED, owner)
    url, data = edit_form(admin_client, record)
    data.setlist("shared_with_people", [str(reader.pk)])
    response = admin_client.post(url, data | PUBLISH)
    content = response.content.decode()
    assert response.status_code == 200
    assert "wider audience" in content and "rita" in content
    assert not record.shared_with_people.exists()
    assert audited() == []

    response = admin_client.post(url, data | PUBLISH | CONFIRM)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(record.shared_with_people.all()) == [reader]
    [entry] = audited()
    assert entry.user == admin_user
    assert entry.detail["before"]["people"] == [] and entry.detail["after"]["people"] == [reader.pk]
    assert entry.detail["published"] is True
    assert any("rita" in reason for reason in entry.detail["widened"])


def test_sharing_an_amber_record_with_another_organisation_asks_for_confirmation(admin_client, indexes, owner, partner):
    record = record_at(indexes, SharingLevel.AMBER, owner)
    url, data = edit_form(admin_client, record)
    data.setlist("shared_with_organisations", [str(partner.pk)])
    response = admin_client.post(url, data | PUBLISH)
    assert response.status_code == 200
    assert "Partner Lab" in response.content.decode() and "wider audience" in response.content.decode()
    assert not record.shared_with_organisations.exists()

    assert admin_client.post(url, data | PUBLISH | CONFIRM).status_code == 302
    assert list(record.shared_with_organisations.all()) == [partner]
    [entry] = audited()
    assert entry.detail["after"]["organisations"] == [partner.pk]


def test_an_editor_sharing_with_another_organisation_needs_the_tick_too(
    client, indexes, owner, partner, django_user_model
):
    editor = django_user_model.objects.create_user("editor", "e@example.org", "pw")
    editor.groups.add(Group.objects.get(name="Editors"), Group.objects.get(name="Publishers"))
    Membership.objects.create(user=editor, organisation=owner)
    record = record_at(indexes, SharingLevel.AMBER, owner)
    client.force_login(editor)
    url, data = edit_form(client, record)
    data.setlist("shared_with_organisations", [str(partner.pk)])
    assert "wider audience" in client.post(url, data | PUBLISH).content.decode()
    assert not record.shared_with_organisations.exists()


def test_handing_a_record_to_another_owning_organisation_asks_for_confirmation(admin_client, indexes, owner, partner):
    record = record_at(indexes, SharingLevel.AMBER_STRICT, owner)
    url, data = edit_form(admin_client, record)
    data["owning_organisation"] = str(partner.pk)
    response = admin_client.post(url, data | PUBLISH)
    assert response.status_code == 200
    assert "wider audience" in response.content.decode() and "Partner Lab" in response.content.decode()
    record.refresh_from_db()
    assert record.owning_organisation == owner


def test_removing_the_owning_organisation_of_a_restricted_record_asks_for_confirmation(admin_client, indexes, owner):
    record = record_at(indexes, SharingLevel.AMBER_STRICT, owner)
    url, data = edit_form(admin_client, record)
    data["owning_organisation"] = ""
    response = admin_client.post(url, data | PUBLISH)
    assert response.status_code == 200
    assert "wider audience" in response.content.decode()
    record.refresh_from_db()
    assert record.owning_organisation == owner


def test_narrowing_needs_no_confirmation_and_is_audited(admin_client, indexes, owner, partner, reader):
    record = record_at(indexes, SharingLevel.AMBER, owner)
    record.shared_with_organisations.set([partner])
    record.save()
    url, data = edit_form(admin_client, record)
    data.setlist("shared_with_organisations", [])
    assert admin_client.post(url, data | PUBLISH).status_code == 302
    assert not record.shared_with_organisations.exists()
    [entry] = audited()
    assert entry.detail["widened"] == []


def test_naming_a_member_of_the_owner_on_a_red_record_is_not_a_widening(admin_client, indexes, owner, reader):
    Membership.objects.create(user=reader, organisation=owner)
    record = record_at(indexes, SharingLevel.AMBER, owner)
    url, data = edit_form(admin_client, record)
    data["sharing_level"] = SharingLevel.RED
    data.setlist("shared_with_people", [str(reader.pk)])
    assert admin_client.post(url, data | PUBLISH).status_code == 302


def test_a_wider_draft_saved_without_publishing_is_audited_as_a_draft(admin_client, indexes, owner, partner):
    record = record_at(indexes, SharingLevel.AMBER, owner)
    url, data = edit_form(admin_client, record)
    data.setlist("shared_with_organisations", [str(partner.pk)])
    assert admin_client.post(url, data).status_code == 200  # saving a draft asks too
    assert admin_client.post(url, data | CONFIRM).status_code == 302
    assert not record.shared_with_organisations.exists()  # the live record is unchanged
    [entry] = audited()
    assert entry.detail["published"] is False
    assert entry.detail["after"]["organisations"] == [partner.pk]


def wider_draft(record, author, level=SharingLevel.CLEAR):
    """A draft of ``record`` at a wider ``level``, saved as a revision: the live record is unchanged."""
    record.sharing_level = level
    return record.save_revision(user=author)


def test_publishing_a_wider_draft_from_the_page_listing_is_audited(admin_client, admin_user, indexes, owner, reader):
    record = record_at(indexes, SharingLevel.AMBER, owner)
    wider_draft(record, reader)
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish")) + f"?id={record.pk}"
    response = admin_client.post(url, {"include_descendants": ""})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.sharing_level == SharingLevel.CLEAR
    [entry] = audited()
    assert entry.user == admin_user
    assert (
        entry.detail["before"]["level"] == SharingLevel.AMBER and entry.detail["after"]["level"] == SharingLevel.CLEAR
    )
    assert entry.detail["published"] is True
    assert entry.detail["revision_by"] == "rita"
    assert entry.detail["widened"]


def test_a_publisher_approving_a_wider_draft_is_audited(client, indexes, owner, partner, django_user_model):
    from wagtail.models import Workflow

    publisher = django_user_model.objects.create_user("pablo", "p@example.org", "pw")
    publisher.groups.add(Group.objects.get(name="Publishers"))
    Membership.objects.create(user=publisher, organisation=owner)
    record = record_at(indexes, SharingLevel.AMBER, owner)
    record.shared_with_organisations.set([partner])
    revision = record.save_revision(user=publisher)
    state = Workflow.objects.get(name="Publication review").start(record, publisher)
    assert state.current_task_state.revision_id == revision.pk
    client.force_login(publisher)
    approve = reverse("wagtailadmin_pages:workflow_action", args=(record.pk, "approve", state.current_task_state.pk))
    assert client.post(approve, {"comment": ""}).status_code in (200, 302)
    assert list(record.shared_with_organisations.all()) == [partner]
    [entry] = audited()
    assert entry.user == publisher
    assert entry.detail["after"]["organisations"] == [partner.pk]


def test_scheduled_publishing_of_a_wider_draft_is_audited(indexes, owner, reader, monkeypatch):
    record = record_at(indexes, SharingLevel.AMBER_STRICT, owner)
    record.save_revision().publish()  # live through a revision, as the admin and the importer do
    record.refresh_from_db()
    record.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    wider_draft(record, reader, level=SharingLevel.GREEN).publish()
    record.refresh_from_db()
    assert record.sharing_level == SharingLevel.AMBER_STRICT
    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("publish_scheduled")
    record.refresh_from_db()
    assert record.sharing_level == SharingLevel.GREEN
    [entry] = audited()
    assert entry.user is None
    assert entry.detail["after"]["level"] == SharingLevel.GREEN and entry.detail["published"] is True
    assert entry.detail["revision_by"] == "rita"


def test_publishing_without_a_sharing_change_writes_no_sharing_entry(admin_client, indexes, owner):
    record = record_at(indexes, SharingLevel.AMBER, owner)
    record.summary = "Changed words only."
    record.save_revision().publish()
    assert audited() == []


def test_the_first_publication_of_a_record_writes_no_sharing_entry(indexes, owner):
    record = record_at(indexes, SharingLevel.AMBER, owner, live=False)
    wider_draft(record, None).publish()
    record.refresh_from_db()
    assert record.live and record.sharing_level == SharingLevel.CLEAR
    assert audited() == []
