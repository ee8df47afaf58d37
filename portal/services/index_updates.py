"""A published record is indexed again once all of it is saved.

modelsearch indexes a page when its row is saved (``post_save``), but a record's tags, topics,
sectors and other related rows are saved after the row (modelcluster commits them once
``Model.save`` returns), so that document lacks them: after ``load_demo`` no tag was searchable.
``page_published`` is sent when everything is saved; the record is indexed again then, with all
of it. The update is modelsearch's own task, so it runs as its ``post_save`` update does: after
the commit, once for both (``portal/services/tasks.py``). (Wired in ``portal/apps.py``.)
"""

from django.dispatch import receiver

from modelsearch.tasks import insert_or_update_object_task
from wagtail.signals import page_published


@receiver(page_published)
def index_published_page(sender, instance, **kwargs):
    insert_or_update_object_task.enqueue(instance._meta.app_label, instance._meta.model_name, str(instance.pk))
