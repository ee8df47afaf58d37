"""Report drift between the database and the Whoosh search index, and repair it on request.

    manage.py search_index_drift            # report: missing, stale and extra documents per index
    manage.py search_index_drift --repair   # and write what is missing or stale, delete extras
    manage.py search_index_drift --optimize # also merge each index into one segment

Exits with status 1 when drift was found and not repaired, so it can run from cron or CI.
"""

from django.core.management.base import BaseCommand, CommandError

from modelsearch.backends import get_search_backend

from portal.search.drift import backend_drift, repair
from portal.search.whoosh import WhooshSearchBackend


class Command(BaseCommand):
    help = "Compare the search index with the database: missing, stale and extra documents."

    def add_arguments(self, parser):
        parser.add_argument("--backend", default="default", help="Search backend name (default: default).")
        parser.add_argument("--repair", action="store_true", help="Fix the drift that was found.")
        parser.add_argument("--optimize", action="store_true", help="Merge each index into one segment.")
        parser.add_argument("--chunk-size", type=int, default=1000)

    def handle(self, backend, repair, optimize, chunk_size, **options):
        search_backend = get_search_backend(backend)
        if not isinstance(search_backend, WhooshSearchBackend):
            raise CommandError(f"Backend {backend!r} is not the Whoosh backend; only its index can drift.")
        drifted = False
        for index, report in backend_drift(search_backend, chunk_size=chunk_size):
            line = (
                f"{report.index}: {report.expected:,} objects in the database, {report.indexed:,} documents; "
                f"missing {len(report.missing)}, stale {len(report.stale)}, extra {len(report.extra)}"
            )
            self.stdout.write(line)
            for label, items in (("missing", report.missing), ("stale", report.stale), ("extra", report.extra)):
                if items:
                    shown = ", ".join(str(getattr(item, "pk", item)) for item in items[:10])
                    more = f" and {len(items) - 10} more" if len(items) > 10 else ""
                    self.stdout.write(f"  {label}: {shown}{more}")
            if not report.clean:
                if repair:
                    written = self._repair(index, report)
                    self.stdout.write(self.style.SUCCESS(f"  repaired: {written} changes written"))
                else:
                    drifted = True
            if optimize:
                index.store.optimize()
                self.stdout.write(f"  optimized {report.index}")
        if drifted:
            raise CommandError("The index has drifted from the database; run again with --repair.", returncode=1)

    @staticmethod
    def _repair(index, report):
        return repair(index, report)
