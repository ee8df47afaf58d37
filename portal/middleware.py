"""Caching manners of the web site: what a shared cache may keep, and what it must not."""

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateWhenSignedInMiddleware:
    """A page served to a signed-in person depends on who they are (the records they may see,
    their name in the header), so shared caches must not keep it: ``Cache-Control: private``.
    Pages for anonymous visitors keep whatever caching they had.

    Every 404 also varies on the cookie, whatever produced it: a record someone may not see is
    decided from the session, and its 404 must not differ, in any header, from the 404 of a page
    that does not exist (or the difference would tell which addresses hold hidden records)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404:
            patch_vary_headers(response, ("Cookie",))
        # Without a session cookie nobody is signed in: do not load a session to find out.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                patch_cache_control(response, private=True)
                patch_vary_headers(response, ("Cookie",))
        return response
