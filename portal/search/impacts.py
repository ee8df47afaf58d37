"""Impact vectors: one term of one field in one segment as one byte per document.

For a term, the BM25 score of a document depends only on the term's frequency in it and the
field's length there (Whoosh stores that length as one byte). So the term becomes one byte per
document: 0 where the term is absent, otherwise the number of its (frequency, length byte) pair
in a small table, the term's *keys*; a frequent word of a long field has more than 255 pairs and
gets one such vector per 255 keys. The ranking engine (:mod:`portal.search.vectors`) turns them
into presence and scores with ``bytes.translate``.

A rebuild stores the vectors of its frequent terms (in at least :data:`IMPACT_MIN_DOCS` documents
of a segment) in a side file beside the segment, ``<segment>.imp`` (:class:`ImpactCollector`,
given to the bulk writer); Whoosh deletes it with the segment. Other terms, and segments written
by ordinary saves, are read from the postings (:mod:`portal.search.segments`).
"""

import os
import pickle
import struct
import zlib

from .lru import LRU
from .whoosh_internals import segment_path

IMPACTS_EXT = ".imp"
#: Terms in at least this many documents of a bulk-written segment get a stored vector.
IMPACT_MIN_DOCS = 256

_side_files = LRU(256)


def impact_vectors(docs, weights, lengths, docbase, doc_count):
    """[(keys, vector)] for one term of a segment, at most 255 keys each; None if a frequency
    is not a positive whole number (a weighted field)."""
    # Whole lists at a time: this runs for every frequent term of a rebuild.
    tfs = [int(tf) for tf in weights]
    if tfs and (tfs != list(weights) or min(tfs) < 1):
        return None
    local = [doc - docbase for doc in docs] if docbase else list(docs)
    if lengths is None:
        keyed = [(tf, 0) for tf in tfs]
    else:
        end = len(lengths)
        keyed = list(zip(tfs, [lengths[doc] if doc < end else 0 for doc in local], strict=True))
    keys = sorted(set(keyed))
    number = {key: i for i, key in enumerate(keys)}
    groups = [bytearray(doc_count) for _ in range(0, len(keys), 255)]
    if len(groups) == 1:
        vector = groups[0]
        for doc, key in zip(local, keyed, strict=True):
            vector[doc] = number[key] + 1
    else:
        for doc, key in zip(local, keyed, strict=True):
            i = number[key]
            groups[i // 255][doc] = i % 255 + 1
    return [(tuple(keys[g * 255 : (g + 1) * 255]), bytes(vector)) for g, vector in enumerate(groups)]


def write_impacts(folder, segment, entries):
    """Store ``entries`` {(field name, term bytes): [(keys, vector)]} beside ``segment``."""
    index = {}
    path = segment_path(folder, segment, IMPACTS_EXT)
    with open(path, "wb") as out:
        position = 0
        for key, groups in entries.items():
            stored = []
            for keys, vector in groups:
                blob = zlib.compress(vector, 1)
                out.write(blob)
                stored.append((position, len(blob), keys))
                position += len(blob)
            index[key] = stored
        out.write(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        out.write(struct.pack("<Q", position))


class _SideFile:
    """The stored vectors of one segment, read on demand."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as handle:
            handle.seek(-8, 2)
            size = handle.tell()
            (start,) = struct.unpack("<Q", handle.read(8))
            handle.seek(start)
            self.index = pickle.loads(handle.read(size - start))  # noqa: S301 (written by us)

    def get(self, fieldname, tbytes):
        stored = self.index.get((fieldname, tbytes))
        if stored is None:
            return None
        groups = []
        with open(self.path, "rb") as handle:
            for position, length, keys in stored:
                handle.seek(position)
                groups.append((keys, zlib.decompress(handle.read(length))))
        return groups


def stored_vectors(folder, segment_id, fieldname, tbytes):
    """[(keys, vector)] of a term stored beside a segment, or None if the segment has no side
    file or the term no stored vector."""
    path = os.path.join(folder, segment_id + IMPACTS_EXT)
    side = _side_files.get_or_build(path, lambda: _open_side_file(path))
    return None if side is None else side.get(fieldname, tbytes)


def _open_side_file(path):
    try:
        return _SideFile(path)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        return None


class ImpactCollector:
    """The bulk writer's ``on_term``: keeps the vectors of the frequent terms of the segment being
    written, and stores them beside it (:meth:`write`)."""

    def __init__(self, min_docs=IMPACT_MIN_DOCS):
        self.min_docs = min_docs
        self.entries = {}

    def __call__(self, fieldname, tbytes, docs, weights, lengths, docbase, doc_count):
        if len(docs) >= self.min_docs:
            vectors = impact_vectors(docs, weights, lengths, docbase, doc_count)
            if vectors is not None:
                self.entries[(fieldname, tbytes)] = vectors

    def write(self, folder, segment):
        write_impacts(folder, segment, self.entries)
        self.entries = {}
