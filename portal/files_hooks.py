"""Admin and serving hooks for uploaded files (portal/files.py), loaded from wagtail_hooks.py."""

from wagtail import hooks
from wagtail.documents import get_document_model, get_document_model_string
from wagtail.images import get_image_model, get_image_model_string
from wagtail.permissions import register_permission_policy

from portal.files import OrganisationCollectionsPolicy, check_document

# exact_class: ours is found first, whichever app registered its policy last.
register_permission_policy(
    get_document_model(),
    OrganisationCollectionsPolicy(
        get_document_model_string(), auth_model="wagtaildocs.Document", owner_field_name="uploaded_by_user"
    ),
    exact_class=True,
)
register_permission_policy(
    get_image_model(),
    OrganisationCollectionsPolicy(
        get_image_model_string(), auth_model="wagtailimages.Image", owner_field_name="uploaded_by_user"
    ),
    exact_class=True,
)

# First, so that no other hook (a collection's password form) answers for a file the visitor may not have.
hooks.register("before_serve_document", check_document, order=-1)
