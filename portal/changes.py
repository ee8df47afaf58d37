"""Writing the change log (``RecordChange``) that the API's change feed (``/api/v1/changes/``) reads.

An entry says "this record may look different now" to someone: the feed answers each entry with
the record's current state for the caller (or a tombstone), so the log must name every record
whose API representation or visibility changed. That is:

- the record itself when a full save changes its live content: ``created`` (first publication),
  ``updated``, ``unpublished``, or ``sharing_changed`` (its sharing level, owner or the
  organisations or people it is shared with differ from the version that was live);
- ``deleted`` when a record that was ever published is deleted;
- the records it links to and from (``updated``), because their links and backlinks show its
  title and kind, and only while it is visible; before and after the change, so a removed link
  is seen on both ends;
- the records that show a taxonomy term or tag when the term is renamed or deleted (``updated``);
- the AMBER records of an organisation when someone joins or leaves it (``sharing_changed``);
- the records under a page that moves (their web addresses change).

Expiry needs no entry: the feed reports records whose expiry time passed since the caller's
cursor. Entries are written in the same transaction as the change (Wagtail saves pages
atomically), so an entry never names a change that was rolled back.

Saves are compared with the database as it was just before them (``pre_save``); publishing,
unpublishing and scheduled publishing in Wagtail are full saves of the page, so they all come
through here; ``page_published`` and ``page_unpublished`` need no receiver of their own.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete, pre_save
from django.dispatch import Signal, receiver

from taggit.models import Tag
from wagtail.signals import post_page_move

from portal.models import TERMS_BY_MODEL, CrossLink, Membership, RecordChange, RecordPage, SharingLevel, named_person
from portal.models.sharing import sharing_of, stored_sharing, stored_sharings

Action = RecordChange.Action

#: Fields Wagtail updates on its own (drafts, locks, tree bookkeeping): saving only these does not
#: change what the API shows.
BOOKKEEPING = {
    "draft_title",
    "latest_revision",
    "latest_revision_created_at",
    "has_unpublished_changes",
    "locked",
    "locked_at",
    "locked_by",
    "numchild",
}

#: Sent when a taxonomy term or tag that records show is renamed (one of the columns records show
#: changed) or is about to be deleted; ``term`` is the instance. The change log and the API's
#: stored representations (``portal.api.receivers``) both follow it.
term_shown_changed = Signal()

#: Sent with ``entries`` (the new ``RecordChange`` rows, with their ids) each time the log is
#: written; e-mail alerts follow it (``portal.services.alerts``).
changes_logged = Signal()


#: The PostgreSQL advisory lock that puts the change log's writers in line (see ``log``).
LOG_LOCK = 0x706F7274616C  # "portal"


def log(records, action, cause=None):
    """One entry per record: ``records`` is an iterable of (uuid, kind, seen_by), ``seen_by`` the
    sharing states of who could see the change (``RecordChange.seen_by``).

    The feed hands out entries in id order, so ids must follow commit order: an entry given an id
    and committed after a later id was handed out would be passed by every cursor. On PostgreSQL a
    writer therefore takes a transaction-level advisory lock before its entries get their ids and
    keeps it until it commits or rolls back; the next writer's ids come after. (SQLite lets one
    transaction write at a time, which gives the same order.) Index writes run after the commit
    (``portal/services/tasks.py``), so the lock is held only for the rest of the database work."""
    records = list(records)
    if not records:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOG_LOCK])
        entries = RecordChange.objects.bulk_create(
            [
                RecordChange(record_uuid=uuid, kind=kind, action=action, cause_uuid=cause, seen_by=seen_by)
                for uuid, kind, seen_by in records
            ]
        )
    changes_logged.send(sender=RecordChange, entries=entries)


def _kinds():
    return {ContentType.objects.get_for_model(model).pk: kind for kind, model in RecordPage.kind_models().items()}


def log_live(records, action, cause=None, seen_by=None, also_seen_by=()):
    """Log ``action`` for the live records of a RecordPage queryset. Who could see each entry is
    ``seen_by`` if given (for a change caused by another record: who could see that one), else
    who may see the record itself, and ``also_seen_by``. Returns how many entries it wrote."""
    kind_of = _kinds()
    rows = list(records.filter(live=True).values_list("pk", "translation_key", "content_type_id").distinct())
    states = stored_sharings([pk for pk, _, _ in rows]) if seen_by is None else {}
    log(
        (
            (uuid, kind_of.get(ct, ""), [*(seen_by if seen_by is not None else [states[pk]]), *also_seen_by])
            for pk, uuid, ct in rows
        ),
        action,
        cause=cause,
    )
    return len(rows)


def _is_record(sender):
    return isinstance(sender, type) and issubclass(sender, RecordPage) and bool(sender.record_kind)


def _counts(update_fields):
    return update_fields is None or not set(update_fields) <= BOOKKEEPING


def _neighbour_ids(pk):
    targets = CrossLink.objects.filter(source_id=pk).values_list("target_id", flat=True)
    sources = CrossLink.objects.filter(target_id=pk).values_list("source_id", flat=True)
    return set(targets) | set(sources)


def _stored_state(pk):
    row = RecordPage.objects.filter(pk=pk).values("live", "first_published_at").first()
    if row is None:
        return None
    row["sharing"] = stored_sharing(pk)
    row["neighbours"] = _neighbour_ids(pk)
    return row


@receiver(pre_save)
def remember_stored_record(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not _is_record(sender) or not _counts(update_fields):
        return
    instance._stored_for_changes = _stored_state(instance.pk) if instance.pk else None


@receiver(post_save)
def log_saved_record(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not _is_record(sender) or not _counts(update_fields):
        return
    before = instance.__dict__.pop("_stored_for_changes", None)
    was_live = bool(before and before["live"])
    if not was_live and not instance.live:
        return  # a draft: nobody outside the admin sees it
    if not was_live:
        action = Action.CREATED if before is None or before["first_published_at"] is None else Action.UPDATED
    elif not instance.live:
        action = Action.UNPUBLISHED
    elif sharing_of(instance) != before["sharing"]:
        action = Action.SHARING
    else:
        action = Action.UPDATED
    # Who could see it just before (if it was live) or may see it now (if it is).
    seen_by = ([before["sharing"]] if was_live else []) + ([sharing_of(instance)] if instance.live else [])
    log([(instance.translation_key, sender.record_kind, seen_by)], action)
    # The (in-memory) links being saved now, the links other records hold, and the stored ones.
    neighbours = {link.target_id for link in instance.links.all() if link.target_id}
    neighbours |= set(CrossLink.objects.filter(target_id=instance.pk).values_list("source_id", flat=True))
    if before:
        neighbours |= before["neighbours"]
    neighbours.discard(instance.pk)
    if neighbours:
        # A neighbour's links show this record only to those who may see it.
        log_live(
            RecordPage.objects.filter(pk__in=neighbours),
            Action.UPDATED,
            cause=instance.translation_key,
            seen_by=seen_by,
        )


@receiver(pre_delete)
def log_deleted_record(sender, instance, **kwargs):
    if not _is_record(sender) or instance.first_published_at is None:
        return
    seen_by = [stored_sharing(instance.pk)] if instance.live else []
    log([(instance.translation_key, sender.record_kind, seen_by)], Action.DELETED)
    if instance.live:
        neighbours = _neighbour_ids(instance.pk) - {instance.pk}
        log_live(
            RecordPage.objects.filter(pk__in=neighbours),
            Action.UPDATED,
            cause=instance.translation_key,
            seen_by=seen_by,
        )


@receiver(post_page_move)
def log_moved_records(sender, instance, url_path_before=None, url_path_after=None, **kwargs):
    if url_path_before != url_path_after:
        log_live(RecordPage.objects.descendant_of(instance, inclusive=True), Action.UPDATED)


# Taxonomy terms and tags: records show their names.


def _shown_columns(model):
    """The columns of a term that records show, or None for a model that is not a term."""
    if model is Tag:
        return ("name", "slug")
    term = TERMS_BY_MODEL.get(model)
    return term.columns if term else None


def _shown(term):
    return tuple(getattr(term, name) for name in _shown_columns(type(term)))


@receiver(pre_save)
def remember_stored_term(sender, instance, raw=False, **kwargs):
    if raw or _shown_columns(sender) is None or not instance.pk:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list(*_shown_columns(sender)).first()
    instance._shown_before = stored


@receiver(post_save)
def detect_renamed_term(sender, instance, raw=False, created=False, **kwargs):
    if raw or created or _shown_columns(sender) is None:
        return
    if instance.__dict__.pop("_shown_before", None) != _shown(instance):
        term_shown_changed.send(sender=sender, term=instance)


@receiver(pre_delete)
def detect_deleted_term(sender, instance, **kwargs):
    if _shown_columns(sender) is not None:
        term_shown_changed.send(sender=sender, term=instance)


@receiver(term_shown_changed)
def log_records_showing_term(sender, term, **kwargs):
    log_live(RecordPage.objects.showing(term), Action.UPDATED)


# Membership of an organisation decides who sees its AMBER records.


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def log_membership_change(sender, instance, raw=False, **kwargs):
    if raw:
        return
    organisation = instance.organisation_id
    records = RecordPage.objects.filter(
        Q(sharing_level__in=[SharingLevel.AMBER, SharingLevel.AMBER_STRICT], owning_organisation_id=organisation)
        | Q(sharing_level=SharingLevel.AMBER, shared_with_organisations=organisation)
    )
    # The person who joined or left could see them at one end of the change.
    log_live(records, Action.SHARING, also_seen_by=[named_person(instance.user_id)])


# Records published before the log existed get a "created" entry, so that a feed replayed from
# the start lists them too.


def backfill():
    """Log ``created`` for every live record that has no entry yet. Returns how many."""
    logged = RecordChange.objects.values("record_uuid")
    missing = RecordPage.objects.filter(live=True).exclude(translation_key__in=logged)
    return log_live(missing, Action.CREATED)


@receiver(post_migrate)
def backfill_after_migrate(sender, **kwargs):
    if getattr(sender, "name", None) == "portal":
        backfill()
