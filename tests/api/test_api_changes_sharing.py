"""The change feed tells a caller only of records the caller may see now or could see when they
changed: no UUID, time or action of a record the caller never could see."""

import json

import pytest

from django.test import Client

from portal.models import CrossLink, Membership, RecordChange, SharingLevel, Viewer, audience
from tests.api.test_api_changes import Mirror, feed, fresh, publish
from tests.factories import FindingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation(db):
    return OrganisationFactory(slug="owner")


def hidden_finding(indexes, organisation, level=SharingLevel.RED, **fields):
    return publish(
        FindingFactory(
            parent=indexes["finding"], live=False, sharing_level=level, owning_organisation=organisation, **fields
        )
    )


def test_an_anonymous_replay_never_names_a_record_it_never_could_see(client, indexes, organisation):
    secret = hidden_finding(indexes, organisation)
    secret.title = "Renamed"
    secret.sharing_level = SharingLevel.AMBER
    publish(secret)
    fresh(secret).unpublish()
    public = publish(FindingFactory(parent=indexes["finding"], live=False))
    text = json.dumps(feed(client))
    assert str(secret.translation_key) not in text
    assert str(public.translation_key) in text


def test_editing_a_hidden_record_tells_outsiders_nothing_about_its_public_neighbours(client, indexes, organisation):
    public = publish(FindingFactory(parent=indexes["finding"], live=False))
    secret = FindingFactory(
        parent=indexes["finding"], live=False, sharing_level=SharingLevel.RED, owning_organisation=organisation
    )
    secret.links.add(CrossLink(target_id=public.pk, link_type="cites"))
    publish(secret)
    cursor = feed(client)["next_cursor"]
    secret = fresh(secret)
    secret.title = "Edited in secret"
    publish(secret)
    assert RecordChange.objects.filter(record_uuid=public.translation_key, cause_uuid=secret.translation_key).exists()
    assert feed(client, cursor=cursor)["results"] == []


def test_a_record_that_leaves_a_partners_view_is_a_tombstone_for_them_and_for_nobody_else(
    client, indexes, organisation, partner
):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, sharing_level=SharingLevel.GREEN))
    anonymous_cursor = feed(client)["next_cursor"]
    client.force_login(partner)
    cursor = feed(client)["next_cursor"]
    finding.sharing_level = SharingLevel.RED
    publish(finding)
    (item,) = feed(client, cursor=cursor)["results"]
    assert (item["uuid"], item["state"], item["record"]) == (str(finding.translation_key), "hidden", None)
    assert feed(Client(), cursor=anonymous_cursor)["results"] == []


def test_leaving_an_organisation_turns_its_amber_records_into_tombstones_for_the_one_who_left(
    indexes, organisation, django_user_model
):
    member = django_user_model.objects.create_user("mia", "mia@example.org", "pw")
    outsider = django_user_model.objects.create_user("otto", "otto@example.org", "pw")
    Membership.objects.create(organisation=organisation, user=member)
    amber = hidden_finding(indexes, organisation, level=SharingLevel.AMBER)
    clients = {}
    for user in (member, outsider):
        clients[user] = Client()
        clients[user].force_login(user)
    mirror = Mirror(clients[member])
    mirror.sync()
    assert str(amber.translation_key) in mirror.records
    cursors = {user: feed(c)["next_cursor"] for user, c in clients.items()}
    Membership.objects.filter(user=member).delete()
    (item,) = feed(clients[member], cursor=cursors[member])["results"]
    assert (item["uuid"], item["state"]) == (str(amber.translation_key), "hidden")
    assert feed(clients[outsider], cursor=cursors[outsider])["results"] == []


def test_the_stored_rule_admits_exactly_whom_the_database_rule_admits(indexes, django_user_model):
    """Viewer.admits (for states kept in the change log) and audience() (for queries) are one rule."""
    from portal.models.sharing import stored_sharings

    owner, other = OrganisationFactory(), OrganisationFactory()
    users = [None, django_user_model.objects.create_superuser("root", "root@example.org", "pw")]
    for name in ("owner-member", "other-member", "named", "nobody"):
        users.append(django_user_model.objects.create_user(name))
    Membership.objects.create(organisation=owner, user=users[2])
    Membership.objects.create(organisation=other, user=users[3])
    records = []
    for level in SharingLevel.values:
        for shared in ([], [other]):
            record = FindingFactory(parent=indexes["finding"], sharing_level=level, owning_organisation=owner)
            record.shared_with_organisations.set(shared)
            record.shared_with_people.set([users[4]])
            record.save()
            records.append(record)
    states = stored_sharings([r.pk for r in records])
    from portal.models import RecordPage

    for user in users:
        viewer = Viewer.of(user)
        allowed = set(RecordPage.objects.filter(audience(user)).values_list("pk", flat=True))
        for record in records:
            assert viewer.admits(states[record.pk]) == (record.pk in allowed), (user, record.sharing_level)


def test_the_feeds_headers_do_not_move_when_a_hidden_record_changes(client, indexes, organisation):
    publish(FindingFactory(parent=indexes["finding"], live=False))
    secret = hidden_finding(indexes, organisation)
    before = client.get("/api/v1/changes/")
    secret.title = "Edited in secret"
    publish(secret)
    after = client.get("/api/v1/changes/")
    assert after["Last-Modified"] == before["Last-Modified"]
    assert after["ETag"] == before["ETag"]
    assert client.get("/api/v1/changes/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
