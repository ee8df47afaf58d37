"""Follows and private feeds (issue 17): a partner follows a framework, a provision, a topic (with
its sub-topics), a sector, an organisation, a kind or a search, and reads what they may see of it
in a secret Atom feed, each entry marked with its sharing level."""

import re
import xml.etree.ElementTree as ET

import pytest

from django.test import Client

from portal.models import CrossLink, Follow, Membership, PrivateFeed
from tests.factories import (
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def partner(client, django_user_model):
    user = django_user_model.objects.create_user("petra", "petra@example.org", "pw")
    organisation = OrganisationFactory(slug="telco", name="Telco")
    Membership.objects.create(user=user, organisation=organisation)
    client.force_login(user)
    return user


def follow(client, **params):
    return client.post("/account/follow/", params)


def make_feed(client, follow_pk=None):
    client.post("/account/feeds/", {"follow": follow_pk} if follow_pk else {})
    return client.get("/account/").context["new_feed_url"]


def titles(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    root = ET.fromstring(response.content)  # noqa: S314 (our own response, not untrusted input)
    return [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]


def publish(page):
    page.save_revision().publish()
    return page


def test_each_kind_of_follow_matches_its_records_and_nothing_else(client, indexes, partner):
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="RMF", sharing_level="TLP:CLEAR")
    govern = ProvisionFactory(framework=rmf, code="GOVERN 1", sort_order=0)
    ProvisionFactory(framework=rmf, code="MAP 1", sort_order=1)
    parent = TopicFactory(slug="security", name="Security")
    child = TopicFactory(slug="injection", name="Injection", parent=parent)
    sector = SectorFactory(slug="telecommunications", name="Telecommunications")
    on_govern = FindingFactory(parent=indexes["finding"], title="On GOVERN 1", sharing_level="TLP:CLEAR")
    CrossLink.objects.create(source=on_govern, target=rmf, target_provision=govern, link_type="addresses")
    under_child = FindingFactory(parent=indexes["finding"], title="Under a sub-topic", sharing_level="TLP:CLEAR")
    under_child.topics.set([child])
    in_sector = LessonFactory(parent=indexes["lesson"], title="A telecom outage", sharing_level="TLP:CLEAR")
    in_sector.sectors.set([sector])
    by_org = FindingFactory(parent=indexes["finding"], title="Jackalope benchmark", sharing_level="TLP:CLEAR")
    by_org.organisations.set([partner.memberships.get().organisation])
    for page in (on_govern, under_child, in_sector, by_org):
        publish(page)

    cases = [
        ({"subject": "framework", "key": str(rmf.uuid)}, {"[TLP:CLEAR] RMF", "[TLP:CLEAR] On GOVERN 1"}),
        ({"subject": "provision", "framework": str(rmf.uuid), "key": "govern-1"}, {"[TLP:CLEAR] On GOVERN 1"}),
        ({"subject": "provision", "framework": str(rmf.uuid), "key": "MAP 1"}, set()),
        ({"subject": "topic", "key": "security"}, {"[TLP:CLEAR] Under a sub-topic"}),
        ({"subject": "sector", "key": "telecommunications"}, {"[TLP:CLEAR] A telecom outage"}),
        ({"subject": "organisation", "key": "telco"}, {"[TLP:CLEAR] Jackalope benchmark"}),
        ({"subject": "kind", "key": "lesson"}, {"[TLP:CLEAR] A telecom outage"}),
        ({"subject": "search", "key": "jackalope"}, {"[TLP:CLEAR] Jackalope benchmark"}),
    ]
    for params, expected in cases:
        assert follow(client, **params).status_code == 302, params
        done = Follow.objects.filter(user=partner).first()
        assert set(titles(client, make_feed(client, done.pk))) == expected, params
    everything = set(titles(client, make_feed(client)))
    assert everything == set().union(*(expected for _, expected in cases))
    # Following the same thing twice keeps one follow.
    follow(client, subject="kind", key="lesson")
    assert Follow.objects.filter(user=partner, subject="kind").count() == 1


def test_the_feed_shows_amber_to_its_organisation_and_follows_the_sharing_rule_when_read(client, indexes, partner):
    organisation = partner.memberships.get().organisation
    shared = FindingFactory(
        parent=indexes["finding"], title="Outage pattern", sharing_level="TLP:AMBER", owning_organisation=organisation
    )
    other = FindingFactory(
        parent=indexes["finding"],
        title="Not theirs",
        sharing_level="TLP:AMBER",
        owning_organisation=OrganisationFactory(),
    )
    publish(shared), publish(other)
    follow(client, subject="kind", key="finding")
    url = make_feed(client)
    assert titles(client, url) == ["[TLP:AMBER] Outage pattern"]
    client.logout()  # the address is what a feed reader has
    assert titles(client, url) == ["[TLP:AMBER] Outage pattern"]
    shared.sharing_level = "TLP:RED"
    publish(shared)
    assert titles(client, url) == []  # not shared with them by name: gone at once


def test_a_revoked_forged_or_unfollowed_feed_is_a_404(client, indexes, partner):
    follow(client, subject="kind", key="finding")
    done = Follow.objects.get(user=partner)
    url = make_feed(client, done.pk)
    assert client.get(url).status_code == 200
    feed = PrivateFeed.objects.get(user=partner)
    client.post(f"/account/feeds/{feed.pk}/revoke/")
    assert client.get(url).status_code == 404
    assert client.get("/feeds/private/forged-secret/").status_code == 404
    url = make_feed(client, done.pk)
    client.post(f"/account/follows/{done.pk}/unfollow/")
    assert client.get(url).status_code == 404


def test_following_what_one_may_not_see_is_as_if_it_did_not_exist(client, indexes, partner):
    hidden = FrameworkFactory(
        parent=indexes["framework"],
        title="Hidden",
        sharing_level="TLP:AMBER",
        owning_organisation=OrganisationFactory(),
    )
    assert client.get("/account/follow/", {"subject": "framework", "key": str(hidden.uuid)}).status_code == 404
    assert follow(client, subject="framework", key=str(hidden.uuid)).status_code == 404
    assert follow(client, subject="framework", key="not-a-uuid").status_code == 404
    assert follow(client, subject="topic", key="no-such-topic").status_code == 404
    assert follow(client, subject="poem", key="x").status_code == 404
    response = follow(client, subject="search", key="   ")
    assert response.status_code == 400 and "needs words" in response.content.decode()
    assert not Follow.objects.exists()


def test_follow_links_on_the_pages_lead_to_a_confirmation(client, indexes, partner):
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="RMF", sharing_level="TLP:CLEAR")
    ProvisionFactory(framework=rmf, code="GOVERN 1", sort_order=0)
    TopicFactory(slug="security", name="Security")
    pages = {
        "/frameworks/rmf/": ["subject=framework", "subject=provision"],
        "/topics/security/": ["subject=topic"],
        "/findings/": ["subject=kind"],
        "/search/?q=safety": ["subject=search"],
    }
    for path, wanted in pages.items():
        html = client.get(path).content.decode()
        for part in wanted:
            assert re.search(rf'href="/account/follow/\?{part}', html), (path, part)
    confirm = client.get("/account/follow/", {"subject": "framework", "key": str(rmf.uuid), "next": "/frameworks/rmf/"})
    assert "Follow <strong>RMF</strong>?" in confirm.content.decode()
    client.logout()
    assert client.get("/account/follow/", {"subject": "kind", "key": "finding"})["Location"].startswith(
        "/account/login/"
    )


