"""Each record's API representation is produced once per published revision and stored; every
change that would make a stored one stale makes the API answer from the record as it is now."""

import io
import random
from pathlib import Path

import pytest
import wagtail_factories

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wagtail.models import Site

from portal.models import RecordPage, RecordRepresentation
from tests.factories import (
    CrossLinkFactory,
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    OrganisationFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "records"


def publish(page):
    page.save_revision().publish()
    return RecordPage.objects.get(pk=page.pk).specific


def stored(page):
    return RecordRepresentation.objects.filter(record_id=page.pk).values_list("data", flat=True).first()


def detail(client, page):
    response = client.get(f"/api/v1/records/{page.translation_key}/")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def produced_now(client, page):
    """The record as the API shows it when nothing is stored: produced from the database now."""
    RecordRepresentation.objects.filter(record_id=page.pk).delete()
    return detail(client, page)


def test_publishing_a_revision_stores_its_representation(client, indexes):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, title="First title"))
    data = stored(finding)
    assert data["title"] == "First title" and data["kind"] == "finding"
    # Viewer- and request-dependent parts are not stored.
    assert not {"links", "backlinks", "web_url", "api_url"} & set(data)
    finding.title = "Second title"
    finding = publish(finding)
    assert stored(finding)["title"] == "Second title"
    assert detail(client, finding)["title"] == "Second title"


def test_the_api_answers_from_the_stored_representation(client, indexes):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, summary="As published"))
    RecordRepresentation.objects.filter(record_id=finding.pk).update(
        data={**stored(finding), "summary": "From the stored row"}
    )
    assert detail(client, finding)["summary"] == "From the stored row"
    assert client.get("/api/v1/records/").json()["results"][0]["summary"] == "From the stored row"


def test_a_draft_leaves_the_live_representation(client, indexes):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, title="Live title"))
    finding.title = "Draft title"
    finding.save_revision()
    assert stored(finding)["title"] == "Live title"
    assert detail(client, finding)["title"] == "Live title"


def test_a_record_saved_without_publishing_is_answered_as_it_is_now(client, indexes):
    finding = FindingFactory(parent=indexes["finding"], summary="Before")
    assert detail(client, finding)["summary"] == "Before"
    finding.summary = "After"
    finding.save()
    assert detail(client, finding)["summary"] == "After"


def test_unpublishing_and_deleting_remove_the_stored_representation(client, indexes):
    gone = publish(FindingFactory(parent=indexes["finding"], live=False))
    hidden = publish(FindingFactory(parent=indexes["finding"], live=False))
    hidden.unpublish()
    assert stored(hidden) is None
    assert client.get(f"/api/v1/records/{hidden.translation_key}/").status_code == 404
    RecordPage.objects.get(pk=gone.pk).delete()
    assert not RecordRepresentation.objects.filter(record_id=gone.pk).exists()
    assert client.get("/api/v1/records/").json()["results"] == []


def test_renamed_terms_and_tags_show_their_new_names(client, indexes):
    topic = TopicFactory(name="Old topic", slug="old-topic")
    owner = OrganisationFactory(name="Old Org", slug="old-org", acronym="OO")
    finding = FindingFactory(parent=indexes["finding"], live=False, topics=[topic], organisations=[owner])
    finding.owning_organisation = owner
    finding.tags.add("oldtag")
    finding = publish(finding)
    framework = publish(FrameworkFactory(parent=indexes["framework"], live=False, issuing_body=owner))
    before = detail(client, finding)
    assert before["topics"] == [{"slug": "old-topic", "name": "Old topic"}]
    assert before["tags"] == ["oldtag"] and before["sharing"]["owning_organisation"] == "old-org"
    assert detail(client, framework)["framework"]["issuing_body"]["name"] == "Old Org"

    topic.name, topic.slug = "New topic", "new-topic"
    topic.save()
    owner.name, owner.slug, owner.acronym = "New Org", "new-org", "NO"
    owner.save()
    tag = finding.tags.get()
    tag.name = "newtag"
    tag.save()

    after = detail(client, finding)
    assert after["topics"] == [{"slug": "new-topic", "name": "New topic"}]
    assert after["organisations"] == [{"slug": "new-org", "name": "New Org", "acronym": "NO"}]
    assert after["sharing"]["owning_organisation"] == "new-org"
    assert after["tags"] == ["newtag"]
    assert detail(client, framework)["framework"]["issuing_body"] == {
        "slug": "new-org",
        "name": "New Org",
        "acronym": "NO",
    }


