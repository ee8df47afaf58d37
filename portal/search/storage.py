"""One index on disk, safe with many writing processes.

Layout of an index folder (``<PATH>/<root model>/``)::

    CURRENT          name of the generation that answers searches, e.g. "g3" (replaced atomically)
    g3/              a Whoosh index, and g3/PORTAL.json: the document format it was written with
                     and its common words (see :mod:`portal.search.phrases`)
    queue-g3/        changes waiting to be written into g3, one JSON file per save or delete
    REBUILDING       while a rebuild runs: the generation it is building
    state.lock       flock: shared while a writer queues a change, exclusive to start or swap a rebuild
    rebuild.lock     flock held by the running rebuild for its whole life

Whoosh lets one writer hold an index at a time. Instead of failing or waiting without end, every
change is first written to the queue (an atomic rename, so a change survives its process being
killed), and then whoever holds Whoosh's write lock drains the queue: the process that queued
the change if the lock is free within a few seconds, otherwise the process holding the lock,
which drains again after each commit until the queue is empty. Whoosh's commit writes the new
segment files first and swaps its table of contents by renaming, so a process killed
mid-commit leaves the index at its previous version; the next writer deletes the files it left.

A rebuild writes a new generation beside the current one while searches and saves go on; saves
made meanwhile are queued for both generations, and the new one takes over by one rename of
CURRENT (:mod:`portal.search.rebuild`).

A generation written by an older version of this backend (another ``schema.FORMAT``) is not
read: the index starts a new, empty generation and logs that it needs a rebuild.
"""

import contextlib
import fcntl
import json
import logging
import math
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError

from .documents import to_whoosh
from .lru import LRU
from .reading import IndexView
from .schema import FORMAT, SCHEMA
from .whoosh_internals import merge_segment

logger = logging.getLogger(__name__)

#: A tier of segments (1-9 documents, 10-99, ...) is merged once it has this many segments.
MERGE_FACTOR = 8
#: Merges larger than this many documents are left to ``optimize`` (a command), not to a save.
INLINE_MERGE_LIMIT = 20_000
#: Queue files older than this are drained by the next search if nobody else did.
STALE_QUEUE_SECONDS = 2.0
#: Each generation's format and common words.
GENERATION_FILE = "PORTAL.json"

_local = threading.local()
_generation_infos = LRU(256)


