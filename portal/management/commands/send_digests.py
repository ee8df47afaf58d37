"""Send the e-mail digests of follows set to a daily or weekly digest (run it from cron).

manage.py send_digests --period daily     # e.g. every day at 07:00
manage.py send_digests --period weekly    # e.g. every Monday at 07:00
"""

from django.core.management.base import BaseCommand

from portal.services.alerts import send_digests


class Command(BaseCommand):
    help = "Send the daily or weekly e-mail digests of follows."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=["daily", "weekly"], required=True)

    def handle(self, *args, period, **options):
        sent = send_digests(period)
        self.stdout.write(f"Sent {sent} {period} digest(s).")
