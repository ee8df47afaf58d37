"""HTTP manners shared by the API's views: conditional requests and throttling."""

import hashlib

from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from portal.clients import client_ip


class ConditionalGetMixin:
    """ETag (a hash of the body) and Last-Modified on successful GETs, and 304 Not Modified when
    the client's copy is current (If-None-Match, or If-Modified-Since without it).

    Views set ``self.last_modified`` (an aware datetime) while handling the request if they know
    when what they answer last changed, and may set ``self.etag_basis`` (a function of the body)
    when part of the body changes on every call without changing its meaning (the change feed's
    cursor): the ETag is then a weak one over what that function keeps.

    A list sets ``self.modified_since = False``: its ``last_modified`` is the newest change among
    the records it shows, which says nothing of a record that left the list (unpublished, deleted,
    restricted), so only the ETag may answer 304. Nothing in either header may depend on records
    the caller cannot see."""

    last_modified = None
    modified_since = True
    etag_basis = None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or not isinstance(response, Response):
            return response
        response.render()
        basis = response.content if self.etag_basis is None else self.etag_basis(response.content)
        digest = hashlib.blake2b(basis, digest_size=16).hexdigest()
        response["ETag"] = f'"{digest}"' if self.etag_basis is None else f'W/"{digest}"'
        timestamp = None
        if self.last_modified is not None:
            timestamp = int(self.last_modified.timestamp())
            response["Last-Modified"] = http_date(timestamp)
        # What the caller may see depends on who they are.
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.user and request.user.is_authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        else:
            patch_cache_control(response, no_cache=True)
        return get_conditional_response(
            request._request,
            etag=response["ETag"],
            last_modified=timestamp if self.modified_since else None,
            response=response,
        )


def newest_change(records):
    """When the newest of ``records`` (what an answer shows) was last published, or None."""
    return max((record.last_published_at for record in records if record.last_published_at), default=None)


class _ConfiguredRate:
    """Reads the rate from the settings at request time (``API_THROTTLE_ANON`` / ``_USER``), so a
    deployment or a test can change it; an empty rate switches throttling off for that scope.

    Anonymous callers are counted by the client address the whole portal uses
    (``portal.clients.client_ip``: X-Forwarded-For only as far as ``PORTAL_TRUSTED_PROXIES``
    allows), never by what the caller writes in a header."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or None

    def get_ident(self, request):
        return client_ip(request) or ""


class AnonThrottle(_ConfiguredRate, AnonRateThrottle):
    pass


class UserThrottle(_ConfiguredRate, UserRateThrottle):
    pass
