"""Each record page links its other representations (issue 16, part 5): ``<link rel="alternate">``
to the API's JSON, STIX 2.1, DCAT, a framework's OSCAL catalog and the citations; each link
answers, for the visitor who sees the page, with the media type it announces."""

import re

import pytest

from django.test import Client

from portal.models import Membership
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, OrganisationFactory, ProvisionFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)">')


def alternates(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return [match for match in LINK.findall(response.content.decode()) if match[0] != "application/atom+xml"]


def media_type(value):
    return value.split(";")[0].strip()


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (
            FrameworkFactory,
            {"application/json", "application/stix+json", "text/turtle", "application/rdf+xml"}
            | {"application/oscal+json", "application/x-bibtex", "application/x-research-info-systems"}
            | {"application/vnd.citationstyles.csl+json"},
        ),
        (
            FindingFactory,
            {"application/json", "application/stix+json", "text/turtle", "application/rdf+xml"}
            | {
                "application/x-bibtex",
                "application/x-research-info-systems",
                "application/vnd.citationstyles.csl+json",
            },
        ),
        (LessonFactory, {"application/json", "application/stix+json", "text/turtle", "application/rdf+xml"}),
    ],
)
def test_every_alternate_of_a_record_page_answers_with_its_media_type(indexes, factory, expected):
    record = factory(parent=indexes[factory._meta.model.record_kind], sharing_level="TLP:CLEAR")
    if factory is FrameworkFactory:
        ProvisionFactory(framework=record, code="GV.1", title="Govern")
    client = Client()
    links = alternates(client, record)
    assert {media_type(kind) for kind, _, _ in links} == expected
    for kind, title, href in links:
        assert href.startswith("http://testserver/"), href
        response = client.get(href)
        assert response.status_code == 200, (title, href)
        assert media_type(response["Content-Type"]) == media_type(kind), (title, response["Content-Type"])
        body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
        assert record.title in body, title


def test_the_alternates_of_a_shared_record_answer_its_member_and_no_one_else(indexes, django_user_model):
    telco = OrganisationFactory(slug="telco")
    member = django_user_model.objects.create_user("mia", "mia@example.org", "pw")
    Membership.objects.create(user=member, organisation=telco)
    finding = FindingFactory(
        parent=indexes["finding"], sharing_level="TLP:AMBER+STRICT", owning_organisation=telco, title="Core outage"
    )
    client = Client()
    client.force_login(member)
    links = alternates(client, finding)
    stranger = Client()
    for _, title, href in links:
        assert client.get(href).status_code == 200, title
        assert stranger.get(href).status_code == 404, title
