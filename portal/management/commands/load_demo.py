import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.exchange.importer import Importer
from portal.exchange.site import ensure_site_structure
from portal.models import Membership, Organisation
from portal.services import follows

#: Sample partner accounts that show the sharing levels at work: (user name, organisation slug).
SAMPLE_ACCOUNTS = [
    ("sample-agency-member", "sample-partner-agency"),
    ("sample-telecom-member", "sample-telecom-operator"),
    ("sample-partner", None),
    ("sample-red-reader", None),
]
#: The sample accounts that administer their organisation (and so may register webhooks).
SAMPLE_ADMINISTRATORS = {"sample-telecom-member"}
#: What sample accounts follow, so the account page, private feeds and "new for you" show something:
#: {user name: [(subject, key)]}.
SAMPLE_FOLLOWS = {
    "sample-telecom-member": [("sector", "telecommunications"), ("kind", "lesson")],
    "sample-agency-member": [("kind", "finding")],
}


class Command(BaseCommand):
    help = (
        "Set up the page tree, load the dataset (PORTAL_DEMO_DATA) and the sharing-level samples "
        "(PORTAL_SAMPLE_DATA). Adds only what is missing, so editors' changes survive. Creates an "
        "admin account if there is no user yet, and the sample partner accounts."
    )

    def handle(self, *args, **options):
        ensure_site_structure()
        self.load(settings.PORTAL_DEMO_DATA)
        credentials = []
        if not get_user_model().objects.exists():
            credentials.append(("admin", self.create_user("admin", superuser=True), "administrator"))
        if settings.PORTAL_SAMPLE_DATA:
            # Sample records name sample organisations and people: those come first.
            self.load(Path(settings.PORTAL_SAMPLE_DATA) / "organisations.yaml")
            accounts = self.sample_accounts()
            credentials.extend(accounts)
            self.load(Path(settings.PORTAL_SAMPLE_DATA) / "records.yaml")
            self.sample_follows([name for name, _, _ in accounts])
        if credentials:
            lines = "\n".join(f"    {name:24} {password:20} {role}" for name, password, role in credentials)
            self.stdout.write(
                self.style.WARNING(
                    "New accounts (passwords are shown once; change them after signing in):\n"
                    f"    {'user':24} {'password':20} role\n{lines}\n"
                    "Staff sign in at /admin/; partners at /account/login/."
                )
            )

    def load(self, path):
        importer = Importer([path], create_only=True)
        problems = importer.check()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path} has problems; nothing was loaded from it.")
        created = [change for change in importer.plan() if change.action == "create"]
        importer.apply()
        self.stdout.write(f"{path}: {len(created)} item(s) added.")

    def create_user(self, username, superuser=False):
        password = secrets.token_urlsafe(12)
        User = get_user_model()
        if superuser:
            User.objects.create_superuser(username, f"{username}@example.org", password)
        else:
            User.objects.create_user(username, f"{username}@example.org", password)
        return password

    def sample_follows(self, usernames):
        """The sample follows of the sample accounts just created (``SAMPLE_FOLLOWS``)."""
        for user in get_user_model().objects.filter(username__in=usernames):
            for subject, key in SAMPLE_FOLLOWS.get(user.username, []):
                follows.follow(user, subject, key)

    def sample_accounts(self):
        """Create the sample partner accounts that do not exist yet. Returns their credentials."""
        User = get_user_model()
        created = []
        for username, organisation in SAMPLE_ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            password = self.create_user(username)
            role = "partner (no organisation)"
            if organisation:
                administrator = username in SAMPLE_ADMINISTRATORS
                Membership.objects.create(
                    user=User.objects.get(username=username),
                    organisation=Organisation.objects.get(slug=organisation),
                    is_administrator=administrator,
                )
                role = f"partner, {'administrator' if administrator else 'member'} of {organisation}"
            created.append((username, password, role))
        return created
