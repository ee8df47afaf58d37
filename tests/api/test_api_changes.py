"""The change feed: what it reports, and that replaying it rebuilds exactly the live listing."""

import datetime
import random
import time

import pytest

from django.test import Client
from django.utils import timezone

from portal.models import CrossLink, Membership, RecordChange, RecordPage
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, OrganisationFactory, TopicFactory

pytestmark = pytest.mark.django_db


def publish(page):
    page.save_revision().publish()
    return fresh(page)


def fresh(page):
    return RecordPage.objects.get(pk=page.pk).specific


class Mirror:
    """What an external tool keeps: {uuid: record}, updated from the change feed."""

    def __init__(self, client):
        self.client, self.records, self.cursor = client, {}, None
        self.mentioned = set()  # every UUID the feed has named to this caller

    def sync(self, page_size=7):
        while True:
            params = {"page_size": page_size}
            if self.cursor:
                params["cursor"] = self.cursor
            response = self.client.get("/api/v1/changes/", params)
            assert response.status_code == 200, response.content[:300]
            page = response.json()
            for item in page["results"]:
                self.mentioned.add(item["uuid"])
                if item["state"] == "present":
                    self.records[item["uuid"]] = item["record"]
                else:
                    self.records.pop(item["uuid"], None)
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return page

    def live_listing(self):
        items, url = [], "/api/v1/records/?page_size=100"
        while url:
            page = self.client.get(url).json()
            items += page["results"]
            url = page["next"]
        return {item["uuid"]: item for item in items}


def feed(client, **params):
    response = client.get("/api/v1/changes/", params)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_feed_reports_create_update_unpublish_and_delete_oldest_first(client, indexes):
    finding = publish(FindingFactory(parent=indexes["finding"], title="First", live=False))
    finding.title = "First, revised"
    publish(finding)
    lesson = publish(LessonFactory(parent=indexes["lesson"], live=False))
    lesson.unpublish()
    uuid = str(finding.translation_key)
    finding.delete()
    items = feed(client)["results"]
    assert [(i["uuid"], i["action"], i["state"]) for i in items] == [
        (str(lesson.translation_key), "unpublished", "hidden"),
        (uuid, "deleted", "deleted"),
    ]
    assert all(i["record"] is None for i in items)
    actions = list(RecordChange.objects.filter(record_uuid=uuid).values_list("action", flat=True))
    assert actions == ["created", "updated", "deleted"]


def test_feed_item_holds_the_record_exactly_as_records_shows_it(client, indexes):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False))
    (item,) = feed(client)["results"]
    assert item["state"] == "present" and item["action"] == "created"
    assert item["record"] == client.get(f"/api/v1/records/{finding.translation_key}/").json()


def test_a_sharing_change_is_logged_and_hides_the_record_from_those_who_lose_it(client, indexes, partner):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False))
    cursor = feed(client)["next_cursor"]
    finding.sharing_level = "TLP:GREEN"
    publish(finding)
    (item,) = feed(client, cursor=cursor)["results"]
    assert (item["action"], item["state"], item["record"]) == ("sharing_changed", "hidden", None)
    client.force_login(partner)
    (item,) = feed(client, cursor=cursor)["results"]
    assert item["state"] == "present" and item["record"]["sharing"]["level"] == "TLP:GREEN"


def test_renaming_a_record_reports_the_records_that_link_to_it(client, indexes):
    target = publish(FrameworkFactory(parent=indexes["framework"], title="Old name", live=False))
    source = FindingFactory(parent=indexes["finding"], live=False)
    source.links.add(CrossLink(target=target, link_type="addresses"))
    publish(source)
    cursor = feed(client)["next_cursor"]
    target.title = "New name"
    publish(target)
    items = {i["uuid"]: i for i in feed(client, cursor=cursor)["results"]}
    assert items[str(source.translation_key)]["record"]["links"][0]["record"]["title"] == "New name"


def test_records_that_expire_become_tombstones(client, indexes):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False))
    cursor = feed(client)["next_cursor"]
    RecordPage.objects.filter(pk=finding.pk).update(expire_at=timezone.now() + datetime.timedelta(milliseconds=50))
    time.sleep(0.1)
    (item,) = feed(client, cursor=cursor)["results"]
    assert (item["uuid"], item["action"], item["state"]) == (str(finding.translation_key), "expired", "hidden")


