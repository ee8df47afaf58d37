"""The rebuilder modelsearch asks for (``backend.rebuilder_class``): its ``start()`` gives the
index that rebuild commands add objects to, its ``finish()`` swaps the new generation in.

Past :data:`WhooshIndexRebuilder.PARALLEL_FROM` objects, :func:`~.backend.rebuild_backend` has the
objects read and written by ``REBUILD_PROCS`` worker processes (:mod:`.processes`).
"""

from modelsearch.index import class_is_indexed

from ..documents import build_document, prepare_queryset
from .generation import Rebuild
from .processes import can_fork, index_in_processes


class RebuildingIndex:
    """The index a rebuild command fills: additions go to the new generation; anything else
    (a delete, the index's name) is the live index's."""

    def __init__(self, index, rebuild):
        self.index = index
        self.rebuild = rebuild

    def __getattr__(self, name):
        return getattr(self.index, name)

    def __str__(self):
        return str(self.index)

    def add_model(self, model):
        """Nothing to do: the schema's fields are dynamic."""

    def add_item(self, item):
        self.add_items(type(item), [item])

    def add_items(self, model, items):
        if class_is_indexed(model):
            self.rebuild.add(build_document(obj) for obj in items)


class WhooshIndexRebuilder:
    """Builds a fresh generation of an index beside the live one, then swaps it in atomically."""

    PARALLEL_FROM = 5000

    def __init__(self, index):
        self.index = index
        self.rebuild = None

    def start(self):
        self.rebuild = Rebuild(self.index.store, procs=self.index.backend.rebuild_procs).start()
        return RebuildingIndex(self.index, self.rebuild)

    def indexed_objects(self, model):
        return prepare_queryset(model.get_indexed_objects())

    def index_in_processes(self, models, chunk_size, out=None, label=""):
        """Index ``models`` with worker processes, or return None to have them indexed here."""
        procs = self.rebuild.procs
        if procs < 2 or not can_fork():
            return None
        indexed_models = [model for model in models if class_is_indexed(model)]
        if sum(self.indexed_objects(model).count() for model in indexed_models) < self.PARALLEL_FROM:
            return None
        return index_in_processes(
            self.rebuild, indexed_models, chunk_size, procs, out=out, label=label, queryset_for=self.indexed_objects
        )

    def finish(self):
        self.rebuild.finish()

    def abort(self):
        self.rebuild.abort()
