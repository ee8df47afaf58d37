"""Each organisation gets a collection for its files (portal/models/files.py); existing
organisations get theirs here, new ones when they are created."""

import django.db.models.deletion
from django.db import migrations, models


def give_each_organisation_a_collection(apps, schema_editor):
    Collection = apps.get_model("wagtailcore", "Collection")
    Organisation = apps.get_model("portal", "Organisation")
    OrganisationCollection = apps.get_model("portal", "OrganisationCollection")
    # Historical models lack treebeard's methods: add each child to the root by hand.
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return
    steplen = 4
    children = Collection.objects.filter(depth=2, path__startswith=root.path)
    last = children.order_by("-path").values_list("path", flat=True).first()
    number = int(last[-steplen:], 36) if last else 0
    for organisation in Organisation.objects.order_by("pk"):
        if OrganisationCollection.objects.filter(organisation=organisation).exists():
            continue
        number += 1
        path = root.path + _base36(number).rjust(steplen, "0")
        collection = Collection.objects.create(name=organisation.name, path=path, depth=2, numchild=0)
        OrganisationCollection.objects.create(organisation=organisation, collection=collection)
        root.numchild += 1
    root.save(update_fields=["numchild"])


def _base36(number):
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text or "0"


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_organisation_workflow_task"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganisationCollection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "collection",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="wagtailcore.collection"
                    ),
                ),
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="file_collection",
                        to="portal.organisation",
                    ),
                ),
            ],
        ),
        migrations.RunPython(give_each_organisation_a_collection, migrations.RunPython.noop),
    ]
