"""Rebuilding search indexes: keyset paging, a progress bar and a final count.

Used by the portal's ``rebuild_modelsearch_index`` and ``update_index`` commands (which replace
modelsearch's and Wagtail's, whose OFFSET paging reads the table again from the start for every
chunk), and by the benchmark. Works with any modelsearch backend that has a rebuilder.
"""

import sys
import time

from modelsearch.index import get_indexed_models
from modelsearch.management.commands.rebuild_modelsearch_index import group_models_by_index

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


class Progress:
    """A one-line progress bar on a terminal; on anything else, a line every 10%."""

    WIDTH = 30

    def __init__(self, out, label, total):
        self.out = out
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.started = time.monotonic()
        self.tty = out is not None and getattr(getattr(out, "_out", out), "isatty", lambda: False)()
        self._last_decile = -1

    def _line(self):
        fraction = self.done / self.total if self.total else 1.0
        filled = int(self.WIDTH * min(fraction, 1.0))
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"{self.label} [{bar}] {self.done:,}/{self.total:,} {fraction:4.0%} {rate:,.0f}/s"

    def advance(self, count):
        self.done += count
        if self.out is None:
            return
        if self.tty:
            self.out.write("\r" + self._line(), ending="")
            self.out.flush()
        else:
            decile = int(10 * self.done / self.total) if self.total else 10
            if decile != self._last_decile:
                self._last_decile = decile
                self.out.write(self._line())

    def finish(self):
        if self.out is not None and self.tty:
            self.out.write("\r" + self._line())


def rebuild_backend(backend, out=None, chunk_size=DEFAULT_CHUNK_SIZE, schema_only=False, label=""):
    """Rebuild every index of ``backend``; returns {index name: number of objects indexed}.

    ``out`` is a management command's stdout (or None for silence).
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
                for model in models:
                    queryset = model.get_indexed_objects()
                    name = f"{label}{model._meta.label}"
                    progress = Progress(out, name.ljust(40), queryset.count())
                    for chunk in keyset_chunks(queryset, chunk_size):
                        target.add_items(model, chunk)
                        indexed += len(chunk)
                        progress.advance(len(chunk))
                    progress.finish()
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


def stderr_writer():
    """A minimal stand-in for a command's stdout, for scripts."""

    class _Writer:
        _out = sys.stderr

        def write(self, text, ending="\n"):
            sys.stderr.write(text + ending)

        def flush(self):
            sys.stderr.flush()

    return _Writer()
