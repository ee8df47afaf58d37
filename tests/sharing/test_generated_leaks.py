"""The generated leak test: random record graphs, every kind of visitor, every surface rendered.

Each example builds a small random world: records of every kind at random sharing levels, with
random owners, shared-with organisations and named people, some of them drafts, some published
at a wider level first and narrowed since (or unpublished); random links between them (to a
record or to one of its provisions, with a note), crosswalks between frameworks, topics, tags,
a document each record's text links to and a picture it shows. Every record carries unique
markers in its title, summary, body, slug, tag, provision code, document, picture and UUID.
Then each visitor (anonymous, a partner, members of two organisations, a person named on
TLP:RED records, an Editor and a Publisher of one organisation, a superuser) renders every
surface: pages with all their panels, listings, term pages, search with facets, suggestions,
feeds, the sitemap, citations, files, the API (lists, details, search, exports, crosswalks, the
change feed) and, for staff, the admin's search, choosers, admin API, explorer, reports, history
and each record's own screens.
Nothing of a record the visitor may not see may appear, and no count may include it.

Who may see what is worked out from the table in docs/sharing.md, independently of the code
under test, in ``leak_world.py`` (with the random worlds); the surfaces each visitor renders are
in ``leak_surfaces.py``. The number of examples is fixed (``PORTAL_LEAK_EXAMPLES``, default 3 per
search backend, besides two written-out worlds) and the run is derandomised, so CI is
repeatable; raise it locally to search harder. Members, Editors and Publishers of one organisation see the
same public surfaces, so Editors and Publishers are checked in the admin only.
"""

import html
import itertools
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from unittest import mock

import pytest
import wagtail_factories
from hypothesis import HealthCheck, Phase, example, given, note, settings

from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings

from wagtail.documents.models import Document
from wagtail.models import Collection

from portal.models import Membership, PrivateFeed, RecordChange, RecordPage, WebhookDelivery, WebhookEndpoint
from portal.services import alerts, follows, webhooks
from portal.services.facets import TermTable
from portal.tokens import create_token
from tests.factories import (
    CrossLinkFactory,
    CrosswalkFactory,
    CrosswalkMappingFactory,
    OrganisationFactory,
    ProvisionFactory,
    TopicFactory,
)
from tests.sharing.leak_surfaces import (
    admin_record_screens,
    admin_surfaces,
    api_surfaces,
    assert_absent,
    body,
    forbidden,
    public_surfaces,
    replay_changes,
    walk_catalogue,
)
from tests.sharing.leak_world import (
    FACTORIES,
    NARROWED_AND_WITHDRAWN,
    SHARED_HIDDEN_TARGETS,
    VISITORS,
    could_ever_see,
    graphs,
    may_manage,
    may_see,
    settle,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("PORTAL_LEAK_EXAMPLES", "3"))
BACKENDS = {"whoosh": "portal.search.whoosh", "database": "modelsearch.backends.database"}


@dataclass
class Built:
    """One example's records as made, with their markers."""

    number: int
    specs: list
    pages: list
    markers: list  # per record: every string that must not reach someone who may not see it
    link_markers: list  # (source, target, note)
    crosswalk_markers: list  # (source, target, title)
    documents: list  # per record: the document its text links to
    renditions: list  # per record: the rendition of the picture it shows

    @property
    def common_word(self):
        return f"commonqz{self.number}"


@pytest.fixture(params=sorted(BACKENDS))
def search_backend(request, settings, tmp_path):
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": BACKENDS[request.param], "PATH": str(tmp_path / "index")}}
    return request.param


@pytest.fixture
def people(indexes, django_user_model, search_backend, settings, tmp_path):
    """The organisations, the visitors' accounts and a client for each visitor."""
    settings.API_CHANGES_SETTLE_SECONDS = 0
    # Uploaded files on disk, as in production (Wagtail serves a document from its path).
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    organisations = {name: OrganisationFactory(slug=f"org-{name}", name=f"Organisation {name}") for name in "ab"}
    topics = [TopicFactory(slug="topic-zero"), TopicFactory(slug="topic-one")]
    users, clients, tokens = {}, {}, {}
    for visitor in VISITORS:
        client = Client()
        if visitor.name != "anonymous":
            if visitor.superuser:
                user = django_user_model.objects.create_superuser(visitor.name, f"{visitor.name}@example.org", "pw")
            else:
                user = django_user_model.objects.create_user(visitor.name, f"{visitor.name}@example.org", "pw")
            for organisation in visitor.organisations:
                Membership.objects.create(organisation=organisations[organisation], user=user)
            if visitor.staff and not visitor.superuser:
                group = "Editors" if visitor.name.startswith("editor") else "Publishers"
                user.groups.add(Group.objects.get(name=group))
            client.force_login(user)
            users[visitor.name] = user
            tokens[visitor.name] = create_token(user, "leak test")[1]
        clients[visitor.name] = client
    world = {"organisations": organisations, "topics": topics, "users": users, "clients": clients, "tokens": tokens}
    world["backend"] = BACKENDS[search_backend]
    return world


