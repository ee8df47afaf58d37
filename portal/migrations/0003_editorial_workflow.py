"""Creates the Editors and Publishers groups and puts every record under a publication review.

Editors draft records and submit them for review; Publishers approve and publish. The
"Publication review" workflow (one task: approval by Publishers) is assigned to the root page,
so it covers every page of every site.
"""

from django.db import migrations

EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page"]
PUBLISHER_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
# (app_label, model) of the snippets both groups maintain.
SNIPPET_MODELS = [
    ("portal", "topic"),
    ("portal", "sector"),
    ("portal", "jurisdiction"),
    ("portal", "organisation"),
    ("portal", "language"),
    ("frameworks", "crosswalk"),
]
MEDIA = [("wagtailimages", "image"), ("wagtaildocs", "document")]


def permission(apps, app_label, model, codename):
    """The permission ``codename`` on ``app_label.model``, created if migrations have not yet."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename.replace("_", " ").capitalize()}
    )
    return perm


def create_groups_and_workflow(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    editors, _ = Group.objects.get_or_create(name="Editors")
    publishers, _ = Group.objects.get_or_create(name="Publishers")
    roles = ((editors, EDITOR_PAGE_PERMISSIONS, ["add", "change", "view"]),
             (publishers, PUBLISHER_PAGE_PERMISSIONS, ["add", "change", "delete", "view"]))
    root = Page.objects.filter(depth=1).order_by("path").first()
    root_collection = Collection.objects.filter(depth=1).order_by("path").first()

    for group, page_codenames, snippet_actions in roles:
        group.permissions.add(permission(apps, "wagtailadmin", "admin", "access_admin"))
        for app_label, model in SNIPPET_MODELS:
            for action in snippet_actions:
                group.permissions.add(permission(apps, app_label, model, f"{action}_{model}"))
        if root is not None:
            for codename in page_codenames:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=root, permission=permission(apps, "wagtailcore", "page", codename)
                )
        if root_collection is not None:
            for app_label, model in MEDIA:
                for action in ("add", "change", "choose"):
                    GroupCollectionPermission.objects.get_or_create(
                        group=group,
                        collection=root_collection,
                        permission=permission(apps, app_label, model, f"{action}_{model}"),
                    )

    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task, _ = GroupApprovalTask.objects.get_or_create(
        name="Publisher approval", defaults={"content_type": task_type, "active": True}
    )
    task.groups.set([publishers])
    workflow, _ = Workflow.objects.get_or_create(name="Publication review", defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    if root is not None:
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_initial"),
        ("frameworks", "0002_initial"),
        ("findings", "0002_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups_and_workflow, migrations.RunPython.noop)]
