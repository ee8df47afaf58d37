"""The interactive API docs, served from this site's static files only (no CDN, no web fonts)."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

from django.http import HttpResponse
from django.template import engines

REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<title>{{ title }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="{{ schema_url }}"></redoc>
<script src="{{ redoc_standalone }}"></script>
</body>
</html>
"""


class OfflineRedocView(SpectacularRedocView):
    """drf-spectacular's ReDoc page without the Google Fonts links of its default template."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        html = (
            engines["django"]
            .from_string(REDOC_PAGE)
            .render(
                {
                    "title": self.title,
                    "redoc_standalone": self._redoc_standalone(),
                    "schema_url": self._get_schema_url(request),
                }
            )
        )
        return HttpResponse(html)
