import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.base")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (configured by the line above)

try:
    settings.SECRET_KEY  # noqa: B018  (Django raises here when the key is empty)
except ImproperlyConfigured as error:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).") from error
