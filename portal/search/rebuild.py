"""Rebuilding search indexes: keyset paging, a progress bar and a final count.

Used by the portal's ``rebuild_modelsearch_index`` and ``update_index`` commands (which replace
modelsearch's and Wagtail's, whose OFFSET paging reads the table again from the start for every
chunk), and by the benchmark. Works with any modelsearch backend that has a rebuilder.
"""

import multiprocessing
import os
import queue
import sys
import traceback

from django.db import connections

from modelsearch.index import get_indexed_models
from modelsearch.management.commands.rebuild_modelsearch_index import group_models_by_index

from .progress import Progress

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
            abort = getattr(getattr(rebuilder, "rebuild", None), "abort", None)
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


# Rebuilding in several processes


def can_fork():
    """Whether worker processes would see the same data as this one: not inside a transaction
    (its rows are invisible to other connections) and not an in-memory SQLite database."""
    if not hasattr(os, "fork"):
        return False
    for connection in connections.all():
        if connection.in_atomic_block:
            return False
        name = str(connection.settings_dict.get("NAME") or "")
        if connection.vendor == "sqlite" and (":memory:" in name or "mode=memory" in name or not name):
            return False
    return True


def pk_ranges(queryset, parts):
    """Up to ``parts`` (first pk, last pk) ranges holding about the same number of objects."""
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    if not pks:
        return []
    size = -(-len(pks) // parts)
    return [(pks[i], pks[min(i + size, len(pks)) - 1]) for i in range(0, len(pks), size)]


def _worker(rebuild, units, chunk_size, messages):
    """Index ``units`` [(model, queryset)] into new segments of the rebuild's generation."""
    from .documents import build_document
    from .writer import BulkLoad

    try:
        connections.close_all()
        load = BulkLoad(rebuild.index(), rebuild.common)
        count = 0
        for _model, queryset in units:
            for chunk in keyset_chunks(queryset, chunk_size):
                for obj in chunk:
                    load.add(build_document(obj))
                count += len(chunk)
                messages.put(("progress", os.getpid(), len(chunk)))
        messages.put(("done", os.getpid(), load.finish(), count))
    except BaseException:
        messages.put(("error", os.getpid(), traceback.format_exc()))
    finally:
        connections.close_all()


def index_in_processes(rebuild, models, chunk_size, procs, out=None, label="", queryset_for=None):
    """Index the objects of ``models`` into ``rebuild`` with ``procs`` worker processes, each
    reading, turning into documents and writing its share (a range of primary keys of every
    model) into segments of its own; returns the number of objects indexed.

    The common words are taken first from a sample (the first objects), which the workers
    read again."""
    from .documents import build_document
    from .phrases import common_words

    querysets = [(model, queryset_for(model) if queryset_for else model.get_indexed_objects()) for model in models]
    sample = []
    for _model, queryset in querysets:
        for chunk in keyset_chunks(queryset, min(chunk_size, rebuild.SAMPLE_SIZE)):
            sample.extend(build_document(obj) for obj in chunk)
            if len(sample) >= rebuild.SAMPLE_SIZE:
                break
        if len(sample) >= rebuild.SAMPLE_SIZE:
            break
    rebuild.set_common(common_words(sample))

    shares = [[] for _ in range(procs)]
    total = 0
    for model, queryset in querysets:
        for number, (first, last) in enumerate(pk_ranges(queryset, procs)):
            shares[number].append((model, queryset.filter(pk__gte=first, pk__lte=last)))
        total += queryset.count()
    shares = [share for share in shares if share]
    name = f"{label}{', '.join(model._meta.label for model in models)}"
    progress = Progress(out, name.ljust(40), total)

    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    connections.close_all()
    workers = [context.Process(target=_worker, args=(rebuild, share, chunk_size, messages)) for share in shares]
    for worker in workers:
        worker.start()
    indexed = 0
    failure = None
    running = {worker.pid: worker for worker in workers}
    try:
        while running:
            try:
                kind, pid, *payload = messages.get(timeout=1.0)
            except queue.Empty:
                for pid, worker in list(running.items()):
                    if worker.exitcode is not None:
                        failure = failure or f"worker {pid} exited with status {worker.exitcode}"
                        running.pop(pid)
                continue
            if kind == "progress":
                progress.advance(payload[0])
            elif kind == "done":
                rebuild.add_segments(payload[0], payload[1])
                indexed += payload[1]
                running.pop(pid, None)
            else:
                failure = failure or payload[0]
                running.pop(pid, None)
    finally:
        for worker in workers:
            worker.join()
    progress.finish()
    if failure:
        raise RuntimeError(f"A rebuild worker failed:\n{failure}")
    return indexed


def stderr_writer():
    """A minimal stand-in for a command's stdout, for scripts."""

    class _Writer:
        _out = sys.stderr

        def write(self, text, ending="\n"):
            sys.stderr.write(text + ending)

        def flush(self):
            sys.stderr.flush()

    return _Writer()
