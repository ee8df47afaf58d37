"""What the public pages keep in the cache, and when it stops being valid.

Search matches, facet counts and the heavy parts of record pages (links, backlinks, similar
records, a framework's provisions) are costly to compute and the same for many requests. They
are kept under a key that names everything they depend on:

- ``records_state()``: the change log's newest entry and the newest expiry that has passed.
  Every change that can alter what anyone sees of any record writes a change-log entry
  (``portal/changes.py``), so any such change makes every key new at once;
- ``audience_key(user)``: anonymous visitors share entries; a signed-in visitor's are their own,
  because what they may see depends on their organisations and on records shared with them;
- at most ``settings.PORTAL_CACHE_SECONDS`` (5 minutes; 0 turns caching off), which bounds what
  the change log does not name (a topic moved in the tree, a crosswalk edited).

Previews of drafts never read or write the cache. The cache is Django's default one (per
process unless ``CACHES`` names a shared one); the key is checked on each request, so processes
never serve each other stale entries either way.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from portal.models import RecordChange, RecordPage

_MISSING = object()
_REQUEST_KEY = "_portal_cache_key"


def records_state():
    """Changes when any record changes for anyone (two small queries)."""
    return (RecordChange.objects.newest_id(), RecordPage.newest_expiry_passed())


def audience_key(user):
    """Who shares cached entries: every anonymous visitor alike; a signed-in visitor alone."""
    if user is None or not user.is_authenticated:
        return "public"
    return f"user:{user.pk}"


def request_key(request):
    """The visitor's audience and the records' state, for keys of this request's entries (read
    once per request); None for a preview of a draft, which must neither read nor write the cache."""
    if getattr(request, "is_preview", False) or not settings.PORTAL_CACHE_SECONDS:
        return None
    if _REQUEST_KEY not in request.__dict__:
        request.__dict__[_REQUEST_KEY] = (audience_key(request.user), records_state())
    return request.__dict__[_REQUEST_KEY]


def _cache_key(parts):
    return "portal:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def remembered(parts, compute):
    """``compute()``, kept in the cache under ``parts`` (which must name everything the value
    depends on) for at most ``PORTAL_CACHE_SECONDS``."""
    if not settings.PORTAL_CACHE_SECONDS:
        return compute()
    key = _cache_key(parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, settings.PORTAL_CACHE_SECONDS)
    return value
