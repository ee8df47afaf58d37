"""Where image renditions are kept: the default storage, with addresses that lead through the
portal (``portal/files.py: serve_rendition``) so that each picture is served by the record rule.

Wagtail reads ``WAGTAILIMAGES_RENDITION_STORAGE`` while its models load, so this module imports
no models.
"""

from django.core.files.storage import Storage, default_storage
from django.urls import reverse


class RenditionStorage(Storage):
    """Stores in the default storage (looked up on each call, so tests may swap it)."""

    def _open(self, name, mode="rb"):
        return default_storage.open(name, mode)

    def _save(self, name, content):
        return default_storage.save(name, content)

    def delete(self, name):
        default_storage.delete(name)

    def exists(self, name):
        return default_storage.exists(name)

    def listdir(self, path):
        return default_storage.listdir(path)

    def size(self, name):
        return default_storage.size(name)

    def path(self, name):
        return default_storage.path(name)

    def get_modified_time(self, name):
        return default_storage.get_modified_time(name)

    def url(self, name):
        return reverse("rendition", args=[name])
