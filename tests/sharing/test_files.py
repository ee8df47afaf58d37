"""Uploaded files follow the sharing rule: a document or image is served only to visitors who may
see a record that uses it, or to staff with rights on its collection; everyone else gets the
same 404 as for a file that does not exist. Nothing is served straight from /media/."""

import html
import importlib
import re

import pytest
import wagtail_factories

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, clear_url_caches, resolve

from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import Collection
from wagtail.permissions import policy_registry

from portal.models import Membership, SharingLevel
from portal.models.files import collection_of
from tests.factories import FindingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4 the red-team report\n"


def make_document(title="report", collection=None):
    document = Document(title=title, collection=collection or Collection.get_first_root_node())
    document.file.save(f"{title}.pdf", ContentFile(CONTENT), save=False)
    document.save()
    return document


def document_link(document):
    return f'<p>See <a linktype="document" id="{document.pk}">the report</a>.</p>'


def make_image(collection=None):
    return wagtail_factories.ImageFactory(collection=collection or Collection.get_first_root_node())


def figure(image):
    """A figure block showing ``image`` (an ImageBlock's value is the image with its alt text)."""
    image.contextual_alt_text, image.decorative = "A chart", False
    return ("figure", {"image": image, "caption": "Chart"})


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Files on disk, as in production: Wagtail serves a document from its path when the storage
    has one (the in-memory storage of the test settings claims paths it never writes)."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return tmp_path


@pytest.fixture
def owner():
    return OrganisationFactory(slug="owner-org")


@pytest.fixture
def people(django_user_model, owner):
    """A member of the owning organisation, and a partner from elsewhere (signed in, not a member)."""
    member = django_user_model.objects.create_user("member")
    Membership.objects.create(organisation=owner, user=member)
    partner = django_user_model.objects.create_user("partner")
    Membership.objects.create(organisation=OrganisationFactory(slug="elsewhere"), user=partner)
    return {"member": member, "partner": partner}


@pytest.fixture
def amber_document(indexes, owner):
    """A document used only by a TLP:AMBER record of ``owner``."""
    document = make_document("amber-report")
    FindingFactory(
        parent=indexes["finding"],
        sharing_level=SharingLevel.AMBER,
        owning_organisation=owner,
        body=[("paragraph", document_link(document))],
    )
    return document


def download(client, document, user=None):
    if user is not None:
        client.force_login(user)
    return client.get(f"/documents/{document.pk}/{document.filename}")


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_documents_link_to_the_serve_view_not_to_media(indexes):
    assert make_document().url.startswith("/documents/")


def test_amber_document_is_404_for_anonymous_visitors_like_an_unknown_document(client, amber_document):
    restricted = download(client, amber_document)
    unknown = client.get(f"/documents/{amber_document.pk + 1000}/{amber_document.filename}")
    assert restricted.status_code == unknown.status_code == 404
    assert CONTENT not in body(restricted)
    assert body(restricted) == body(unknown)


def test_amber_document_is_404_for_a_partner_who_may_not_see_the_record(client, amber_document, people):
    response = download(client, amber_document, people["partner"])
    assert response.status_code == 404
    assert CONTENT not in body(response)


def test_member_of_the_owning_organisation_downloads_the_amber_document(client, amber_document, people):
    response = download(client, amber_document, people["member"])
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_document_that_no_record_uses_is_404_for_the_public(client, indexes, people):
    document = make_document("unused")
    assert download(client, document).status_code == 404
    assert download(client, document, people["partner"]).status_code == 404


def test_document_used_by_a_draft_only_is_404_for_the_public(client, indexes):
    document = make_document("draft-only")
    FindingFactory(parent=indexes["finding"], live=False, body=[("paragraph", document_link(document))])
    assert download(client, document).status_code == 404


def test_document_in_an_unpublished_draft_of_a_clear_record_stays_404_until_published(client, indexes):
    document = make_document("not-yet")
    record = FindingFactory(parent=indexes["finding"], sharing_level=SharingLevel.CLEAR)
    record.body = [("paragraph", document_link(document))]
    revision = record.save_revision()
    assert download(client, document).status_code == 404
    revision.publish()
    assert download(client, document).status_code == 200


def test_document_used_by_a_clear_record_downloads_for_anyone(client, indexes):
    document = make_document("clear-report")
    FindingFactory(
        parent=indexes["finding"], sharing_level=SharingLevel.CLEAR, body=[("paragraph", document_link(document))]
    )
    response = download(client, document)
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_document_used_by_both_a_clear_and_an_amber_record_downloads_for_anyone(client, amber_document, indexes):
    FindingFactory(
        parent=indexes["finding"], sharing_level=SharingLevel.CLEAR, body=[("paragraph", document_link(amber_document))]
    )
    assert download(client, amber_document).status_code == 200


def test_superuser_downloads_any_document(client, indexes, django_user_model):
    document = make_document("unused")
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    assert download(client, document, root).status_code == 200


@pytest.fixture
def debug_urls(settings):
    """The URL configuration as a development server (DEBUG) builds it."""
    import portal.urls

    settings.DEBUG = True
    module = importlib.reload(portal.urls)
    clear_url_caches()
    yield module
    settings.DEBUG = False
    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.mark.parametrize(
    "path", ["/media/documents/report.pdf", "/media/original_images/chart.png", "/media/images/chart.width-800.png"]
)
def test_media_files_are_not_served_even_in_development(debug_urls, path):
    with pytest.raises(Resolver404):
        resolve(path, urlconf=debug_urls)


def test_django_admin_is_not_mounted(client, editor, django_user_model):
    assert client.get("/django-admin/").status_code == 404
    client.force_login(editor)
    assert client.get("/django-admin/").status_code == 404
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    assert client.get("/django-admin/").status_code == 404


