from django.core.management.base import BaseCommand

from portal.api import representations


class Command(BaseCommand):
    help = (
        "Produce and store the API representation of every live record that has none in the current "
        "format (records loaded without publishing, or after a deploy that changed the format). Readers "
        "produce a missing one on their own; this does them all ahead. --all produces every one again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Produce every live record's representation again.")

    def handle(self, *args, **options):
        stored = representations.build(everything=options["all"])
        self.stdout.write(f"{stored} record representation(s) stored.")