@contextlib.contextmanager
def flocked(path, exclusive=True, blocking=True):
    """Hold an flock on ``path``; yields False (holding nothing) if not blocking and it is taken."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode if blocking else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def tiered_merge(writer, segments):
    """Whoosh merge policy: merge a size tier once it holds MERGE_FACTOR segments, and rewrite
    segments that are mostly deleted documents, but never more than INLINE_MERGE_LIMIT documents
    in one save, so thousands of one-document commits leave a handful of segments."""
    tiers = {}
    for segment in segments:
        tiers.setdefault(int(math.log10(max(segment.doc_count(), 1))), []).append(segment)
    to_merge = []
    for members in tiers.values():
        if len(members) >= MERGE_FACTOR:
            to_merge.extend(members)
    for segment in segments:
        if segment not in to_merge and segment.deleted_count() > segment.doc_count_all() / 2:
            to_merge.append(segment)
    budget = INLINE_MERGE_LIMIT
    merged = []
    for segment in sorted(to_merge, key=lambda s: s.doc_count()):
        if segment.doc_count() > budget:
            continue
        budget -= segment.doc_count()
        merge_segment(writer, segment)
        merged.append(segment)
    return [s for s in segments if s not in merged]


def _write_atomic(path, text):
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temp.write_text(text)
    os.replace(temp, path)


def coalesce(ops):
    """The last operation per document id, in order: a batch may touch one document twice."""
    last = {}
    for op in ops:
        key = op[1]["doc_id"] if op[0] == "add" else op[1]
        last.pop(key, None)
        last[key] = op
    return list(last.values())


class IndexStore:
    """The on-disk state of one index (see the module docstring)."""

    def __init__(self, folder, write_timeout=5.0):
        self.folder = Path(folder)
        self.write_timeout = write_timeout

    # Layout

    @property
    def current_file(self):
        return self.folder / "CURRENT"

    @property
    def marker_file(self):
        return self.folder / "REBUILDING"

    def gen_dir(self, gen):
        return self.folder / gen

    def queue_dir(self, gen):
        return self.folder / f"queue-{gen}"

    def state_lock(self, exclusive=False):
        return flocked(self.folder / "state.lock", exclusive=exclusive)

    def rebuild_lock(self, blocking=True):
        """Held by a running rebuild for its whole life (one rebuild at a time per index)."""
        return flocked(self.folder / "rebuild.lock", blocking=blocking)

    # Generations

    def ensure(self):
        """Create the folder and an empty first generation on first use, and a new one if the
        current generation was written in an older format."""
        if self.current_file.exists() and self._readable(self.current_file.read_text().strip()):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.state_lock(exclusive=True):
            if self.current_file.exists():
                gen = self.current_file.read_text().strip()
                if self._readable(gen):
                    return
                logger.warning(
                    "Search index %s was written by an older version; starting it empty. "
                    "Run manage.py rebuild_modelsearch_index.",
                    self.folder,
                )
            self.point_current_to(self.new_generation())

    def _readable(self, gen):
        return self.generation_info(gen).get("format") == FORMAT

    def new_generation(self):
        """Create the next generation (empty, no common words) and its queue; returns its name."""
        numbers = [int(p.name[1:]) for p in self.folder.glob("g*") if p.name[1:].isdigit()]
        gen = f"g{max(numbers, default=0) + 1}"
        path = self.gen_dir(gen)
        path.mkdir()
        FileStorage(str(path)).create_index(SCHEMA)
        self.set_generation_info(gen, common=())
        self.queue_dir(gen).mkdir(exist_ok=True)
        return gen

    def generation_info(self, gen):
        """{"format": …, "common": […]} of a generation ({} if it has none)."""
        path = self.gen_dir(gen) / GENERATION_FILE
        try:
            stat = path.stat()
        except FileNotFoundError:
            return {}
        key = (str(path), stat.st_mtime_ns, stat.st_ino)
        info = _generation_infos.get(key)
        if info is None:
            try:
                info = json.loads(path.read_text())
            except (OSError, ValueError):
                return {}
            info["common"] = frozenset(info.get("common", ()))
            _generation_infos.put(key, info)
        return info

    def set_generation_info(self, gen, common):
        payload = json.dumps({"format": FORMAT, "common": sorted(common)})
        _write_atomic(self.gen_dir(gen) / GENERATION_FILE, payload)

    def common_words(self, gen):
        return self.generation_info(gen).get("common", frozenset())

    def current(self):
        self.ensure()
        return self.current_file.read_text().strip()

    def point_current_to(self, gen):
        """Make ``gen`` the generation that answers searches (one atomic rename)."""
        _write_atomic(self.current_file, gen)

    def mark_rebuilding(self, gen):
        """Saves from now on are queued for ``gen`` too (while the rebuild lock is held)."""
        _write_atomic(self.marker_file, gen)

    def open(self, gen):
        return _reading_again(lambda: FileIndex(FileStorage(str(self.gen_dir(gen))), schema=SCHEMA))

    def live_rebuild(self):
        """The generation a running rebuild is writing, or None (a dead rebuild's marker is ignored)."""
        try:
            gen = self.marker_file.read_text().strip()
        except FileNotFoundError:
            return None
        with self.rebuild_lock(blocking=False) as free:
            if free:
                return None
        return gen or None

    # Writing

    def apply(self, ops):
        """Queue ``ops`` (("add", document) or ("delete", id)) and write them if the lock allows."""
        if not ops:
            return
        self.ensure()
        payload = json.dumps(ops)
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        with self.state_lock():
            gen = self.current()
            targets = [gen]
            rebuilding = self.live_rebuild()
            if rebuilding and rebuilding != gen:
                targets.append(rebuilding)
            for target in targets:
                queue = self.queue_dir(target)
                queue.mkdir(exist_ok=True)
                _write_atomic(queue / name, payload)
        self.drain(gen, self.write_timeout)

    def drain(self, gen, timeout):
        """Write queued changes into ``gen``. Returns False if another process holds the lock
        (it drains them instead)."""
        queue = self.queue_dir(gen)
        ix = None
        for _round in range(50):
            if not self._queued(queue):
                return True
            try:
                ix = ix or self.open(gen)
                writer = ix.writer(timeout=timeout, delay=0.01)
            except LockError:
                return False
            except OSError:
                if self.current() != gen:
                    # A rebuild replaced this generation; the change was queued for the new one too.
                    return True
                raise
            try:
                files = self._queued(queue)
                self._clean_orphans(self.gen_dir(gen))
                ops = []
                for path in files:
                    with contextlib.suppress(FileNotFoundError, ValueError):
                        ops.extend(json.loads(path.read_text()))
                self._write_ops(writer, ops, self.common_words(gen))
                writer.commit(mergetype=tiered_merge)
            except BaseException as error:
                with contextlib.suppress(Exception):
                    writer.cancel()
                if isinstance(error, OSError) and self.current() != gen:
                    return True
                raise
            for path in files:
                path.unlink(missing_ok=True)
            timeout = 0.0
        return True

    @staticmethod
    def _queued(queue):
        try:
            return sorted(p for p in queue.iterdir() if p.suffix == ".json" and not p.name.startswith("."))
        except FileNotFoundError:
            return []

    @staticmethod
    def _write_ops(writer, ops, common):
        for kind, payload in coalesce(ops):
            if kind == "add":
                writer.update_document(**to_whoosh(payload, common))
            else:
                writer.delete_by_term("doc_id", payload)

    @staticmethod
    def _clean_orphans(path):
        """Delete what a killed writer left behind (we hold the write lock, so nobody else is
        writing): temporary table-of-contents files and old temporary posting files."""
        now = time.time()
        for item in path.iterdir():
            if ".toc." in item.name:
                item.unlink(missing_ok=True)
            elif item.is_dir() and item.name.endswith(".tmp"):
                for temp in item.iterdir():
                    with contextlib.suppress(FileNotFoundError):
                        if now - temp.stat().st_mtime > 3600:
                            temp.unlink()

    def optimize(self):
        """Merge the current generation into one segment (drops deleted documents)."""
        gen = self.current()
        writer = self.open(gen).writer(timeout=60.0, delay=0.05)
        writer.commit(optimize=True)

    def clean_generations(self):
        """Delete generations (and their queues) that neither answer searches nor are being built."""
        keep = {self.current(), self.live_rebuild()}
        for path in self.folder.iterdir():
            gen = path.name.removeprefix("queue-")
            if path.is_dir() and gen.startswith("g") and gen[1:].isdigit() and gen not in keep:
                shutil.rmtree(path, ignore_errors=True)

    # Reading

    def view(self):
        """An :class:`~portal.search.reading.IndexView` of the latest committed state, reused
        (per thread) while nothing changed."""
        gen = self.current()
        cache = _local.__dict__.setdefault("views", {})
        key = str(self.folder)
        entry = cache.get(key)
        if entry is not None and entry[0] == gen and entry[1].searcher.up_to_date():
            return entry[1]
        self._drain_stale(gen)
        if entry is not None:
            # Not searcher.refresh(): Whoosh's reader reuse adds the old reader's segments to
            # the new list, bringing back segments a merge removed (and their deleted documents).
            with contextlib.suppress(Exception):
                entry[1].searcher.close()
        view = _reading_again(
            lambda: IndexView(self.open(gen).searcher(), common=self.common_words(gen), folder=str(self.gen_dir(gen)))
        )
        cache[key] = (gen, view)
        return view

    def searcher(self):
        """A Whoosh searcher on the latest committed state (see :meth:`view`)."""
        return self.view().searcher

    def _drain_stale(self, gen):
        """Changes queued by a process that died or gave up waiting are written by the next
        search (without waiting for the lock)."""
        files = self._queued(self.queue_dir(gen))
        try:
            oldest = files[0].stat().st_mtime if files else None
        except FileNotFoundError:  # another process drained it after we listed the queue
            return
        if oldest is not None and time.time() - oldest > STALE_QUEUE_SECONDS:
            with contextlib.suppress(Exception):
                self.drain(gen, 0.0)


def _reading_again(read, attempts=5):
    """``read()``, again if it meets a file another process just removed: a commit elsewhere can
    replace the table of contents (and merge segments away) between listing the folder and
    opening what it named; reading again finds the newer commit."""
    for attempt in range(attempts):
        try:
            return read()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
