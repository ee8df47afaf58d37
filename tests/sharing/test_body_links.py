"""A link in a record's text to another page follows the sharing rule and the page's current
address: the reader who may open the page gets a link to where it is now; anyone else gets the
words alone, not the address (which names the record)."""

import pytest

from django.contrib.auth.models import AnonymousUser

from portal.models import Membership, RecordPage, SharingLevel
from portal.services.page_links import openable
from tests.factories import FindingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def link_to(page, words):
    return f'<p>See <a linktype="page" id="{page.pk}">{words}</a>.</p>'


@pytest.fixture
def linked(indexes):
    """A public finding whose text links to a public finding, a TLP:AMBER one of "owner", a draft
    and the findings index."""
    owner = OrganisationFactory(slug="owner")
    public = FindingFactory(parent=indexes["finding"], slug="public-target")
    amber = FindingFactory(
        parent=indexes["finding"], slug="amber-target", sharing_level=SharingLevel.AMBER, owning_organisation=owner
    )
    draft = FindingFactory(parent=indexes["finding"], slug="draft-target", live=False)
    text = link_to(public, "the public one") + link_to(amber, "the amber one") + link_to(draft, "the draft")
    text += link_to(indexes["finding"], "all findings")
    source = FindingFactory(parent=indexes["finding"], body=[("paragraph", text)])
    source.save_revision().publish()
    return {"source": source, "public": public, "amber": amber, "owner": owner}


def test_a_visitor_gets_links_to_what_they_may_open_and_words_for_the_rest(client, linked):
    html = client.get(linked["source"].url).content.decode()
    assert '<a href="/findings/public-target/">the public one</a>' in html
    assert '<a href="/findings/">all findings</a>' in html
    assert "the amber one" in html and "amber-target" not in html
    assert "the draft" in html and "draft-target" not in html

    api = client.get(f"/api/v1/records/{linked['source'].translation_key}/").json()["body_html"]
    assert '<a href="http://testserver/findings/public-target/">the public one</a>' in api
    assert "the amber one" in api and "amber-target" not in api


def test_a_member_gets_the_link_to_their_organisations_record(client, linked, django_user_model):
    member = django_user_model.objects.create_user("member")
    Membership.objects.create(organisation=linked["owner"], user=member)
    client.force_login(member)
    assert '<a href="/findings/amber-target/">the amber one</a>' in client.get(linked["source"].url).content.decode()
    api = client.get(f"/api/v1/records/{linked['source'].translation_key}/").json()["body_html"]
    assert '<a href="http://testserver/findings/amber-target/">the amber one</a>' in api


def test_a_link_follows_the_page_to_its_new_address(client, linked):
    public = RecordPage.objects.get(pk=linked["public"].pk).specific
    public.slug = "moved-target"
    public.save_revision().publish()
    assert '<a href="/findings/moved-target/">the public one</a>' in client.get(linked["source"].url).content.decode()


def test_openable_pages_are_read_in_one_query(linked, django_assert_num_queries):
    ids = {linked["public"].pk, linked["amber"].pk, linked["source"].pk}
    with django_assert_num_queries(1):
        pages = openable(ids, AnonymousUser())
    assert {page.pk for page in pages} == {linked["public"].pk, linked["source"].pk}