def build(graph, number, world, indexes):
    organisations, users = world["organisations"], world["users"]
    pages, markers, documents, renditions = [], [], [], []
    for i, spec in enumerate(graph.records):
        tag = f"qz{number}r{i}tag"
        # Each record links to a document of its own in its text: only it decides who may have it.
        root = Collection.get_first_root_node()
        document = Document(title=f"Qz{number}r{i}document", collection=root)
        document.file.save(f"qz{number}r{i}file.pdf", ContentFile(b"%PDF-1.4 leak test\n"), save=False)
        document.save()
        link = f'<a linktype="document" id="{document.pk}">the file</a>'
        # … and links in its text to every record built before it, whoever may see that one.
        link += "".join(f', <a linktype="page" id="{earlier.pk}">record {j}</a>' for j, earlier in enumerate(pages))
        # … and shows a picture of its own, served as a rendition by the same rule.
        image = wagtail_factories.ImageFactory(
            title=f"Qz{number}r{i}image", collection=Collection.get_first_root_node()
        )
        image.contextual_alt_text, image.decorative = f"Qz{number}r{i}alt", False
        page = FACTORIES[spec.kind](
            parent=indexes[spec.kind],
            title=f"Qz{number}r{i}title",
            slug=f"qz{number}-r{i}-slug",
            summary=f"Qz{number}r{i}summary commonqz{number} shared words about evaluation.",
            body=[
                ("paragraph", f"<p>Qz{number}r{i}body, with {link}.</p>"),
                ("figure", {"image": image, "caption": f"Qz{number}r{i}caption"}),
            ],
            sharing_level=spec.was or spec.level,
            owning_organisation=organisations[spec.owner] if spec.owner else None,
            topics=[world["topics"][spec.topic]],
            live=spec.state != "draft",
        )
        page.tags.add(tag)
        page = settle(page, spec, organisations, users)
        own = [page.title, f"Qz{number}r{i}summary", f"Qz{number}r{i}body", page.slug, tag, str(page.translation_key)]
        own += [f"qz{number}r{i}file", f"Qz{number}r{i}document", f"Qz{number}r{i}alt", f"Qz{number}r{i}caption"]
        if spec.kind == "framework":
            ProvisionFactory(framework=page, code=f"QZ{number}R{i}CODE", title=f"Qz{number}r{i}provision")
            own += [f"QZ{number}R{i}CODE", f"Qz{number}r{i}provision"]
        pages.append(RecordPage.objects.get(pk=page.pk).specific)
        markers.append(own)
        documents.append(document)
        renditions.append(image.get_rendition("width-800"))
    link_markers = []
    for a, b, kind, to_provision in graph.links:
        provision = pages[b].provisions.first() if to_provision and graph.records[b].kind == "framework" else None
        note = f"Qz{number}n{a}x{b}{kind}note"
        CrossLinkFactory(source=pages[a], target=pages[b], target_provision=provision, link_type=kind, note=note)
        link_markers.append((a, b, note))
    crosswalk_markers = []
    for a, b in graph.crosswalks:
        title = f"Qz{number}w{a}x{b}crosswalk"
        crosswalk = CrosswalkFactory(source_framework=pages[a], target_framework=pages[b], title=title)
        CrosswalkMappingFactory(
            crosswalk=crosswalk,
            source_provision=pages[a].provisions.first(),
            target_provision=pages[b].provisions.first(),
        )
        crosswalk_markers.append((a, b, title))
    return Built(number, list(graph.records), pages, markers, link_markers, crosswalk_markers, documents, renditions)


