"""Uploaded files follow the records that use them.

A document or image may be downloaded by a visitor who may see at least one record that uses
it (Wagtail's reference index names the records whose live content refers to the file), or by
staff with rights on the file's collection in the admin. Anyone else gets the same 404 as for a
file that does not exist: uploads are private until a visible record uses them.

Documents are served by Wagtail's view (``/documents/<id>/<name>``), which asks the
``before_serve_document`` hook (``portal/files_hooks.py``). Images are served only as renditions,
at ``/files/images/<name>`` (``serve_rendition``); originals are never served. Nothing is served
from ``MEDIA_URL``. See docs/sharing.md, "Files".

Staff rights on files: a non-superuser's collection permissions (the Editors and Publishers
groups hold them on the root collection) count only inside the collections of the organisations
they belong to (``OrganisationCollectionsPolicy``).
"""

import mimetypes

from django.contrib.contenttypes.models import ContentType
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control

from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy
from wagtail.permissions import policy_registry

from portal.models import RecordPage
from portal.models.files import collection_ids_of_member

#: The admin rights on a file's collection that let staff download it.
STAFF_ACTIONS = ["change", "choose"]


def records_using(obj):
    """The ids of the pages whose live content refers to ``obj`` (a document or image)."""
    page_type = ContentType.objects.get_for_model(Page)
    ids = ReferenceIndex.get_references_to(obj).filter(base_content_type=page_type).values_list("object_id", flat=True)
    return {int(pk) for pk in ids}


def may_download(user, obj):
    """Whether ``user`` may have the file ``obj``: staff rights on its collection, or a record
    that uses it and that ``user`` may see."""
    policy = policy_registry.get_by_type(type(obj))
    if policy.user_has_any_permission_for_instance(user, STAFF_ACTIONS, obj):
        return True
    used_by = records_using(obj)
    return bool(used_by) and RecordPage.objects.filter(pk__in=used_by).visible_to(user).exists()


def check_document(document, request):
    """404 unless the visitor may download ``document``: the same answer as for an unknown id."""
    if not may_download(request.user, document):
        raise Http404


def serve_rendition(request, name):
    """A rendition of an image, to a visitor who may have the image. Only renditions are found
    here: a path of an original image or a document is an unknown file."""
    rendition_model = get_image_model().get_rendition_model()
    rendition = rendition_model.objects.select_related("image__collection").filter(file=name).first()
    if rendition is None or not may_download(request.user, rendition.image):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(rendition.file.open("rb"), content_type=content_type)
    # Who may see a picture depends on who asks: browsers may keep it, shared caches may not.
    patch_cache_control(response, private=True, max_age=3600)
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class OrganisationCollectionsPolicy(CollectionOwnershipPermissionPolicy):
    """Wagtail's rights on images and documents by collection, with one more condition: a
    non-superuser's rights apply only inside the collections of their organisations. So staff
    upload into, list, choose and edit only their organisations' files, whatever collection the
    group permissions name (the Editors and Publishers groups name the root)."""

    def _collections_with_perm(self, user, actions):
        return super()._collections_with_perm(user, actions).filter(pk__in=collection_ids_of_member(user))

    def _check_perm(self, user, actions, collection=None):
        if not super()._check_perm(user, actions, collection=collection):
            return False
        if user.is_superuser:
            return True
        if collection is None:
            return self._collections_with_perm(user, actions).exists()
        return collection.pk in collection_ids_of_member(user)
