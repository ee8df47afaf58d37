"""Send the webhook deliveries that are due, retries included.

The background worker sends them by itself (it queues the next retry when one waits). Without a
worker, deliveries are sent after each change in the web process, and their retries wait for the
next change or for this command (run it from cron, e.g. every minute).
"""

from django.core.management.base import BaseCommand

from portal.services.webhooks import BATCH, send_due


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due (retries included)."

    def handle(self, *args, **options):
        attempted = 0
        while True:
            sent = send_due()
            attempted += sent
            if sent < BATCH:
                break
        self.stdout.write(f"Attempted {attempted} webhook deliver{'y' if attempted == 1 else 'ies'}.")