def check_visitor(world, built, visitor):
    client = world["clients"][visitor.name]
    label = f"{visitor.name}, example {built.number}"
    if visitor.staff and not visitor.superuser:
        check_admin(client, built, visitor, label)
        return
    hidden, markers = forbidden(built, visitor, lambda spec: may_see(visitor, spec))

    responses = public_surfaces(client, built, visitor)
    assert_absent({url: body(response) for url, response in responses.items()}, markers, label)
    # Counts: listings, term pages and search count only what the visitor may see.
    visible = [spec for spec in built.specs if may_see(visitor, spec)]
    for kind in FACTORIES:
        count = responses[f"/{kind}s/"].context["records"].paginator.count
        assert count == sum(spec.kind == kind for spec in visible), (label, kind)
    listing = responses[f"/search/?q={built.common_word}"].context["listing"]
    assert listing.total == len(visible), label
    assert sum(value.count for value in listing.facets["kind"]) == len(visible), label
    topic = responses["/topics/topic-one/"].context["records"].paginator.count
    assert topic == sum(spec.topic == 1 for spec in visible), label

    # A record's document and picture download exactly for those who may see the record (and
    # superusers, who may have any file); for anyone else they are 404, as files that do not exist.
    for document, rendition, spec in zip(built.documents, built.renditions, built.specs, strict=True):
        allowed = may_see(visitor, spec) or visitor.superuser
        for url in (document.url, rendition.url):
            response = client.get(url)
            assert response.status_code == (200 if allowed else 404), (label, url)
            if response.status_code == 404:
                assert_absent({url: body(response)}, markers, label)

    # Hidden records answer 404 everywhere, exactly like records that do not exist.
    for i in sorted(hidden):
        page, uuid = built.pages[i], built.pages[i].translation_key
        for url in (
            page.url,
            f"/cite/{uuid}.bib",
            f"/api/v1/records/{uuid}/",
            f"/api/v1/records/{uuid}/stix/",
            f"/api/v1/catalog/{uuid}.ttl",
            f"/api/v1/frameworks/{uuid}/oscal/",
        ):
            assert client.get(url).status_code == 404, (label, url)

    texts = api_surfaces(client, built, visitor, {})
    assert_absent(texts, markers, f"{label} (API)")
    listed = json.loads(texts["/api/v1/records/?page_size=100"])["results"]
    expected = {page.title for page, spec in zip(built.pages, built.specs, strict=True) if may_see(visitor, spec)}
    assert {item["title"] for item in listed} == expected, label

    # A private feed of everything the visitor follows (each kind, and a search that finds every
    # record), read by its address alone as a feed reader does: exactly the records they may see.
    user = world["users"].get(visitor.name)
    if user is not None:
        for kind in FACTORIES:
            follows.follow(user, "kind", kind)
        follows.follow(user, "search", built.common_word)
        _, secret = PrivateFeed.create(user)
        feed = Client().get(f"/feeds/private/{secret}/")
        assert feed.status_code == 200, label
        assert_absent({"private feed": body(feed)}, markers, label)
        shown = set(re.findall(r"<title>\[TLP:[A-Z+]+\] ([^<]+)</title>", body(feed)))
        assert shown == {html.escape(title, quote=False) for title in expected}, label
        # A daily digest of the same follows, covering the whole change log: exactly the same.
        if user.email:
            mail.outbox.clear()
            user.follows.update(delivery="daily", covered_change=0)
            alerts.send_digests("daily")
            assert len(mail.outbox) == (1 if expected else 0), label
            for message in mail.outbox:
                texts = {"digest": message.body, "digest html": message.alternatives[0][0]}
                assert_absent(texts, markers, label)
                in_digest = set(
                    re.findall(r"^- \[TLP:[A-Z+]+\] (.+) \((?:finding|lesson|framework)\)$", message.body, re.M)
                )
                assert in_digest == expected, label

            # An alert at once for each change of the log: exactly the records they may see.
            mail.outbox.clear()
            user.follows.update(delivery="immediate")
            alerts.send_alerts.call(
                list(RecordChange.objects.filter(cause_uuid__isnull=True).values_list("id", flat=True))
            )
            texts = {f"alert {n}": f"{m.subject}\n{m.body}\n{m.alternatives[0][0]}" for n, m in enumerate(mail.outbox)}
            assert_absent(texts, markers, label)
            assert {m.subject.split(": ", 1)[1] for m in mail.outbox} == expected, label

        # The home page's "new on what you follow": only what they may see, and all of it counted.
        home = body(client.get("/"))
        section = re.search(r'<section aria-labelledby="new-for-you-heading".*?</section>', home, re.S).group(0)
        assert_absent({"new for you": section}, markers, label)
        if len(expected) <= follows.NEW_SHOWN:
            assert {t for t in expected if html.escape(t, quote=False) in section} == expected, label

        # A webhook endpoint of theirs, sent the whole change log: its bodies name exactly the
        # records they may see, and nothing of the others.
        bodies = webhook_bodies(user)
        assert_absent({"webhook bodies": json.dumps(bodies)}, markers, label)
        last = {body["record"]["id"]: body for body in bodies}
        held = {body["record"]["title"] for body in last.values() if body["event"] in ("created", "updated", "amended")}
        assert held == expected, label

    # Searches aimed at a record the visitor may not see (its UUID, its tag, a provision's title,
    # the title misspelt) find nothing of it, and what they answer names nothing of it.
    hidden_uuids = {str(built.pages[i].translation_key) for i in hidden}
    for i in sorted(hidden):
        aimed = [str(built.pages[i].translation_key), built.markers[i][4]]
        if built.specs[i].kind == "framework":
            aimed += [f"Qz{built.number}r{i}provision", f"Qz{built.number}r{i}provisoin"]
        for query in aimed:
            answer = client.get("/api/v1/search/", {"q": query}).json()
            assert not {hit["uuid"] for hit in answer["results"]} & hidden_uuids, (label, query)
            shown = {key: answer[key] for key in ("total", "results", "facets", "suggestions")}
            assert_absent({f"search for {query}": json.dumps(shown)}, markers, label)

    # The change feed, with the session and with a token: replayed from the start, it gives
    # exactly the listing, and it names (even as a tombstone) only records the visitor could see
    # at some time.
    _, never = forbidden(built, visitor, lambda spec: could_ever_see(visitor, spec))
    uuids = {str(page.translation_key) for page in built.pages}
    content = [marker for marker in markers if marker not in uuids]  # a tombstone carries only its UUID
    vias = {"session": (client, {})}
    if visitor.signed_in:
        vias["token"] = (Client(), {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][visitor.name]}"})
    for via, (api, headers) in vias.items():
        entries, mirror = replay_changes(api, headers)
        assert mirror == {item["uuid"]: item["title"] for item in listed}, (label, via)
        assert_absent({"changes": json.dumps(entries)}, [*never, *content], f"{label} ({via}, change feed)")
        # The DCAT catalogue walked by its Hydra links: exactly the listing, counting nothing hidden.
        uuids, total, pages = walk_catalogue(api, headers)
        assert uuids == set(mirror) and total == len(mirror), (label, via)
        assert_absent(pages, markers, f"{label} ({via}, DCAT catalogue)")
        if via == "token":
            response = api.get("/api/v1/records/?page_size=100", **headers)
            assert {item["title"] for item in response.json()["results"]} == expected, (label, via)


