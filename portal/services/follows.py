"""Following: what a follow names, and which records it matches for the person following.

Every read goes through the sharing rule of the moment (``visible_to`` the follower): a record that
left a partner's view drops out of their private feed at once, whatever was true when they
followed. Something the person may not see cannot be followed: ``resolve`` answers as if it did
not exist (``Http404``)."""

import datetime

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from portal.models import CrossLink, Follow, Organisation, RecordChange, RecordPage, Sector, Topic
from portal.text import anchor

from . import search

Subject = Follow.Subject
TERMS = {Subject.TOPIC: Topic, Subject.SECTOR: Sector, Subject.ORGANISATION: Organisation}
#: How long a saved search's query may be (the search's own limit is the same).
MAX_QUERY = 200


def _framework(user, uuid):
    frameworks = RecordPage.objects.visible_to(user).of_kind("framework")
    try:
        found = frameworks.filter(translation_key=uuid).first()
    except Exception:  # noqa: BLE001 (not a UUID: as if it did not exist)
        found = None
    if found is None:
        raise Http404("There is no such framework, or you may not see it.")
    return found.specific


def resolve(user, subject, key, framework=None):
    """``(record, key, label)`` of what ``subject``/``key`` names, for ``user``; Http404 if it does
    not exist or they may not see it; ValueError with a message for people if it is malformed."""
    key = (key or "").strip()
    if subject == Subject.FRAMEWORK:
        page = _framework(user, key)
        return page, "", page.title
    if subject == Subject.PROVISION:
        page = _framework(user, framework)
        provision = next((p for p in page.provisions.all() if p.anchor == anchor(key)), None)
        if provision is None:
            raise Http404("This framework has no such provision.")
        return page, provision.code, f"{provision.code} {provision.title} ({page.title})"
    if subject in TERMS:
        term = TERMS[subject].objects.filter(slug=key).first()
        if term is None:
            raise Http404(f"There is no such {subject}.")
        return None, term.slug, term.name
    if subject == Subject.KIND:
        model = RecordPage.kind_models().get(key)
        if model is None:
            raise Http404("There is no such kind of record.")
        return None, key, f"New {model._meta.verbose_name_plural}"
    if subject == Subject.SEARCH:
        query = " ".join(key.split())
        if not query:
            raise ValueError("Search for something first: a saved search needs words.")
        if len(query) > MAX_QUERY:
            raise ValueError(f"A saved search can be at most {MAX_QUERY} characters long.")
        return None, query, f"Search: “{query}”"
    raise Http404("There is nothing of that kind to follow.")


def follow(user, subject, key, framework=None):
    """Follow what ``subject``/``key`` names (once); returns ``(Follow, created)``."""
    record, key, label = resolve(user, subject, key, framework)
    existing = Follow.objects.filter(user=user, subject=subject, record=record, key=key).first()
    if existing is not None:
        return existing, False
    newest = RecordChange.objects.newest_id()
    created = Follow.objects.create(
        user=user, subject=subject, record=record, key=key, label=label, covered_change=newest
    )  # digests start with what changes from now on
    return created, True


def records(follow, user=None):
    """The records ``follow`` matches that its person (or ``user``) may see now."""
    user = user or follow.user
    visible = RecordPage.objects.visible_to(user)
    subject = follow.subject
    if subject == Subject.FRAMEWORK:
        linking = CrossLink.objects.filter(target_id=follow.record_id).values("source")
        return visible.filter(Q(pk=follow.record_id) | Q(pk__in=linking))
    if subject == Subject.PROVISION:
        links = CrossLink.objects.filter(target_id=follow.record_id, target_provision__isnull=False)
        wanted = anchor(follow.key)
        linking = [
            source for source, code in links.values_list("source", "target_provision__code") if anchor(code) == wanted
        ]
        return visible.filter(pk__in=linking)
    if subject == Subject.TOPIC:
        return visible.filter(topics__in=Topic.ids_under([follow.key])).distinct()
    if subject == Subject.SECTOR:
        return visible.filter(sectors__slug=follow.key).distinct()
    if subject == Subject.ORGANISATION:
        return visible.filter(organisations__slug=follow.key).distinct()
    if subject == Subject.KIND:
        return visible.of_kind(follow.key)
    if subject == Subject.SEARCH:
        try:
            ids = search.matching_ids(visible, follow.key)
        except search.SearchError:
            ids = []
        return visible.filter(pk__in=ids)
    return visible.none()


def feed_records(feed):
    """The records of a private feed: of its follow, or of all its person's follows."""
    follows = [feed.follow] if feed.follow_id else list(feed.user.follows.all())
    ids = set()
    for one in follows:
        ids.update(records(one, feed.user).values_list("pk", flat=True))
    return RecordPage.objects.visible_to(feed.user).filter(pk__in=ids)


#: How many records the home page's "new since your last visit" list shows.
NEW_SHOWN = 10


def new_since(user, since):
    """The records of ``user``'s follows published on the portal after ``since`` (the last 7 days
    on a first visit), newest first, at most ``NEW_SHOWN``; and how many there are."""
    follows = list(user.follows.all())
    if not follows:
        return [], 0
    since = since or timezone.now() - datetime.timedelta(days=7)
    ids = set()
    for one in follows:
        ids.update(records(one, user).filter(last_published_at__gt=since).values_list("pk", flat=True))
    found = RecordPage.objects.visible_to(user).filter(pk__in=ids).order_by("-last_published_at", "-pk")
    return list(found.specific()[:NEW_SHOWN]), len(ids)
