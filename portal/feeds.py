"""Atom feeds: new findings, new lessons, and the records under a topic or linked to a framework.

Feeds are read by feed readers and robots, so they show what the request's user may see
(``visible_to``): for an anonymous reader, TLP:CLEAR live records only. Nothing is cached here;
a feed is built for each request.

Each feed lists the ``FEED_LENGTH`` records most recently published on the portal, newest first.
An entry's ``published`` is the source's own publication date and ``updated`` the last time the
portal record was published; its ``id`` is the record's UUID as a URN, so it survives renames.
"""

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.cache import patch_cache_control
from django.utils.html import escape

from portal import models
from portal.exchange.site import index_page_models
from portal.models import CrossLink, RecordPage, Topic
from portal.services import follows

#: How many entries a feed carries.
FEED_LENGTH = 50


class PortalAtomFeed(feedgenerator.Atom1Feed):
    """Atom 1.0 with one ``<author>`` per author: Django's generator writes at most one."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item.get("authors", []):
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")


@dataclass
class FeedContext:
    """What one request's feed is about: the reader, and the topic or framework if any."""

    request: object
    subject: object = None
    subject_url: str = ""

    @property
    def user(self):
        return self.request.user


@dataclass
class Entry:
    """One record as a feed entry, built with the request so that links resolve for its site."""

    title: str
    link: str
    summary: str
    published: datetime.datetime
    updated: datetime.datetime
    guid: str
    authors: list = field(default_factory=list)
    categories: list = field(default_factory=list)