def webhook_bodies(user):
    """The bodies an endpoint of ``user``'s is sent (captured at the request, not sent over the
    network) when every change-log entry about a record's own change is delivered to it, in order."""
    organisation = OrganisationFactory(slug=f"hooks-{user.pk}")  # owns and is shared nothing: widens nothing
    Membership.objects.create(user=user, organisation=organisation, is_administrator=True)
    endpoint = WebhookEndpoint.objects.create(
        owner=user, organisation=organisation, url="https://hooks.example.org/portal", secret="leak test"
    )
    for change in RecordChange.objects.filter(cause_uuid__isnull=True).order_by("id"):
        WebhookDelivery.objects.create(endpoint=endpoint, change_id=change.id, record_uuid=change.record_uuid)
    sent = []

    def capture(url, body, headers):
        sent.append(json.loads(body))
        return 200

    with mock.patch.object(webhooks, "post", capture):
        webhooks.send_due(limit=10_000)
    return sent


def check_admin(client, built, visitor, label):
    """Staff see in the admin the records they may work on, and those they may see anyway."""
    not_theirs, markers = forbidden(built, visitor, lambda spec: may_manage(visitor, spec) or may_see(visitor, spec))
    assert_absent(admin_surfaces(client, built), markers, f"{label} (admin)")
    for i in sorted(not_theirs):
        assert_absent(admin_record_screens(client, built.pages[i]), markers, f"{label} (admin record)")


counter = itertools.count(1)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    # Each example renders a few hundred pages: a failing one is reported as found, not shrunk.
    phases=[Phase.explicit, Phase.generate],
)
@example(graph=SHARED_HIDDEN_TARGETS)
@example(graph=NARROWED_AND_WITHDRAWN)
@given(graph=graphs())
def test_no_surface_shows_a_visitor_anything_of_a_record_they_may_not_see(people, indexes, graph):
    number = next(counter)
    note(f"example {number}: {graph}")
    # Each example starts from the same database, an empty search index (a rolled-back example's
    # documents stay in a file index) and empty caches (the facet table and page parts are keyed
    # by the newest change-log id, which a rolled-back example can hand out again).
    index = {"default": {"BACKEND": people["backend"], "PATH": tempfile.mkdtemp(prefix="leak-index-")}}
    try:
        with transaction.atomic(), override_settings(WAGTAILSEARCH_BACKENDS=index):
            cache.clear()
            TermTable._current = None
            built = build(graph, number, people, indexes)
            for visitor in VISITORS:
                check_visitor(people, built, visitor)
            transaction.set_rollback(True)
    finally:
        shutil.rmtree(index["default"]["PATH"], ignore_errors=True)
