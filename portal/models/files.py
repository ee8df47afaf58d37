"""Each organisation's collection of uploaded files (Wagtail images and documents).

Staff upload into, and see in the admin, only the collections of the organisations they belong
to (``portal/files.py: OrganisationCollectionsPolicy``). Who may download a file on the public
site is decided by the records that use it, not by its collection.
"""

from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from wagtail.models import Collection

from .sharing import organisation_ids
from .taxonomy import Organisation


class OrganisationCollection(models.Model):
    """The collection that holds one organisation's files, made when the organisation is."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="file_collection")
    collection = models.OneToOneField(Collection, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.organisation}: {self.collection}"


def collection_of(organisation):
    """The organisation's collection, made (under the root collection, named after the
    organisation) if it has none yet; renamed when the organisation is."""
    link = OrganisationCollection.objects.select_related("collection").filter(organisation=organisation).first()
    if link is None:
        collection = Collection.get_first_root_node().add_child(name=organisation.name)
        return OrganisationCollection.objects.create(organisation=organisation, collection=collection).collection
    if link.collection.name != organisation.name:
        link.collection.name = organisation.name
        link.collection.save(update_fields=["name"])
    return link.collection


_COLLECTION_IDS = "_portal_collection_ids"


def collection_ids_of_member(user):
    """The ids of the collections (and the collections under them) of the organisations ``user``
    belongs to, read once per user object (a request's user): the admin checks a dozen rights
    on files per page."""
    if not hasattr(user, _COLLECTION_IDS):
        paths = Collection.objects.filter(
            pk__in=OrganisationCollection.objects.filter(organisation__in=organisation_ids(user)).values("collection")
        ).values_list("path", flat=True)
        under = Q(pk__in=[])
        for path in paths:
            under |= Q(path__startswith=path)
        setattr(user, _COLLECTION_IDS, frozenset(Collection.objects.filter(under).values_list("pk", flat=True)))
    return getattr(user, _COLLECTION_IDS)


@receiver(post_save, sender=Organisation)
def give_organisation_a_collection(sender, instance, raw=False, **kwargs):
    if not raw:
        collection_of(instance)
