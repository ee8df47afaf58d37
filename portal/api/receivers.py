"""When a record's stored API representation (``portal.api.representations``) is produced, and
every change that makes one stale. Wired in ``portal/apps.py``.

- **A revision is published** (the editor, scheduled publishing, the importer and ``load_demo``
  all publish through Wagtail): the record's representation is produced and stored, in the same
  transaction as the publication (``page_published`` comes after the page and its child rows,
  terms, tags, identifiers and provisions, are written).
- **A record is saved any other way** (unpublished, expired, saved without a revision): its stored
  representation is removed; the next reader produces it again. Saves of Wagtail's own
  bookkeeping (a draft, a lock) leave it: the page row holds the live version.
- **A record is deleted**: the row goes with it (a foreign key, ``on_delete=CASCADE``).
- **A term or tag a record shows is renamed** (name, slug, code or acronym) **or deleted**: the
  representations of the records that show it (as a term, an owning organisation or a kind's
  own field such as a framework's issuing body) are removed.
- **A picture or document a record's body shows is changed or deleted** (a new file, a new
  name): the representations of the records whose body refers to it (Wagtail's reference index)
  are removed, since the body holds its address.
- **The shape changes** (a deploy): rows of another ``representations.FORMAT`` are not read.

Not stored, so never stale: the web and API URLs (a site's root URL, a page moved), the links
and backlinks (added per request through the sharing rule), and the addresses of the pages a
body links to (stored as marks, resolved per request: ``portal.services.page_links``).
"""

from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.signals import page_published

from portal.changes import BOOKKEEPING, term_shown_changed
from portal.files import records_using
from portal.models import RecordPage

from . import representations


def _is_record(sender):
    return isinstance(sender, type) and issubclass(sender, RecordPage) and bool(sender.record_kind)


@receiver(page_published)
def store_published_record(sender, instance, **kwargs):
    if _is_record(sender) and instance.live:
        representations.store([instance.pk])


@receiver(post_save)
def forget_saved_record(sender, instance, update_fields=None, **kwargs):
    if _is_record(sender) and (update_fields is None or not set(update_fields) <= BOOKKEEPING):
        representations.forget([instance.pk])


# Terms and tags: records show their names (``portal.changes`` tells when one changes).


@receiver(term_shown_changed)
def forget_records_showing_term(sender, term, **kwargs):
    representations.forget(RecordPage.objects.showing(term).values("pk"))


# Pictures and documents: a body holds their addresses.


def _is_file(sender):
    return sender in (get_image_model(), get_document_model())


@receiver(post_save)
def forget_records_showing_saved_file(sender, instance, created=False, **kwargs):
    if _is_file(sender) and not created:
        representations.forget(records_using(instance))


@receiver(pre_delete)
def forget_records_showing_deleted_file(sender, instance, **kwargs):
    if _is_file(sender):
        representations.forget(records_using(instance))
