"""The address of the client behind a request, as every part of the portal reads it: the API's
throttles, the sign-in lock-out (django-axes) and the audit log.

``PORTAL_TRUSTED_PROXIES`` is the number of reverse proxies in front of the portal. Each of them
appends the address it received the request from to ``X-Forwarded-For``, so with N proxies the
client is the N-th address from the right; anything further left was written by the client and
is ignored. With no trusted proxy (the default) the header is ignored entirely and the client is
``REMOTE_ADDR``. A header shorter than N entries, or an entry that is not an IP address, falls
back to ``REMOTE_ADDR``: a request that did not come through every proxy names no client.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The client's IP address for ``request`` (a Django or DRF request), or None without one."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PORTAL_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",")]
    if len(addresses) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(addresses[-proxies]))
    except ValueError:
        return remote
