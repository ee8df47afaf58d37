"""Create or update the MITRE ATLAS framework from ATLAS's published data file.

    manage.py import_atlas ATLAS.yaml                 # import; prints what changed since the last import
    manage.py import_atlas ATLAS.yaml --dry-run       # only print what would change
    manage.py import_atlas ATLAS.yaml --write FILE    # write the record file instead (the shipped dataset)

The file is ``dist/ATLAS.yaml`` of the mitre-atlas/atlas-data repository. The framework is found by
``--slug`` (default: the one an earlier import made, else ``mitre-atlas``); its other fields (its
summary, topics, links, sharing) are kept. The import goes through the record files' importer, so
it is checked first, written in one transaction or not at all, and a second run of the same file
changes nothing.
"""

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from frameworks import atlas
from frameworks.models import FrameworkPage
from portal.exchange import FORMAT
from portal.exchange.exporter import dump
from portal.exchange.importer import Importer
from portal.exchange.serialize import record_to_dict
from portal.models import Jurisdiction, Organisation


def stored_framework(slug):
    """The ATLAS framework in the database: by ``slug``, or the one whose provisions are ATLAS's."""
    if slug:
        return FrameworkPage.objects.filter(slug=slug).first()
    return (
        FrameworkPage.objects.filter(provisions__code="AML.TA0002").order_by("pk").first()
        or FrameworkPage.objects.filter(slug=atlas.NEW_RECORD["slug"]).first()
    )


class Command(BaseCommand):
    help = "Create or update the MITRE ATLAS framework from ATLAS's data file (dist/ATLAS.yaml of atlas-data)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="ATLAS's data file, ATLAS.yaml.")
        parser.add_argument("--slug", default="", help="The framework to update (default: the ATLAS framework).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; write nothing.")
        parser.add_argument("--write", metavar="FILE", help="Write the framework's record file instead of importing.")

    def new_record(self, slug):
        """A new ATLAS record, naming MITRE and ``INT`` only where the taxonomy has them."""
        record = {**atlas.NEW_RECORD, "slug": slug or atlas.NEW_RECORD["slug"]}
        if not Organisation.objects.filter(slug="mitre").exists():
            self.stdout.write("The taxonomy has no organisation 'mitre'; the framework names no issuing body.")
            record["organisations"] = []
            record["framework"] = {k: v for k, v in record["framework"].items() if k != "issuing_body"}
        if not Jurisdiction.objects.filter(code="INT").exists():
            record["jurisdictions"] = []
        return record

    def handle(self, *args, path, slug, dry_run, write, **options):
        try:
            facts = atlas.read(path)
        except atlas.AtlasError as error:
            raise CommandError(f"{error}. Nothing was imported.") from None
        page = stored_framework(slug)
        if page is not None:
            content = page if page.live or not page.latest_revision_id else page.get_latest_revision_as_object()
            base = record_to_dict(page, content)
            stored = base["framework"]["provisions"]
        else:
            base, stored = self.new_record(slug), []
        wanted = atlas.record(facts, base)
        lines = atlas.differences(stored, wanted["framework"]["provisions"])
        techniques = sum(1 for p in wanted["framework"]["provisions"] if p["type"] == "technique")
        self.stdout.write(
            f"ATLAS {facts['version']}: {len(facts['tactics'])} tactics, {techniques} techniques and sub-techniques."
        )
        for line in lines:
            self.stdout.write(line)
        if page is not None and not lines:
            self.stdout.write("No provision changed since the last import.")
        document = dump({"format": FORMAT, "records": [wanted]})
        if write:
            Path(write).write_text(document, encoding="utf-8")
            self.stdout.write(f"Wrote {write}.")
            return
        with tempfile.TemporaryDirectory(prefix="atlas-") as folder:
            file = Path(folder) / "atlas.yaml"
            file.write_text(document, encoding="utf-8")
            importer = Importer([file])
            problems = importer.check()
            if problems:
                for problem in problems:
                    self.stderr.write(str(problem).replace(str(file), "the ATLAS framework"))
                raise CommandError(f"{len(problems)} problem(s) found; nothing was imported.")
            changes = [change for change in importer.plan() if change.action != "unchanged"]
            for change in changes:
                self.stdout.write(str(change))
            if dry_run:
                self.stdout.write("Dry run: nothing was written.")
                return
            importer.apply()
        self.stdout.write(self.style.SUCCESS("Imported." if changes else "Nothing to import: it is up to date."))
