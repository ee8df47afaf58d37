"""Wagtail's name for ``rebuild_modelsearch_index``: the same keyset-paged rebuild."""

from .rebuild_modelsearch_index import Command  # noqa: F401
