"""The one cache shape of the search backend: a dictionary that keeps its most recently used entries.

Every cache of the backend is one of these (decoded posting blocks, term vectors and sorted
columns, impact side files, filters of a view, generation settings): what it holds never goes
stale (segments and generations never change once written), so the only question is how much to
keep.
"""

from collections import OrderedDict


class LRU:
    """At most ``size`` entries; reading or storing an entry makes it the most recent, and storing
    one too many drops the least recent."""

    def __init__(self, size):
        self.size = size
        self._entries = OrderedDict()

    def __len__(self):
        return len(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def __iter__(self):
        """The keys, least recently used first."""
        return iter(list(self._entries))

    def get(self, key, default=None):
        entries = self._entries
        if key not in entries:
            return default
        entries.move_to_end(key)
        return entries[key]

    def put(self, key, value):
        entries = self._entries
        entries[key] = value
        entries.move_to_end(key)
        while len(entries) > self.size:
            entries.popitem(last=False)
        return value

    def get_or_build(self, key, build):
        """The entry for ``key``, built by ``build()`` and stored if there is none (a None built
        is stored too)."""
        entries = self._entries
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        return self.put(key, build())

    def clear(self):
        self._entries.clear()
