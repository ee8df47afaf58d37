"""A large rebuild in several processes (``REBUILD_PROCS``), each reading a range of primary keys,
building and analysing those documents and writing segments of its own into the new generation,
which the rebuild then commits at once (:class:`~.generation.Rebuild`).
"""

import multiprocessing
import os
import queue
import traceback

from django.db import connections

from ..documents import build_document
from ..phrases import common_words
from ..progress import Progress
from .backend import keyset_chunks


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


def pk_ranges(pks, parts):
    """Up to ``parts`` (first pk, last pk) ranges of the sorted keys ``pks``, holding about the
    same number of objects."""
    if not pks:
        return []
    size = -(-len(pks) // parts)
    return [(pks[i], pks[min(i + size, len(pks)) - 1]) for i in range(0, len(pks), size)]


def _worker(rebuild, units, chunk_size, messages):
    """Index ``units`` [(model, queryset)] into new segments of the rebuild's generation."""
    try:
        connections.close_all()
        load = rebuild.bulk_load()
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
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        for number, (first, last) in enumerate(pk_ranges(pks, procs)):
            shares[number].append((model, queryset.filter(pk__gte=first, pk__lte=last)))
        total += len(pks)
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
                rebuild.add_segments(payload[0])
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
