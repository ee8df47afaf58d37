import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from frameworks.models import Crosswalk, FrameworkPage
from frameworks.oscal import Unrepresentable, catalog, mapping_collection, rows_of
from portal import audit
from portal.models import AuditEntry, SharingLevel


def write(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class Command(BaseCommand):
    help = (
        "Write every framework as an OSCAL catalog (catalogs/SLUG.json) and every crosswalk between two "
        "exported frameworks as an OSCAL mapping collection (mappings/SLUG.json), in OUTDIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdir", help="Folder to write into (created if missing).")
        parser.add_argument("--framework", action="append", help="Only this framework (slug); repeatable.")
        parser.add_argument(
            "--sharing-level",
            action="append",
            choices=SharingLevel.values,
            help="Only frameworks at this sharing level, e.g. TLP:CLEAR; repeatable.",
        )

    def handle(self, *args, outdir, framework=None, sharing_level=None, **options):
        out = Path(outdir)
        if out.exists() and not out.is_dir():
            raise CommandError(f"{outdir} exists and is not a folder.")
        frameworks = FrameworkPage.objects.select_related("issuing_body").order_by("slug")
        if framework:
            frameworks = frameworks.filter(slug__in=framework)
            missing = set(framework) - {f.slug for f in frameworks}
            if missing:
                raise CommandError(f"No framework {', '.join(sorted(missing))}.")
        if sharing_level:
            frameworks = frameworks.filter(sharing_level__in=sharing_level)
        frameworks = list(frameworks)
        rows = rows_of(frameworks)
        written = []
        for page in frameworks:
            path = out / "catalogs" / f"{page.slug}.json"
            write(path, catalog(page, web_url=page.full_url, rows=rows.get(page.pk, [])))
            written.append(path)
        exported = {f.pk for f in frameworks}
        crosswalks = (
            Crosswalk.objects.filter(source_framework__in=exported, target_framework__in=exported)
            .select_related("source_framework", "target_framework")
            .prefetch_related("mappings__source_provision", "mappings__target_provision")
            .order_by("slug")
        )
        for crosswalk in crosswalks:
            try:
                document = mapping_collection(crosswalk, lambda f: f"../catalogs/{f.slug}.json", rows)
            except Unrepresentable as error:
                self.stderr.write(f"{crosswalk.slug}: not written. {error}")
                continue
            path = out / "mappings" / f"{crosswalk.slug}.json"
            write(path, document)
            written.append(path)
        audit.record(
            AuditEntry.Action.EXPORT,
            target=str(out),
            via="oscal_export",
            files=len(written),
            frameworks=sorted(framework or []),
            sharing_levels=sorted(sharing_level or []),
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} OSCAL files to {outdir}."))
