"""Test overlay: fast hashing and a private search index folder per run."""

import os
import secrets
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

from .base import *  # noqa: F403
from .base import WAGTAILSEARCH_BACKENDS

# A test's own transaction never commits: tasks run at once (tests/search/test_index_after_commit.py
# turns this on in transactional tests).
TASKS_AFTER_COMMIT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WAGTAILSEARCH_BACKENDS["default"]["PATH"] = tempfile.mkdtemp(prefix="portal-test-index-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
