import gc
import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (configured by the line above)

try:
    settings.SECRET_KEY  # noqa: B018  (Django raises here when the key is empty)
except ImproperlyConfigured as error:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).") from error

# Load the URLconf (and with it every view and model) now, then move everything loaded so far out
# of the garbage collector's sight: full collections then scan only what requests create (the
# effect on the slowest requests is measured in docs/performance.md).
get_resolver().url_patterns  # noqa: B018  (imports the URLconf)
gc.collect()
gc.freeze()
