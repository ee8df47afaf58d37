"""The organisation-aware approval task, and the publication review switched over to it.

The review's group approval task ("Publisher approval", made by 0003) becomes an
``OrganisationApprovalTask`` in place: same id, name, groups, task states and history, so drafts
already awaiting review stay in review; from now on only Publishers who may manage a record see
and act on its review.
"""

import django.db.models.deletion
from django.db import migrations, models

WORKFLOW = "Publication review"


def task_types(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    group_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    organisation_type, _ = ContentType.objects.get_or_create(app_label="portal", model="organisationapprovaltask")
    return group_type, organisation_type


def use_organisation_task(apps, schema_editor):
    Task = apps.get_model("wagtailcore", "Task")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    OrganisationApprovalTask = apps.get_model("portal", "OrganisationApprovalTask")
    group_type, organisation_type = task_types(apps)
    task_ids = WorkflowTask.objects.filter(workflow__name=WORKFLOW, task__content_type=group_type).values_list(
        "task_id", flat=True
    )
    for task_id in list(task_ids):
        # Only the new table's row: the task and group approval task rows stay as they are.
        OrganisationApprovalTask(groupapprovaltask_ptr_id=task_id).save_base(raw=True, force_insert=True)
        Task.objects.filter(pk=task_id).update(content_type=organisation_type)


def use_group_task(apps, schema_editor):
    Task = apps.get_model("wagtailcore", "Task")
    OrganisationApprovalTask = apps.get_model("portal", "OrganisationApprovalTask")
    group_type, organisation_type = task_types(apps)
    Task.objects.filter(content_type=organisation_type).update(content_type=group_type)
    table = schema_editor.quote_name(OrganisationApprovalTask._meta.db_table)
    schema_editor.execute(f"DELETE FROM {table}")  # noqa: S608 (a table name, no input)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_change_log_audience"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganisationApprovalTask",
            fields=[
                (
                    "groupapprovaltask_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to="wagtailcore.groupapprovaltask",
                    ),
                ),
            ],
            options={
                "verbose_name": "Organisation approval task",
                "verbose_name_plural": "Organisation approval tasks",
            },
            bases=("wagtailcore.groupapprovaltask",),
        ),
        migrations.RunPython(use_organisation_task, use_group_task),
    ]