def test_a_deleted_term_leaves_the_records_that_showed_it(client, indexes):
    topic = TopicFactory(name="Passing topic")
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, topics=[topic]))
    assert detail(client, finding)["topics"] == [{"slug": topic.slug, "name": "Passing topic"}]
    topic.delete()
    assert detail(client, finding)["topics"] == []


def test_a_term_saved_without_a_visible_change_keeps_the_stored_representations(indexes):
    topic = TopicFactory(name="Steady")
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, topics=[topic]))
    topic.description = "A longer explanation."
    topic.save()
    assert stored(finding) is not None


def test_urls_follow_the_site_root_and_the_page_position(client, indexes, settings):
    # The web address has the scheme and host the API was asked on (issue 16: the default site's
    # http://localhost, which nothing serves under make run, is no longer used), and the page's
    # position under the site root.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.example.org"]
    public = Client(HTTP_HOST="portal.example.org")
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, slug="moving"))
    assert detail(client, finding)["web_url"] == f"http://testserver{finding.url}"
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "portal.example.org", 443
    site.save()
    assert public.get(f"/api/v1/records/{finding.translation_key}/", secure=True).json()["web_url"] == (
        "https://portal.example.org/findings/moving/"
    )
    RecordPage.objects.get(pk=finding.pk).move(indexes["lesson"], pos="last-child")
    assert public.get(f"/api/v1/records/{finding.translation_key}/", secure=True).json()["web_url"] == (
        "https://portal.example.org/lessons/moving/"
    )
    listed = Client(HTTP_HOST="localhost").get("/api/v1/records/").json()["results"][0]
    assert listed["api_url"] == f"http://localhost/api/v1/records/{finding.translation_key}/"


def test_a_body_link_follows_the_record_it_links_to(client, indexes):
    """A body links to another record by its address: when that record's address changes (a new
    slug published, a move) or it leaves, the body is shown as it would be rendered now."""
    target = publish(FindingFactory(parent=indexes["finding"], live=False, slug="first-address"))
    source = FindingFactory(parent=indexes["finding"], live=False)
    source.body = [{"type": "paragraph", "value": f'<p>See <a linktype="page" id="{target.pk}">this</a>.</p>'}]
    source = publish(source)
    assert "/findings/first-address/" in detail(client, source)["body_html"]

    target.slug = "second-address"
    target = publish(target)
    assert "/findings/second-address/" in detail(client, source)["body_html"]
    RecordPage.objects.get(pk=target.pk).move(indexes["lesson"], pos="last-child")
    assert "/lessons/second-address/" in detail(client, source)["body_html"]
    RecordPage.objects.get(pk=target.pk).delete()
    assert detail(client, source) == produced_now(client, source)


def test_a_figure_follows_its_picture(client, indexes):
    """A figure shows its picture by the address of a rendition: when the picture's file is
    replaced (as the admin does: its renditions go too) or the picture is deleted, the body is
    shown as it would be rendered now."""
    image = wagtail_factories.ImageFactory()
    finding = FindingFactory(parent=indexes["finding"], live=False, body=[("figure", {"image": image})])
    finding = publish(finding)
    assert "/example.width-800" in detail(client, finding)["body_html"]
    image.file = wagtail_factories.ImageFactory(file__filename="replacement.jpg").file
    image.save()
    image.renditions.all().delete()
    assert "/replacement.width-800" in detail(client, finding)["body_html"]
    publish(finding)
    image.delete()
    assert detail(client, finding) == produced_now(client, finding)


