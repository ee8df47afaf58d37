"""Rebuilding indexes, all in this package.

* :mod:`.backend`: :func:`rebuild_backend`, every index of a modelsearch backend, keyset-paged
  (:func:`keyset_chunks`), with a progress bar and the number indexed (the management commands
  and the benchmark call it);
* :mod:`.rebuilder`: the rebuilder modelsearch asks the Whoosh backend for;
* :mod:`.generation`: a new generation of one index (:class:`Rebuild`), written by the bulk
  writer (:class:`BulkLoad`) and swapped in;
* :mod:`.processes`: large rebuilds in several worker processes.
"""

from .backend import DEFAULT_CHUNK_SIZE, keyset_chunks, rebuild_backend
from .generation import BulkLoad, Rebuild
from .rebuilder import RebuildingIndex, WhooshIndexRebuilder

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BulkLoad",
    "Rebuild",
    "RebuildingIndex",
    "WhooshIndexRebuilder",
    "keyset_chunks",
    "rebuild_backend",
]
