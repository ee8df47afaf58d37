"""Drift between the database and a Whoosh index: what is missing, stale or extra, and repair.

Every document stores a digest of its content. The database's objects are read in keyset pages
(as a rebuild reads them), turned into documents and compared by digest with what the index
holds, without rewriting anything unless asked to.
"""

from dataclasses import dataclass, field

from modelsearch.index import get_indexed_models

from .documents import build_document
from .rebuild import keyset_chunks


@dataclass
class Drift:
    index: str
    indexed: int = 0
    expected: int = 0
    missing: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    extra: list = field(default_factory=list)

    @property
    def clean(self):
        return not (self.missing or self.stale or self.extra)


def _index_digests(index):
    reader = index.searcher().reader()
    digests = {}
    # Not reader.all_stored_fields(): a segment reader's version also yields deleted documents.
    for docnum in range(reader.doc_count_all()):
        if not reader.is_deleted(docnum):
            fields = reader.stored_fields(docnum)
            digests[fields["doc_id"]] = fields.get("digest")
    return digests


def _family(index):
    return [m for m in get_indexed_models() if index.backend.get_index_for_model(m).get_key() == index.get_key()]


def index_drift(index, chunk_size=1000):
    """Compare one index with the database; returns a :class:`Drift`."""
    report = Drift(index=str(index))
    held = _index_digests(index)
    report.indexed = len(held)
    seen = set()
    for model in _family(index):
        for chunk in keyset_chunks(model.get_indexed_objects(), chunk_size):
            for obj in chunk:
                doc = build_document(obj)
                key = doc["doc_id"]
                seen.add(key)
                if key not in held:
                    report.missing.append(obj)
                elif held[key] != doc["digest"]:
                    report.stale.append(obj)
    report.expected = len(seen)
    report.extra = sorted(set(held) - seen)
    return report


def repair(index, report):
    """Write the missing and stale objects and delete the extra documents."""
    ops = [("add", build_document(obj)) for obj in report.missing + report.stale]
    ops += [("delete", key) for key in report.extra]
    index.store.apply(ops)
    return len(ops)


def backend_drift(backend, chunk_size=1000):
    """A :class:`Drift` for every index of ``backend`` (which must be the Whoosh backend)."""
    reports = []
    seen = set()
    for model in get_indexed_models():
        index = backend.get_index_for_model(model)
        if index.get_key() not in seen:
            seen.add(index.get_key())
            reports.append((index, index_drift(index, chunk_size)))
    return reports
