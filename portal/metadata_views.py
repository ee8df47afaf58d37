"""robots.txt, sitemap.xml and citation downloads. The feeds are in ``portal/feeds.py``."""

from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from portal import citation
from portal.models import RecordPage
from portal.sitemaps import sitemaps_for

#: Paths robots should leave alone: sign-in and admin screens, search results (endless query
#: combinations of pages that are listed anyway), the JSON API (the same records as the pages,
#: and throttled) and citation downloads. The API's human-readable docs stay crawlable.
DISALLOWED = ["/admin/", "/account/", "/search/", "/api/", "/cite/"]
ALLOWED = ["/api/v1/docs/"]


@require_safe
def robots_txt(request):
    lines = ["User-agent: *"]
    lines += [f"Allow: {path}" for path in ALLOWED]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def sitemap(request):
    """Every page the visitor may see, built for this request (see ``portal/sitemaps.py``)."""
    response = django_sitemap(request, sitemaps=sitemaps_for(request))
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


#: format (the file extension) -> (citation function, content type)
CITATION_FORMATS = {
    "bib": (citation.bibtex, "application/x-bibtex; charset=utf-8"),
    "ris": (citation.ris, "application/x-research-info-systems; charset=utf-8"),
    "json": (citation.csl_json, "application/vnd.citationstyles.csl+json; charset=utf-8"),
}


@require_safe
def cite(request, uuid, fmt):
    """A finding or framework the visitor may see, as a BibTeX, RIS or CSL-JSON download.

    Anything else (unknown, hidden, unpublished, a lesson) is 404."""
    found = RecordPage.objects.visible_to(request.user).filter(translation_key=uuid).order_by("pk").first()
    if found is None or found.kind not in citation.CITABLE_KINDS or fmt not in CITATION_FORMATS:
        raise Http404("No citable record with this id.")
    record = found.specific
    render, content_type = CITATION_FORMATS[fmt]
    text = render(record, url=request.build_absolute_uri(record.get_url(request)))
    response = HttpResponse(text, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{record.slug}.{fmt}")
    response.headers["X-Robots-Tag"] = "noindex"
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response
