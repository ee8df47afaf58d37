"""Memberships in the admin: who may add, remove or change the members of an organisation, and the
audit log of every such change."""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.test.utils.form_data import querydict_from_html

from portal.models import AuditEntry, Membership
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def edit_url(organisation):
    return reverse("wagtailsnippets_portal_organisation:edit", args=(organisation.pk,))


def edit_form(client, organisation):
    """The organisation's edit page, GET, and its form as a browser would submit it unchanged."""
    url = edit_url(organisation)
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    # The parser sends a ticked box without a value attribute as "", which the form reads as not
    # ticked; a browser sends "on".
    for key in [key for key, value in data.items() if key.endswith("-is_administrator") and value == ""]:
        data[key] = "on"
    return url, data


def with_member(data, user, administrator=False):
    """``data`` with one more row in the Members formset."""
    index = int(data["memberships-TOTAL_FORMS"])
    data["memberships-TOTAL_FORMS"] = str(index + 1)
    data[f"memberships-{index}-user"] = str(user.pk)
    data[f"memberships-{index}-is_administrator"] = "on" if administrator else ""
    data[f"memberships-{index}-id"] = ""
    data[f"memberships-{index}-DELETE"] = ""
    return data


def entries_since(since):
    """The membership entries of the audit log written after ``since`` (from ``mark()``): the
    memberships a test sets up are audited too."""
    return AuditEntry.objects.filter(action=AuditEntry.Action.MEMBERSHIP_CHANGED, pk__gt=since)


def mark():
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def row_of(data, user):
    """The formset prefix of ``user``'s row, e.g. 'memberships-0'."""
    for key, value in data.items():
        if key.startswith("memberships-") and key.endswith("-user") and value == str(user.pk):
            return key.removesuffix("-user")
    raise AssertionError(f"{user} has no row in the Members formset")


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Partner Lab", slug="partner-lab")


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create_user("newcomer", "n@example.org", "pw")


@pytest.fixture
def staff(django_user_model):
    """An Editor (who may change organisations' descriptive fields) of no organisation."""
    user = django_user_model.objects.create_user("staffer", "s@example.org", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_superuser_opens_the_organisation_edit_page_and_saves_it_unchanged(admin_client, organisation, person):
    Membership.objects.create(organisation=organisation, user=person)
    url, data = edit_form(admin_client, organisation)
    assert "Members" in admin_client.get(url).content.decode()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(organisation.memberships.values_list("user__username", flat=True)) == ["newcomer"]


def test_superuser_adds_a_member_and_the_audit_log_says_who_and_where(admin_client, admin_user, organisation, person):
    url, data = edit_form(admin_client, organisation)
    response = admin_client.post(url, with_member(data, person))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(organisation=organisation, user=person, is_administrator=False).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBERSHIP_CHANGED)
    assert entry.user == admin_user
    assert "Partner Lab" in entry.target
    assert entry.detail["change"] == "added"
    assert entry.detail["member"] == "newcomer"
    assert entry.detail["organisation"] == organisation.pk


def test_removing_a_member_and_changing_the_administrator_flag_are_audited(admin_client, organisation, person, staff):
    Membership.objects.create(organisation=organisation, user=person)
    Membership.objects.create(organisation=organisation, user=staff)
    url, data = edit_form(admin_client, organisation)
    data[f"{row_of(data, person)}-DELETE"] = "1"
    data[f"{row_of(data, staff)}-is_administrator"] = "on"
    since = mark()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(organisation.memberships.values_list("user__username", "is_administrator")) == [("staffer", True)]
    entries = {e.detail["member"]: e.detail for e in entries_since(since)}
    assert entries["newcomer"]["change"] == "removed"
    assert entries["staffer"]["change"] == "changed"
    assert entries["staffer"]["administrator"] is True and entries["staffer"]["administrator_before"] is False
    assert len(entries) == 2


def test_saving_unchanged_members_writes_no_audit_entry(admin_client, organisation, person):
    Membership.objects.create(organisation=organisation, user=person)
    url, data = edit_form(admin_client, organisation)
    since = mark()
    assert admin_client.post(url, data).status_code == 302
    assert not entries_since(since).exists()


def test_the_same_person_twice_is_a_form_error_not_a_crash(admin_client, organisation, person):
    Membership.objects.create(organisation=organisation, user=person)
    url, data = edit_form(admin_client, organisation)
    response = admin_client.post(url, with_member(data, person))
    assert response.status_code == 200
    assert "duplicate" in response.content.decode()
    assert organisation.memberships.count() == 1


