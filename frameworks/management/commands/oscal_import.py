import sys

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from frameworks.oscal_import import CatalogError, CatalogImporter, framework_record, read, withdrawn
from portal.models import SharingLevel


class Command(BaseCommand):
    help = (
        "Import an OSCAL catalog (JSON, OSCAL 1.1 or 1.2), such as NIST's published catalogs, as a new "
        "framework: its groups and controls become the provisions (docs/data-format.md, 'OSCAL'). Everything "
        "is checked first; then all of it is written in one transaction, or nothing is."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The catalog's JSON file.")
        parser.add_argument("--slug", help="The new framework's slug (default: from the catalog's title).")
        parser.add_argument(
            "--sharing-level",
            choices=SharingLevel.values,
            default=SharingLevel.GREEN,
            help="Who may see the framework (default: TLP:GREEN, as for record files).",
        )
        parser.add_argument(
            "--issuing-body",
            help="Slug of the organisation that issued it (default: the catalog's creator, if the portal "
            "has an organisation of that name).",
        )
        parser.add_argument("--draft", action="store_true", help="Import as a draft, unpublished.")
        parser.add_argument("--dry-run", action="store_true", help="Check and print what would change; write nothing.")

    def handle(self, *args, path, slug, sharing_level, issuing_body, draft, dry_run, verbosity, **options):
        try:
            catalog = read(path)
            record = framework_record(
                catalog, slug=slug, sharing_level=sharing_level, issuing_body=issuing_body, published=not draft
            )
        except CatalogError as error:
            self._fail(error.problems)
        progress = OutputWrapper(options.get("stderr") or sys.stderr) if verbosity >= 1 and not dry_run else None
        importer = CatalogImporter(record, str(path), progress=progress)
        problems = importer.check()
        if problems:
            self._fail(problems)
        importer.plan()
        count = len(record["framework"]["provisions"])
        summary = f"framework '{record['slug']}' with {count} provisions"
        left_out = withdrawn(catalog)
        if left_out:
            self.stdout.write(f"Left out {len(left_out)} withdrawn controls: {', '.join(left_out)}.")
        if dry_run:
            self.stdout.write(f"Dry run: would create {summary}. Nothing was written.")
            return
        importer.apply()
        self.stdout.write(self.style.SUCCESS(f"Imported {summary} (uuid {record['uuid']})."))

    def _fail(self, problems):
        for problem in problems:
            self.stderr.write(str(problem))
        raise CommandError(f"{len(problems)} problem(s) found; nothing was imported.")
