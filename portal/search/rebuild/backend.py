"""Rebuilding every index of a modelsearch backend: keyset paging, a progress bar and a count.

Used by the portal's ``rebuild_modelsearch_index`` and ``update_index`` commands (which replace
modelsearch's and Wagtail's, whose OFFSET paging reads the table again from the start for every
chunk), and by the benchmark. Works with any modelsearch backend that has a rebuilder.
"""

from modelsearch.index import get_indexed_models
from modelsearch.management.commands.rebuild_modelsearch_index import group_models_by_index

from ..progress import Progress

DEFAULT_CHUNK_SIZE = 1000


def keyset_chunks(queryset, chunk_size=DEFAULT_CHUNK_SIZE):
    """Yield lists of at most ``chunk_size`` objects in primary key order. Each page asks for
    "pk greater than the last one seen", so every page costs the same however deep it is."""
    queryset = queryset.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        items = list(page[:chunk_size])
        if not items:
            return
        yield items
        if len(items) < chunk_size:
            return
        last = items[-1].pk


def rebuild_backend(backend, out=None, chunk_size=DEFAULT_CHUNK_SIZE, schema_only=False, label=""):
    """Rebuild every index of ``backend``; returns {index name: number of objects indexed}.

    ``out`` is a management command's stdout (or None for silence). A rebuilder may read the
    objects itself, in several processes (``index_in_processes``), and may say how to query them
    (``indexed_objects``); otherwise each model's objects are read here, a keyset page at a time.
    """
    counts = {}
    for index, models in group_models_by_index(backend, get_indexed_models()).items():
        if out is not None:
            out.write(f"{label}Rebuilding index {index}")
        rebuilder = backend.rebuilder_class(index)
        target = rebuilder.start()
        try:
            for model in models:
                target.add_model(model)
            indexed = 0
            if not schema_only:
                in_processes = getattr(rebuilder, "index_in_processes", None)
                counted = in_processes(models, chunk_size, out, label) if in_processes else None
                if counted is not None:
                    indexed = counted
                else:
                    indexed = _index_here(rebuilder, target, models, chunk_size, out, label)
        except BaseException:
            abort = getattr(rebuilder, "abort", None)
            if abort is not None:
                abort()
            raise
        rebuilder.finish()
        counts[str(index)] = indexed
        if out is not None:
            out.write(f"{label}{index}: indexed {indexed:,} objects")
    return counts


def _index_here(rebuilder, target, models, chunk_size, out, label):
    indexed = 0
    objects = getattr(rebuilder, "indexed_objects", None)
    for model in models:
        queryset = objects(model) if objects else model.get_indexed_objects()
        name = f"{label}{model._meta.label}"
        progress = Progress(out, name.ljust(40), queryset.count())
        for chunk in keyset_chunks(queryset, chunk_size):
            target.add_items(model, chunk)
            indexed += len(chunk)
            progress.advance(len(chunk))
        progress.finish()
    return indexed