def test_a_term_save_reads_what_it_showed_once(indexes):
    """The change log and the stored representations follow one detector of renamed terms: a save
    reads the term's stored columns once, and a save that changes nothing shown reads no record."""
    topic = TopicFactory(name="Topic", slug="topic")
    with CaptureQueriesContext(connection) as queries:
        topic.description = "Only the description changes."
        topic.save()
    sql = [q["sql"] for q in queries.captured_queries]
    before_update = sql[: next(i for i, q in enumerate(sql) if q.startswith('UPDATE "portal_topic"'))]
    assert len(before_update) == 1, before_update  # what the term showed, read once before the save
    assert not [q for q in queries.captured_queries if "portal_recordpage" in q["sql"]]


def test_a_representation_of_another_format_is_produced_again(client, indexes, monkeypatch):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False, summary="Current"))
    RecordRepresentation.objects.filter(record_id=finding.pk).update(format=0, data={"summary": "Old shape"})
    assert detail(client, finding)["summary"] == "Current"
    row = RecordRepresentation.objects.get(record_id=finding.pk)
    assert row.data["summary"] == "Current" and row.format != 0


def test_links_are_added_per_request_through_the_sharing_rule(client, indexes, django_user_model):
    finding = publish(FindingFactory(parent=indexes["finding"], live=False))
    green = FindingFactory(parent=indexes["finding"], live=False, sharing_level="TLP:GREEN", title="Green")
    CrossLinkFactory(source=green, target=finding, link_type="cites")
    publish(green)
    assert detail(client, finding)["backlinks"] == []
    client.force_login(django_user_model.objects.create_user("reader"))
    assert [link["record"]["title"] for link in detail(client, finding)["backlinks"]] == ["Green"]


def test_build_representations_stores_every_missing_one():
    out = io.StringIO()
    call_command("import_records", str(DEMO), stdout=out, stderr=io.StringIO())
    live = RecordPage.objects.filter(live=True)
    # Imported records are published, so each has its representation already.
    assert RecordRepresentation.objects.count() == live.count() > 0
    RecordRepresentation.objects.all().delete()
    call_command("build_representations", stdout=out)
    assert RecordRepresentation.objects.count() == live.count()
    assert f"{live.count()} record representation(s) stored." in out.getvalue()


def test_after_random_edits_every_answer_equals_one_produced_now(client, indexes):
    """Whatever happens to records and terms, what the API answers from stored representations
    is what it would produce from the database now."""
    rng = random.Random(13)
    topics = [TopicFactory(name=f"Topic {n}") for n in range(3)]
    organisations = [OrganisationFactory(name=f"Org {n}") for n in range(2)]
    factories = [(FindingFactory, "finding"), (LessonFactory, "lesson"), (FrameworkFactory, "framework")]
    pages = []

    def create():
        factory, kind = rng.choice(factories)
        page = factory(parent=indexes[kind], live=False, topics=rng.sample(topics, 2))
        page.organisations.set(rng.sample(organisations, 1))
        pages.append(publish(page))

    def edit():
        page = RecordPage.objects.get(pk=rng.choice(pages).pk).specific
        page.summary = f"Summary {rng.randrange(10**6)}"
        page.topics.set(rng.sample(topics, rng.randint(0, 3)))
        publish(page)

    def rename():
        term = rng.choice(topics + organisations)
        term.name = f"{term.name.split()[0]} {rng.randrange(10**6)}"
        term.save()

    def link():
        source, target = rng.sample(pages, 2)
        CrossLinkFactory(source=source, target=target)

    for _ in range(3):
        create()
    for _ in range(20):
        rng.choice([create, edit, edit, rename, rename, link])()
        for page in pages:
            detail(client, page)  # reads (and on a miss stores) the representation
    for page in pages:
        assert detail(client, page) == produced_now(client, page)
