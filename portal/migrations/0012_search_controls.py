"""Editors' controls of search: synonym groups and promoted results (portal/models/search_terms.py).

Publishers may add, change and delete both, under Settings in the admin (Editors may not);
superusers may anyway. The permissions are created here if Django has not created them yet, as in
0003_editorial_workflow.
"""

import django.db.models.deletion
import modelcluster.fields
from django.db import migrations, models

#: (model, verbose name) of the search controls Publishers maintain.
SEARCH_CONTROL_MODELS = [("synonymgroup", "synonym group"), ("searchpromotion", "promoted search result")]
PUBLISHER_ACTIONS = ["add", "change", "delete", "view"]


def permission(apps, model, verbose_name, action):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="portal", model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {verbose_name}"}
    )
    return perm


def publishers_maintain_search_controls(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="Publishers"):
        for model, verbose_name in SEARCH_CONTROL_MODELS:
            for action in PUBLISHER_ACTIONS:
                group.permissions.add(permission(apps, model, verbose_name, action))


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0011_record_representations'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchPromotion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('query', models.CharField(error_messages={'unique': 'Results are already promoted for this query. Edit that promotion instead.'}, help_text="The search exactly as visitors type it; case and extra spaces do not matter, other words do ('ai act' does not match 'eu ai act').", max_length=255, unique=True)),
                ('slug', models.SlugField(blank=True, help_text='Names the promotion in the record files (import and export). Leave it empty to make one from the query.', max_length=100, unique=True)),
            ],
            options={
                'verbose_name': 'promoted search result',
                'verbose_name_plural': 'promoted search results',
                'ordering': ['query'],
            },
        ),
        migrations.CreateModel(
            name='SynonymGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('terms', models.TextField(help_text="One word or short phrase a line, e.g. 'self-driving', 'automated vehicle', 'autonomous vehicle'. A search for any of them also finds records that use another. Case does not matter. A term can be in one group only.")),
                ('slug', models.SlugField(blank=True, help_text='Names the group in the record files (import and export). Leave it empty to make one from the first term.', max_length=100, unique=True)),
            ],
            options={
                'verbose_name': 'synonym group',
                'verbose_name_plural': 'search synonyms',
                'ordering': ['slug'],
            },
        ),
        migrations.CreateModel(
            name='PromotedRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sort_order', models.IntegerField(blank=True, editable=False, null=True)),
                ('note', models.CharField(blank=True, help_text='Optional: one short sentence shown with the record, e.g. why it comes first.', max_length=300)),
                ('record', models.ForeignKey(help_text='A framework, finding or lesson.', on_delete=django.db.models.deletion.CASCADE, related_name='promotions', to='portal.recordpage')),
                ('promotion', modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name='records', to='portal.searchpromotion')),
            ],
            options={
                'verbose_name': 'promoted record',
                'ordering': ['sort_order'],
                'abstract': False,
            },
        ),
        migrations.RunPython(publishers_maintain_search_controls, migrations.RunPython.noop),
    ]
