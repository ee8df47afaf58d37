import sys

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from portal.exchange.importer import Importer


class Command(BaseCommand):
    help = (
        "Import records, taxonomy terms, cross-links and crosswalks from YAML/JSON files or folders "
        "(format: docs/data-format.md). Everything is checked first; then all of it is written in one "
        "transaction, or nothing is."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders of .yaml/.yml/.json files.")
        parser.add_argument("--dry-run", action="store_true", help="Check and print what would change; write nothing.")

    def handle(self, *args, paths, dry_run, verbosity, **options):
        # The progress of saving records goes to stderr, unstyled (self.stderr colours what it writes
        # as an error), in the index rebuild's progress bar.
        progress = OutputWrapper(options.get("stderr") or sys.stderr) if verbosity >= 1 and not dry_run else None
        importer = Importer(paths, progress=progress)
        problems = importer.check()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} problem(s) found; nothing was imported.")
        changes = importer.plan()
        counts = {action: sum(1 for c in changes if c.action == action) for action in ("create", "update", "unchanged")}
        for change in changes:
            if change.action != "unchanged" or verbosity >= 2:
                self.stdout.write(str(change))
        summary = f"{counts['create']} to create, {counts['update']} to update, {counts['unchanged']} unchanged"
        if dry_run:
            self.stdout.write(f"Dry run: {summary}. Nothing was written.")
            return
        importer.apply()
        self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
