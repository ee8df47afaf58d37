"""``rebuild_modelsearch_index`` (and ``update_index``, its Wagtail name) with keyset paging.

Replaces modelsearch's command (the portal app comes first in INSTALLED_APPS) with the same
options and messages; the work is done by :func:`portal.search.rebuild.rebuild_backend`.
"""

from modelsearch.backends import get_search_backend
from modelsearch.management.commands.rebuild_modelsearch_index import Command as ModelsearchCommand

from portal.search.rebuild import rebuild_backend


class Command(ModelsearchCommand):
    help = "Rebuild the search indexes: keyset-paged, with a progress bar and the number indexed."

    def update_backend(self, backend_name, schema_only=False, chunk_size=1000):
        self.write("Updating backend: " + backend_name)
        backend = get_search_backend(backend_name)
        if not backend.rebuilder_class:
            self.write(f"Backend '{backend_name}' doesn't require rebuilding")
            return
        out = self.stdout if self.verbosity > 0 else None
        counts = rebuild_backend(
            backend, out=out, chunk_size=chunk_size, schema_only=schema_only, label=f"{backend_name}: "
        )
        self.write(f"{backend_name}: indexed {sum(counts.values()):,} objects in {len(counts)} indexes")