def test_entries_younger_than_the_settling_time_wait_for_the_next_poll(client, indexes, settings):
    settings.API_CHANGES_SETTLE_SECONDS = 3600
    publish(FindingFactory(parent=indexes["finding"], live=False))
    assert feed(client)["results"] == []


def test_drafts_never_reach_the_feed(client, indexes):
    FindingFactory(parent=indexes["finding"], live=False).save_revision()
    assert feed(client)["results"] == []


@pytest.mark.parametrize("cursor", ["nonsense", "WzEsIjIwMjQtMDEtMDFUMDA6MDA6MDBaIl0"])
def test_a_bad_or_forged_cursor_is_400(client, db, cursor):
    response = client.get("/api/v1/changes/", {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["parameters"]


def test_replaying_the_feed_rebuilds_the_live_listing_after_random_edits(indexes, django_user_model):
    """Two mirrors (anonymous, and a partner in an organisation) follow the feed while records are
    created, edited, linked, re-shared, unpublished, expired and deleted; each ends equal to what
    records/ lists for the same caller, and the feed never names to a caller a record that the
    caller never could see."""
    rng = random.Random(5)
    organisation = OrganisationFactory(slug="acme")
    partner = django_user_model.objects.create_user("pat", "pat@example.org", "pw")
    signed_in = Client()
    signed_in.force_login(partner)
    mirrors = [Mirror(Client()), Mirror(signed_in)]
    callers = [None, partner]
    ever_visible = [set(), set()]

    def note_visible():
        for seen, user in zip(ever_visible, callers, strict=True):
            seen |= {
                str(uuid) for uuid in RecordPage.objects.visible_to(user).values_list("translation_key", flat=True)
            }

    topics = [TopicFactory(), TopicFactory()]
    factories = [(FindingFactory, "finding"), (LessonFactory, "lesson"), (FrameworkFactory, "framework")]
    pages = []

    def create():
        factory, kind = rng.choice(factories)
        page = factory(parent=indexes[kind], live=False, topics=[rng.choice(topics)])
        pages.append(publish(page))

    def live_pages():
        return [p for p in pages if RecordPage.objects.filter(pk=p.pk, live=True).exists()]

    def edit():
        page = fresh(rng.choice(pages))
        page.title = f"Edited {rng.randrange(10**6)}"
        publish(page)

    def share():
        page = fresh(rng.choice(pages))
        page.sharing_level = rng.choice(["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:RED"])
        page.owning_organisation = organisation
        publish(page)

    def link():
        source, target = fresh(rng.choice(pages)), rng.choice(pages)
        if source.pk != target.pk:
            source.links.add(CrossLink(target_id=target.pk, link_type="cites"))
            publish(source)

    def unlink():
        page = fresh(rng.choice(pages))
        links = list(page.links.all())
        if links:
            page.links.remove(links[0])
            publish(page)

    def unpublish():
        candidates = live_pages()
        if candidates:
            fresh(rng.choice(candidates)).unpublish()

    def republish():
        publish(fresh(rng.choice(pages)))

    def delete():
        page = rng.choice(pages)
        pages.remove(page)
        RecordPage.objects.get(pk=page.pk).delete()

    def rename_topic():
        topic = rng.choice(topics)
        topic.name = f"Topic {rng.randrange(10**6)}"
        topic.save()

    def membership():
        mine = Membership.objects.filter(user=partner, organisation=organisation)
        if mine.exists():
            mine.delete()
        else:
            Membership.objects.create(user=partner, organisation=organisation)

    def expire():
        candidates = live_pages()
        if candidates:
            page = rng.choice(candidates)
            soon = timezone.now() + datetime.timedelta(milliseconds=30)
            RecordPage.objects.filter(pk=page.pk).update(expire_at=soon)
            time.sleep(0.05)

    for _ in range(4):
        create()
    operations = [create, edit, edit, share, share, link, link, unlink, unpublish, republish, delete]
    operations += [rename_topic, membership, expire]
    for step in range(45):
        if len(pages) < 2:
            create()
        note_visible()
        rng.choice(operations)()
        note_visible()
        if step % 6 == 0:
            rng.choice(mirrors).sync(page_size=rng.choice([1, 3, 100]))
    for mirror, seen in zip(mirrors, ever_visible, strict=True):
        mirror.sync()
        assert mirror.records == mirror.live_listing()
        assert mirror.mentioned <= seen, mirror.mentioned - seen
    assert mirrors[0].records and mirrors[1].records
