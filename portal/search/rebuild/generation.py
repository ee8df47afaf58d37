"""A new generation of an index, built beside the live one and swapped in.

A :class:`Rebuild` creates the generation (:meth:`~portal.search.storage.IndexStore.new_generation`)
and marks it as being rebuilt, so that saves made meanwhile are queued for it too. Its common
words (see :mod:`portal.search.phrases`) are set first: by :meth:`Rebuild.set_common`, or from the
first :data:`Rebuild.SAMPLE_SIZE` documents. Documents are written by a :class:`BulkLoad` (the
bulk writer, :class:`~portal.search.whoosh_internals.BulkWriter`, a new segment every
:data:`SEGMENT_POSTINGS` postings, with the impact vectors of frequent terms beside each segment),
here or in worker processes (:mod:`.processes`). :meth:`Rebuild.finish` commits every segment at
once, writes the changes queued meanwhile, and points ``CURRENT`` at the new generation.
"""

import contextlib

from ..documents import to_whoosh
from ..impacts import IMPACT_MIN_DOCS, ImpactCollector
from ..phrases import common_words
from ..whoosh_internals import BulkWriter, commit_segments

#: Postings gathered in memory before a segment is written (bounds a rebuild's memory).
SEGMENT_POSTINGS = 4_000_000


class Rebuild:
    """Builds a new generation of an index and swaps it in; see the module docstring.

    Documents come either through :meth:`add` (written in this process) or as segments that
    worker processes wrote into the generation (:meth:`add_segments`). The common words of the
    generation are set first: by :meth:`set_common`, or from the first :data:`SAMPLE_SIZE`
    documents given to :meth:`add`."""

    SAMPLE_SIZE = 2000

    def __init__(self, store, procs=1, **bulk_options):
        self.store = store
        self.procs = procs
        self.bulk_options = bulk_options  # for BulkLoad: segment_postings, impact_min_docs
        self.gen = None
        self.common = None
        self.segments = []
        self._load = None
        self._pending = []
        self._held = contextlib.ExitStack()

    def start(self):
        store = self.store
        store.ensure()
        # One rebuild at a time per index: a second one waits for the first.
        self._held.enter_context(store.rebuild_lock())
        with store.state_lock(exclusive=True):
            self.gen = store.new_generation()
            store.mark_rebuilding(self.gen)
        return self

    def index(self):
        return self.store.open(self.gen)

    def bulk_load(self):
        """A :class:`BulkLoad` into this generation, with its common words (also in a worker process)."""
        return BulkLoad(self.index(), self.common, **self.bulk_options)

    def set_common(self, common):
        self.common = frozenset(common)
        self.store.set_generation_info(self.gen, self.common)

    def add(self, documents):
        for document in documents:
            if self.common is None:
                self._pending.append(document)
                if len(self._pending) >= self.SAMPLE_SIZE:
                    self._write_pending()
                continue
            if self._load is None:
                self._load = self.bulk_load()
            self._load.add(document)

    def _write_pending(self):
        if self.common is None:
            self.set_common(common_words(self._pending))
        if self._load is None:
            self._load = self.bulk_load()
        pending, self._pending = self._pending, []
        for document in pending:
            self._load.add(document)

    def add_segments(self, segments):
        """Segments written into this generation by other processes."""
        self.segments.extend(segments)

    def finish(self):
        store = self.store
        try:
            self._write_pending()
            self.segments.extend(self._load.finish())
            commit_segments(self.index(), self.segments)
            with store.state_lock(exclusive=True):
                store.drain(self.gen, 60.0)
                store.point_current_to(self.gen)
                store.marker_file.unlink(missing_ok=True)
        finally:
            self._held.close()
        store.clean_generations()

    def abort(self):
        if self._load is not None:
            with contextlib.suppress(Exception):
                self._load.cancel()
        with self.store.state_lock(exclusive=True):
            self.store.marker_file.unlink(missing_ok=True)
        self._held.close()
        self.store.clean_generations()


class BulkLoad:
    """Documents (dicts from :func:`portal.search.documents.build_document`) written into new
    segments of the index ``ix``, a new segment every ``segment_postings`` postings. The
    segments are not committed: :meth:`finish` returns them for the rebuild to commit."""

    def __init__(self, ix, common=frozenset(), segment_postings=SEGMENT_POSTINGS, impact_min_docs=IMPACT_MIN_DOCS):
        self.ix = ix
        self.common = common
        self.segment_postings = segment_postings
        self.impact_min_docs = impact_min_docs
        self.segments = []
        self._writer = None
        self._impacts = None

    def add(self, document):
        if self._writer is None:
            self._impacts = ImpactCollector(self.impact_min_docs)
            self._writer = BulkWriter(self.ix, on_term=self._impacts)
        self._writer.add_document(**to_whoosh(document, self.common))
        if self._writer.posting_count >= self.segment_postings:
            self._close_writer()

    def _close_writer(self):
        if self._writer is not None:
            segment = self._writer.finish()
            self._writer = None
            if segment is not None:
                self._impacts.write(self.ix.storage.folder, segment)
                self.segments.append(segment)

    def finish(self):
        self._close_writer()
        return self.segments

    def cancel(self):
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