def _as_datetime(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def record_authors(record):
    """People for a finding that names them; otherwise the publishing organisations."""
    people = getattr(record, "author_list", None) or []
    return people or [org.name for org in record.organisations.all()]


def newest_records(queryset):
    """The records of ``queryset`` most recently published on the portal, as specific pages with
    their organisations and topics: a fixed number of queries whatever the feed's length."""
    return (
        queryset.order_by(
            F("first_published_at").desc(nulls_last=True),
            "-publication_date",
            "-pk",
        )
        .specific()
        .defer_streamfields()
        .prefetch_related("organisations", "topics", for_specific_subqueries=True)[:FEED_LENGTH]
    )


def entry_for(record, request):
    published = _as_datetime(record.publication_date)
    updated = record.last_published_at or record.first_published_at or published
    return Entry(
        title=record.title,
        link=record.get_url(request) or "",
        summary=escape(record.summary),
        published=published,
        updated=updated,
        guid=f"urn:uuid:{record.uuid}",
        authors=record_authors(record),
        categories=sorted(topic.name for topic in record.topics.all()),
    )


class RecordFeed(Feed, ABC):
    """What every portal feed shares. Subclasses say which records (``records``) and describe the
    feed (``title``, ``link``, ``subtitle``)."""

    feed_type = PortalAtomFeed

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        if request.user.is_authenticated:
            # A partner's feed holds records others may not see: no shared cache may keep it.
            patch_cache_control(response, private=True)
        return response

    def get_object(self, request, *args, **kwargs):
        return FeedContext(request=request)

    @abstractmethod
    def records(self, context):
        """The records this feed draws from (visible to the context's visitor)."""

    def items(self, context):
        return [entry_for(record, context.request) for record in newest_records(self.records(context))]

    def author_name(self):
        return settings.WAGTAIL_SITE_NAME

    def feed_url(self, context):
        return context.request.path

    def item_title(self, entry):
        return entry.title

    def item_link(self, entry):
        return entry.link

    def item_description(self, entry):
        return entry.summary

    def item_pubdate(self, entry):
        return entry.published

    def item_updateddate(self, entry):
        return entry.updated

    def item_guid(self, entry):
        return entry.guid

    def item_guid_is_permalink(self, entry):
        return False

    def item_categories(self, entry):
        return entry.categories

    def item_extra_kwargs(self, entry):
        return {"authors": entry.authors}


class KindFeed(RecordFeed):
    """The newest records of one kind, linking to that kind's index page."""

    kind = ""
    plural = ""

    def records(self, context):
        return RecordPage.kind_models()[self.kind].objects.visible_to(context.user)

    def title(self):
        return f"New {self.plural} · {settings.WAGTAIL_SITE_NAME}"

    def subtitle(self):
        return f"The {self.plural} most recently published on the portal."

    def link(self, context):
        index = index_page_models()[self.kind].objects.live().first()
        return (index.get_url(context.request) if index else None) or "/"


class FindingFeed(KindFeed):
    kind = "finding"
    plural = "findings"


class LessonFeed(KindFeed):
    kind = "lesson"
    plural = "lessons"


class TopicFeed(RecordFeed):
    """Records under a topic or any of its sub-topics, of every kind."""

    def get_object(self, request, slug):
        topic = get_object_or_404(Topic, slug=slug)
        return FeedContext(request=request, subject=topic, subject_url=topic.get_absolute_url())

    def records(self, context):
        ids = Topic.descendant_ids([context.subject.pk])
        tagged = RecordPage.objects.filter(topics__in=ids).values("pk")
        return RecordPage.objects.visible_to(context.user).filter(pk__in=tagged)

    def title(self, context):
        return f"{context.subject.name} · {settings.WAGTAIL_SITE_NAME}"

    def subtitle(self, context):
        return f"New frameworks, findings and lessons on {context.subject.name} and its sub-topics."

    def link(self, context):
        return context.subject_url


class FrameworkFeed(RecordFeed):
    """Records that link to a framework or to one of its provisions. A framework the reader may
    not see has no feed (404)."""

    def get_object(self, request, slug):
        frameworks = RecordPage.kind_models()["framework"].objects.visible_to(request.user)
        framework = frameworks.filter(slug=slug).order_by("pk").first()
        if framework is None:
            raise Http404("No such framework.")
        return FeedContext(request=request, subject=framework, subject_url=framework.get_url(request) or "/")

    def records(self, context):
        linking = CrossLink.objects.filter(target=context.subject).values("source")
        return RecordPage.objects.visible_to(context.user).filter(pk__in=linking)

    def title(self, context):
        return f"Records on {context.subject.title} · {settings.WAGTAIL_SITE_NAME}"

    def subtitle(self, context):
        return f"Findings, lessons and frameworks that link to {context.subject.title} or its provisions."

    def link(self, context):
        return context.subject_url


class PrivateFeed(RecordFeed):
    """A partner's secret feed: the records of one follow, or of all their follows, that they may
    see when it is read (TLP:AMBER and TLP:RED included where they are shared with them), each
    entry marked with its sharing level. An unknown or revoked address is a 404."""

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    def get_object(self, request, secret):
        feed = models.PrivateFeed.usable(secret)
        if feed is None:
            raise Http404("No such feed: its address is wrong, or it was revoked.")
        return FeedContext(request=request, subject=feed, subject_url=reverse("account"))

    def records(self, context):
        return follows.feed_records(context.subject)

    def items(self, context):
        entries = []
        for record in newest_records(self.records(context)):
            entry = entry_for(record, context.request)
            entry.title = f"[{record.sharing_level}] {entry.title}"
            entry.categories = [record.sharing_level, *entry.categories]
            entries.append(entry)
        return entries

    def title(self, context):
        feed = context.subject
        what = feed.follow.shown_label if feed.follow_id else "Everything you follow"
        return f"{what} · {settings.WAGTAIL_SITE_NAME}"

    def subtitle(self, context):
        return "Your private feed: keep its address secret. Each entry's title starts with its sharing level."

    def link(self, context):
        return context.request.build_absolute_uri(context.subject_url)


#: The site-wide feed of each kind an index page offers: {kind: (title, URL name)}.
KIND_FEEDS = {"finding": ("New findings", "feed_findings"), "lesson": ("New lessons", "feed_lessons")}


def feeds_for(obj):
    """The feeds a page offers, as ``[{"title", "url"}]``, for ``<link rel="alternate">`` tags.

    ``obj`` is the home page (both site-wide feeds), a finding or lesson index page, a framework
    page or a topic; anything else offers none."""
    if getattr(obj, "specific_class", None) is not None and obj.specific_class.__name__ == "HomePage":
        return [{"title": title, "url": reverse(name)} for title, name in KIND_FEEDS.values()]
    if isinstance(obj, Topic):
        return [{"title": f"Records on {obj.name}", "url": reverse("feed_topic", kwargs={"slug": obj.slug})}]
    if getattr(obj, "listed_kind", "") in KIND_FEEDS:
        title, name = KIND_FEEDS[obj.listed_kind]
        return [{"title": title, "url": reverse(name)}]
    if getattr(obj, "record_kind", "") == "framework":
        return [{"title": f"Records on {obj.title}", "url": reverse("feed_framework", kwargs={"slug": obj.slug})}]
    return []
