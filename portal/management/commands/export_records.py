from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal import audit
from portal.exchange import kinds as exchange_kinds
from portal.exchange.exporter import export
from portal.models import AuditEntry, RecordPage, SharingLevel


def known_kinds():
    """The kinds of record, in the order the apps registered them: framework, finding, lesson."""
    return [kind for kind in exchange_kinds.registered() if kind in RecordPage.kind_models()]


class Command(BaseCommand):
    help = "Export records, taxonomy and crosswalks into a folder, in the format import_records reads."

    def add_arguments(self, parser):
        parser.add_argument("outdir", help="Folder to write into (created if missing).")
        parser.add_argument("--kind", action="append", help=f"Only this kind ({', '.join(known_kinds())}); repeatable.")
        parser.add_argument("--topic", action="append", help="Only records under this topic slug; repeatable.")
        parser.add_argument(
            "--sharing-level",
            action="append",
            choices=SharingLevel.values,
            help="Only records at this sharing level, e.g. TLP:CLEAR; repeatable.",
        )

    def handle(self, *args, outdir, kind=None, topic=None, sharing_level=None, **options):
        kinds = set(kind or [])
        unknown = kinds - set(RecordPage.kind_models())
        if unknown:
            known = known_kinds()
            either = " or ".join(filter(None, [", ".join(known[:-1]), known[-1]]))
            raise CommandError(f"Unknown kind: {', '.join(sorted(unknown))}. Use {either}.")
        path = Path(outdir)
        if path.exists() and not path.is_dir():
            raise CommandError(f"{outdir} exists and is not a folder.")
        written = export(path, kinds=kinds or None, topics=topic, levels=sharing_level)
        audit.record(
            AuditEntry.Action.EXPORT,
            target=str(path),
            via="export_records",
            files=len(written),
            kinds=sorted(kinds),
            topics=sorted(topic or []),
            sharing_levels=sorted(sharing_level or []),
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} files to {outdir}."))
