"""What partners follow, and the secret addresses of their private feeds.

A follow names one thing: a framework, one provision of a framework, a topic (with the topics
under it), a sector, an organisation, a kind of record, or a saved search. Which records it
matches, always through the sharing rule of the moment they are read, is
``portal.services.follows``. A private feed is reached by a secret address, per follow or for all
of a person's follows; only a hash of the secret is stored, and revoking it refuses it at once.
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .records import RecordPage


class Follow(models.Model):
    class Subject(models.TextChoices):
        FRAMEWORK = "framework", "Framework"
        PROVISION = "provision", "Provision"
        TOPIC = "topic", "Topic"
        SECTOR = "sector", "Sector"
        ORGANISATION = "organisation", "Organisation"
        KIND = "kind", "Kind of record"
        SEARCH = "search", "Saved search"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    subject = models.CharField(max_length=20, choices=Subject.choices)
    #: The framework (also for a provision); a record is followed by its page, so renames keep it.
    record = models.ForeignKey("portal.RecordPage", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    #: A provision's code, a term's slug, a kind ('finding'), or a saved search's query.
    key = models.CharField(max_length=300, blank=True)
    label = models.CharField(max_length=500, help_text="What is followed, as the account page lists it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Delivery(models.TextChoices):
        FEED = "feed", "Only in my feeds"
        IMMEDIATE = "immediate", "E-mail at once"
        DAILY = "daily", "Daily e-mail digest"
        WEEKLY = "weekly", "Weekly e-mail digest"

    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.FEED)
    #: The newest change-log entry an e-mail for this follow has covered (digests start after it).
    covered_change = models.BigIntegerField(default=0)
    last_alert_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "subject", "key"])]

    def __str__(self):
        return f"{self.user} follows {self.get_subject_display().lower()} {self.label}"

    @property
    def shown_label(self):
        """What the follow is called wherever its person reads it (account page, feeds, e-mails).
        The stored ``label`` of a framework or provision follow holds the framework's title as it
        was when followed; a framework that has left the person's view since is not named."""
        if self.record_id is None:
            return self.label
        if not RecordPage.objects.visible_to(self.user).filter(pk=self.record_id).exists():
            return "A framework you may no longer see"
        return self.label


class Alert(models.Model):
    """One change-log entry sent to one follower by e-mail: written before the message is sent, so
    a worker that stops and runs the task again sends nothing twice (and a message it could not
    send is marked, and tried again by the next run)."""

    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="alerts")
    change_id = models.BigIntegerField()
    record_uuid = models.UUIDField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follow", "change_id"], name="one_alert_per_change")]

    def __str__(self):
        return f"Alert of change {self.change_id} to {self.follow}"


def _hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class PrivateFeed(models.Model):
    """A secret feed address: the records of one follow (``follow``) or of all the person's
    follows (``follow`` empty) that the person may see when the feed is read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_feeds")
    follow = models.ForeignKey(Follow, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Private feed of {self.user}: {self.follow.label if self.follow_id else 'all follows'}"

    @classmethod
    def create(cls, user, follow=None):
        """A new feed; returns ``(feed, secret)``. The secret is shown once and never stored."""
        secret = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, follow=follow, key_hash=_hash(secret)), secret

    @classmethod
    def usable(cls, secret):
        """The unrevoked feed of an active person with this secret, or None."""
        if not secret or len(secret) > 100:
            return None
        return (
            cls.objects.select_related("user", "follow")
            .filter(key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
            .first()
        )

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class HomeVisit(models.Model):
    """When a signed-in person last looked at the home page, for its "new since your last visit"
    list. ``previous`` moves to ``seen_at`` when a visit comes more than ``GAP`` after it, so the
    list stays the same while a person moves around the site."""

    GAP = datetime.timedelta(minutes=30)

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="home_visit")
    seen_at = models.DateTimeField(default=timezone.now)
    previous = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.user} saw the home page at {self.seen_at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(cls, user):
        """Note a visit now; returns the time the list counts from (None on a first visit)."""
        now = timezone.now()
        visit, created = cls.objects.get_or_create(user=user, defaults={"seen_at": now})
        if created:
            return None
        if now - visit.seen_at > cls.GAP:
            visit.previous, visit.seen_at = visit.seen_at, now
            visit.save(update_fields=["previous", "seen_at"])
        return visit.previous