def new_for_you(client):
    """The home page's "new on what you follow" section (the latest lessons are listed below it)."""
    html = client.get("/").content.decode()
    return html.split('class="new-for-you"', 1)[1].split("</section>", 1)[0]


def test_the_home_page_lists_what_follows_brought_since_the_last_visit(client, indexes, partner):
    from django.utils import timezone

    from portal.models import HomeVisit

    client.get("/")  # a first visit with no follows: no list
    assert "New on what you follow" not in client.get("/").content.decode()
    follow(client, subject="kind", key="lesson")
    old = LessonFactory(parent=indexes["lesson"], title="Published before", sharing_level="TLP:CLEAR")
    publish(old)
    HomeVisit.objects.filter(user=partner).update(seen_at=timezone.now() - timezone.timedelta(hours=2))
    html = new_for_you(client)  # a new visit: counts from the one two hours ago
    assert "New on what you follow since your last visit" in html and "Published before" in html
    HomeVisit.objects.filter(user=partner).update(
        seen_at=timezone.now() - timezone.timedelta(hours=1), previous=timezone.now() - timezone.timedelta(minutes=90)
    )
    newer = LessonFactory(parent=indexes["lesson"], title="Published since", sharing_level="TLP:CLEAR")
    publish(newer)
    old.last_published_at = timezone.now() - timezone.timedelta(hours=3)
    old.save(update_fields=["last_published_at"])
    html = new_for_you(client)
    assert "Published since" in html and "Published before" not in html
    client.logout()
    assert "New on what you follow" not in client.get("/").content.decode()


def test_a_framework_that_leaves_the_followers_view_is_no_longer_named(client, indexes, partner):
    """A framework follow keeps the framework's title as its label; once the framework is narrowed
    out of the follower's view, the account page, the feed and the unsubscribe page stop naming it."""
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="Quokka framework", sharing_level="TLP:CLEAR")
    assert follow(client, subject="framework", key=str(rmf.uuid)).status_code == 302
    done = Follow.objects.get(user=partner)
    assert "Quokka framework" in client.get("/account/").content.decode()
    rmf.sharing_level = "TLP:RED"
    rmf.save_revision().publish()
    account = client.get("/account/").content.decode()
    assert "Quokka" not in account and "A framework you may no longer see" in account
    _, secret = PrivateFeed.create(partner, done)
    assert "Quokka" not in Client().get(f"/feeds/private/{secret}/").content.decode()