# -- Images: the public sees renditions, through the same rule -------------------------------------


def image_src(client, record):
    """The address of the figure's picture on the record's page."""
    page = client.get(record.url).content.decode()
    return html.unescape(re.search(r'<img [^>]*src="([^"]+)"', page).group(1))


def test_figure_of_a_clear_record_is_served_through_the_portal_not_from_media(client, indexes):
    image = make_image()
    record = FindingFactory(parent=indexes["finding"], sharing_level=SharingLevel.CLEAR, body=[figure(image)])
    src = image_src(client, record)
    assert not src.startswith("/media/")
    response = client.get(src)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and body(response)[:2] == b"\xff\xd8"
    assert response["Cache-Control"].startswith("private")


def test_figure_of_an_amber_record_is_404_for_outsiders_and_shown_to_members(client, indexes, owner, people):
    image = make_image()
    record = FindingFactory(
        parent=indexes["finding"], sharing_level=SharingLevel.AMBER, owning_organisation=owner, body=[figure(image)]
    )
    client.force_login(people["member"])
    src = image_src(client, record)
    assert client.get(src).status_code == 200
    client.logout()
    restricted, unknown = client.get(src), client.get("/files/images/no-such-picture.width-800.jpg")
    assert restricted.status_code == unknown.status_code == 404
    assert body(restricted) == body(unknown)
    client.force_login(people["partner"])
    assert client.get(src).status_code == 404


def test_original_images_and_documents_are_not_served_as_renditions(client, indexes):
    image = make_image()
    document = make_document("clear-report")
    FindingFactory(
        parent=indexes["finding"],
        sharing_level=SharingLevel.CLEAR,
        body=[figure(image), ("paragraph", document_link(document))],
    )
    rendition = image.get_rendition("width-800")
    assert client.get(rendition.url).status_code == 200
    assert client.get(rendition.url.replace(rendition.file.name, image.file.name)).status_code == 404
    assert client.get(rendition.url.replace(rendition.file.name, document.file.name)).status_code == 404


# -- Staff: each organisation's staff work in their organisation's collection ---------------------


@pytest.fixture
def staff(django_user_model, owner):
    """An editor of the owning organisation and an editor of another organisation."""
    editors = Group.objects.get(name="Editors")
    ours = django_user_model.objects.create_user("ours", "ours@example.org", "pw")
    theirs = django_user_model.objects.create_user("theirs", "theirs@example.org", "pw")
    for user, organisation in [(ours, owner), (theirs, OrganisationFactory(slug="other-org"))]:
        user.groups.add(editors)
        Membership.objects.create(organisation=organisation, user=user)
    return {"ours": ours, "theirs": theirs}


def test_each_organisation_has_its_own_collection(owner):
    collection = collection_of(owner)
    assert collection.name == owner.name
    assert collection.get_parent() == Collection.get_first_root_node()
    assert collection_of(OrganisationFactory(slug="newcomer")) != collection
    owner.name = "Owner Organisation, renamed"
    owner.save()
    collection.refresh_from_db()
    assert collection.name == "Owner Organisation, renamed" and collection_of(owner) == collection


def test_staff_download_unused_documents_of_their_organisation_only(client, indexes, owner, staff):
    document = make_document("draft-notes", collection=collection_of(owner))
    assert download(client, document, staff["ours"]).status_code == 200
    assert download(client, document, staff["theirs"]).status_code == 404


def test_staff_see_and_upload_into_their_organisations_collection_only(client, indexes, owner, staff):
    ours = make_document("ours-notes", collection=collection_of(owner))
    make_document("root-notes")
    client.force_login(staff["theirs"])
    listing = client.get("/admin/documents/").content.decode()
    assert "ours-notes" not in listing and "root-notes" not in listing
    assert client.get(f"/admin/documents/edit/{ours.pk}/").status_code in (302, 403, 404)
    client.force_login(staff["ours"])
    listing = client.get("/admin/documents/").content.decode()
    assert "ours-notes" in listing and "root-notes" not in listing
    assert client.get(f"/admin/documents/edit/{ours.pk}/").status_code == 200
    for model in (Document, Image):
        policy = policy_registry.get_by_type(model)
        assert list(policy.collections_user_has_permission_for(staff["ours"], "add")) == [collection_of(owner)]


def test_staff_see_images_of_their_organisation_only(client, indexes, owner, staff):
    ours = make_image(collection=collection_of(owner))
    ours.title = "our-chart"
    ours.save()
    root = make_image()
    root.title = "root-chart"
    root.save()
    client.force_login(staff["theirs"])
    listing = client.get("/admin/images/").content.decode()
    assert "our-chart" not in listing and "root-chart" not in listing
    client.force_login(staff["ours"])
    listing = client.get("/admin/images/").content.decode()
    assert "our-chart" in listing and "root-chart" not in listing
    thumbnail = ours.get_rendition("max-165x165")
    assert client.get(thumbnail.url).status_code == 200
    client.force_login(staff["theirs"])
    assert client.get(thumbnail.url).status_code == 404


def test_an_admin_page_reads_the_staff_members_collections_once(client, indexes, owner, staff):
    """The policy asks for the user's organisations' collections on each right it checks (the
    dashboard and the menus check a dozen); they are read once a request, as Wagtail reads the
    user's collection permissions once."""
    client.force_login(staff["ours"])
    for url in ("/admin/", "/admin/documents/", "/admin/images/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        reads = [q["sql"] for q in queries.captured_queries if "portal_organisationcollection" in q["sql"]]
        assert len(reads) == 1, (url, len(reads))
