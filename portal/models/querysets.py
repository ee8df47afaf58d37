"""The queries that say who sees and manages which records: ``RecordPage.objects``."""

from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from taggit.models import Tag
from wagtail.models import PageManager
from wagtail.query import PageQuerySet

from .sharing import Membership, audience
from .taxonomy import TERMS_BY_MODEL, Organisation


def kind_models():
    """{kind: page model} for every kind of record, e.g. {'finding': FindingPage}: the models that
    declare a ``record_kind``."""
    return {model.record_kind: model for model in apps.get_models() if getattr(model, "record_kind", "")}


class RecordQuerySet(PageQuerySet):
    def visible_to(self, user):
        """The records ``user`` may see. Every public surface lists records through this method.

        A record is visible when it is live (published), not past its expiry time, and its
        sharing level lets ``user`` see it (``portal.models.sharing.audience``). A record someone
        may not see is, for them, a record that does not exist.
        """
        now = timezone.now()
        return self.live().filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now)).filter(audience(user))

    def visible_through(self, user, field):
        """A condition for another model's rows: the record that their ``field`` (a foreign key
        to a record) points at is visible to ``user``. The same rule as ``visible_to``, written
        as a correlated ``EXISTS`` so the database checks only the rows at hand; a filter like
        ``target__in=visible_to(user)`` makes SQLite build the whole visible set on each query
        (measured in docs/performance.md)."""
        return Exists(self.visible_to(user).filter(pk=OuterRef(field)))

    def of_kind(self, kind):
        """Records of one kind ('framework', 'finding', 'lesson')."""
        return self.type(kind_models()[kind])

    def manageable_by(self, user):
        """The records ``user`` may see and act on in the admin: those owned by one of their
        organisations and those with no owning organisation; every record for a superuser, none
        for an inactive or anonymous account. The admin's one rule for staff (``portal.models.permissions``
        applies it to every listing, chooser, report and workflow task); Wagtail's page
        permissions (edit, publish…) still apply on top of it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        organisations = Membership.objects.filter(user=user).values("organisation")
        return self.filter(Q(owning_organisation__isnull=True) | Q(owning_organisation__in=organisations))

    def not_manageable_by(self, user):
        """The records ``user`` may not see or act on in the admin (``manageable_by``'s complement)."""
        return self.exclude(pk__in=self.model.objects.manageable_by(user).values("pk"))

    def linkable_by(self, user):
        """The records ``user`` may choose as the target of a cross-link in the admin: those they
        may manage, and those they may see on the site anyway."""
        return self.filter(
            Q(pk__in=self.model.objects.manageable_by(user).values("pk"))
            | Q(pk__in=self.model.objects.visible_to(user).values("pk"))
        )

    def showing(self, term):
        """The records that show ``term`` on their page and in the API: a taxonomy term through
        its relation (``TERM_RELATIONS``), an organisation also as owner or as a kind's own field
        (a framework's issuing body), a tag through its tagging. A rename or deletion of ``term``
        changes what these records show (the change log and the stored API representations)."""
        if isinstance(term, Tag):
            return self.filter(tagged_items__tag=term)
        model = type(term)
        shown = Q(**{TERMS_BY_MODEL[model].relation: term})
        if model is Organisation:
            shown |= Q(owning_organisation=term)
        for kind_model in kind_models().values():
            for field in kind_model._meta.get_fields(include_parents=False):
                if field.many_to_one and field.related_model is model:
                    shown |= Q(pk__in=kind_model.objects.filter(**{field.name: term}).values("pk"))
        return self.filter(shown)


RecordManager = PageManager.from_queryset(RecordQuerySet)
