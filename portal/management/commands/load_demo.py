import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.exchange.importer import Importer
from portal.exchange.site import ensure_site_structure


class Command(BaseCommand):
    help = (
        "Set up the page tree and load the demo records (PORTAL_DEMO_DATA). Adds only what is "
        "missing, so editors' changes survive. Creates an admin account if there is no user yet."
    )

    def handle(self, *args, **options):
        ensure_site_structure()
        importer = Importer([settings.PORTAL_DEMO_DATA], create_only=True)
        problems = importer.check()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError("The demo data has problems; nothing was loaded.")
        created = [change for change in importer.plan() if change.action == "create"]
        importer.apply()
        self.stdout.write(f"Demo data: {len(created)} item(s) added from {settings.PORTAL_DEMO_DATA}.")

        User = get_user_model()
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", "admin@example.org", password)
            self.stdout.write(
                self.style.WARNING(
                    "Created the demo administrator account (shown once):\n"
                    f"    user: admin\n    password: {password}\n"
                    "Sign in at /admin/ and change the password."
                )
            )
