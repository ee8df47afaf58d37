"""What the portal does, above what it knows (``portal/models``) and below what people and tools
see (views, template tags, the API, feeds, exports): search and listings, similar records, the
relationship map, the record pages' panels and what the public pages keep in the cache."""

from django.conf import settings


def absolute_url(path=""):
    """``path`` on the portal's own address (``PORTAL_BASE_URL``), for what leaves the site without
    a request to take the host from: e-mails and webhooks."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