def test_an_editor_edits_the_description_but_cannot_add_themselves_as_a_member(client, organisation, staff):
    client.force_login(staff)
    url, data = edit_form(client, organisation)
    assert "memberships-TOTAL_FORMS" not in data  # no Members formset for them
    data["description"] = "A lab that tests models."
    # A hand-made request with a Members formset changes nothing either.
    data["memberships-TOTAL_FORMS"], data["memberships-INITIAL_FORMS"] = "0", "0"
    data["memberships-MIN_NUM_FORMS"], data["memberships-MAX_NUM_FORMS"] = "0", "1000"
    response = client.post(url, with_member(data, staff, administrator=True))
    assert response.status_code == 302, response.content.decode()[:3000]
    organisation.refresh_from_db()
    assert organisation.description == "A lab that tests models."
    assert not Membership.objects.filter(user=staff).exists()
    assert not AuditEntry.objects.filter(action="membership_changed").exists()


def test_an_ordinary_member_cannot_manage_their_organisations_members(client, organisation, staff, person):
    Membership.objects.create(organisation=organisation, user=staff)
    client.force_login(staff)
    url, data = edit_form(client, organisation)
    assert "memberships-TOTAL_FORMS" not in data


def test_an_organisation_administrator_manages_their_own_organisations_members(client, organisation, staff, person):
    Membership.objects.create(organisation=organisation, user=staff, is_administrator=True)
    client.force_login(staff)
    url, data = edit_form(client, organisation)
    since = mark()
    response = client.post(url, with_member(data, person))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(organisation=organisation, user=person).exists()
    [entry] = entries_since(since)
    assert entry.user == staff and entry.detail["member"] == "newcomer"


def test_an_organisation_administrator_cannot_manage_another_organisations_members(client, organisation, staff, person):
    Membership.objects.create(organisation=organisation, user=staff, is_administrator=True)
    other = OrganisationFactory(name="Other Lab", slug="other-lab")
    client.force_login(staff)
    url, data = edit_form(client, other)
    assert "memberships-TOTAL_FORMS" not in data
    data["memberships-TOTAL_FORMS"], data["memberships-INITIAL_FORMS"] = "0", "0"
    client.post(url, with_member(data, staff))
    assert not Membership.objects.filter(organisation=other).exists()


def test_an_editor_creating_an_organisation_cannot_add_members(client, staff, person):
    client.force_login(staff)
    url = reverse("wagtailsnippets_portal_organisation:add")
    response = client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    assert "memberships-TOTAL_FORMS" not in data
    data.update({"name": "New Lab", "slug": "new-lab"})
    data["memberships-TOTAL_FORMS"], data["memberships-INITIAL_FORMS"] = "0", "0"
    response = client.post(url, with_member(data, staff, administrator=True))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Membership.objects.filter(user=staff).exists()


def test_deleting_an_organisation_audits_the_memberships_it_ends(admin_client, admin_user, organisation, person):
    Membership.objects.create(organisation=organisation, user=person)
    url = reverse("wagtailsnippets_portal_organisation:delete", args=(organisation.pk,))
    since = mark()
    assert admin_client.post(url).status_code == 302
    [entry] = entries_since(since)
    assert entry.detail["change"] == "removed" and entry.detail["member"] == "newcomer"
    assert entry.user == admin_user and "Partner Lab" in entry.target


def test_saving_an_organisation_with_unchanged_members_tells_the_change_feed_nothing(admin_client, indexes, person):
    from portal.models import RecordChange, SharingLevel
    from tests.factories import FindingFactory

    organisation = OrganisationFactory(name="Owner Agency", slug="owner-agency")
    Membership.objects.create(organisation=organisation, user=person)
    FindingFactory(parent=indexes["finding"], sharing_level=SharingLevel.AMBER, owning_organisation=organisation)
    url, data = edit_form(admin_client, organisation)
    data["description"] = "New words."
    since = RecordChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert admin_client.post(url, data).status_code == 302
    assert not RecordChange.objects.filter(pk__gt=since, action=RecordChange.Action.SHARING).exists()


def test_a_superuser_creates_an_organisation_with_its_first_administrator(admin_client, admin_user, staff):
    url = reverse("wagtailsnippets_portal_organisation:add")
    response = admin_client.get(url)
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data.update({"name": "New Lab", "slug": "new-lab"})
    response = admin_client.post(url, with_member(data, staff, administrator=True))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.filter(organisation__slug="new-lab", user=staff, is_administrator=True).exists()
    [entry] = AuditEntry.objects.filter(action="membership_changed")
    assert entry.user == admin_user and entry.detail["change"] == "added" and entry.detail["administrator"] is True
