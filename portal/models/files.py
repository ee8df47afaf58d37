"""Each organisation's collection of uploaded files (Wagtail images and documents).

Staff upload into, and see in the admin, only the collections of the organisations they belong
to (``portal/files.py: OrganisationCollectionsPolicy``). Who may download a file on the public
site is decided by the records that use it, not by its collection.
"""

from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver

from wagtail.models import Collection

from .sharing import Membership
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


def collections_of_member(user):
    """The collections (and the collections under them) of the organisations ``user`` belongs to."""
    mine = Collection.objects.filter(
        pk__in=OrganisationCollection.objects.filter(
            organisation__in=Membership.objects.filter(user=user).values("organisation")
        ).values("collection")
    )
    within = Collection.objects.none()
    for collection in mine:
        within |= Collection.objects.descendant_of(collection, inclusive=True)
    return within


@receiver(post_save, sender=Organisation)
def give_organisation_a_collection(sender, instance, raw=False, **kwargs):
    if not raw:
        collection_of(instance)
