"""Set-up for the API tests: a JSON client, no throttling and no settling delay unless a test
asks for them, and a small mixed set of records."""

import datetime

import pytest

from tests.factories import (
    CrossLinkFactory,
    FindingFactory,
    FrameworkFactory,
    JurisdictionFactory,
    LanguageFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)


@pytest.fixture(autouse=True)
def api_settings(settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    return settings


class Api:
    """The Django test client, answering parsed JSON."""

    def __init__(self, client):
        self.client = client

    def get(self, path, status=200, **params):
        response = self.client.get(path, params)
        assert response.status_code == status, (response.status_code, response.content[:500])
        return response.json()

    def all(self, path, **params):
        """Every item of a cursor-paged list, following 'next'."""
        items, url = [], path
        page = self.get(url, **params)
        items += page["results"]
        while page["next"]:
            page = self.client.get(page["next"]).json()
            items += page["results"]
        return items


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def partner(db, django_user_model):
    """A signed-in partner account with no organisation: sees TLP:CLEAR and TLP:GREEN."""
    return django_user_model.objects.create_user("petra", "petra@example.org", "pw")


@pytest.fixture
def corpus(indexes):
    """Frameworks, findings and lessons with terms, provisions and links; some not public."""
    safety = TopicFactory(slug="safety", name="Safety")
    jailbreak = TopicFactory(slug="jailbreak", name="Jailbreaks", parent=safety)
    privacy = TopicFactory(slug="privacy", name="Privacy")
    finance = SectorFactory(slug="finance", name="Finance")
    sg = JurisdictionFactory(code="SG", name="Singapore", slug="singapore")
    zu = LanguageFactory(code="zu", name="Zulu", slug="zulu")
    nist = OrganisationFactory(slug="nist", name="NIST", acronym="NIST")
    rmf = FrameworkFactory(
        parent=indexes["framework"],
        title="NIST AI RMF",
        slug="nist-ai-rmf",
        issuing_body=nist,
        version="1.0",
        publication_date=datetime.date(2023, 1, 26),
        organisations=[nist],
        topics=[safety],
    )
    govern = ProvisionFactory(framework=rmf, code="GOVERN", title="Govern", level=1, sort_order=0)
    ProvisionFactory(framework=rmf, code="GOVERN 1.1", title="Legal requirements", level=2, sort_order=1)
    ProvisionFactory(framework=rmf, code="MAP", title="Map", level=1, sort_order=2)
    zulu = FindingFactory(
        parent=indexes["finding"],
        title="Zulu jailbreaks GPT-4",
        slug="zulu-jailbreaks",
        summary="Translating harmful requests into Zulu bypasses safety training.",
        publication_date=datetime.date(2023, 10, 1),
        authors="Zheng-Xin Yong\nCristina Menghini",
        systems_examined="GPT-4",
        severity="high",
        topics=[jailbreak],
        languages=[zu],
        sectors=[finance],
        jurisdictions=[sg],
    )
    chatbot = LessonFactory(
        parent=indexes["lesson"],
        title="Airline chatbot promised a refund",
        slug="airline-chatbot",
        summary="A tribunal held the airline to its chatbot's promise.",
        publication_date=datetime.date(2024, 2, 14),
        recommendations="Check what the bot says.\nOwn its answers.",
        topics=[privacy],
    )
    green = FindingFactory(
        parent=indexes["finding"],
        title="Partner-only evaluation",
        slug="partner-only",
        sharing_level="TLP:GREEN",
        publication_date=datetime.date(2024, 6, 1),
        topics=[jailbreak],
    )
    draft = FindingFactory(parent=indexes["finding"], title="Unpublished draft", slug="draft", live=False)
    CrossLinkFactory(source=zulu, target=rmf, target_provision=govern, link_type="addresses")
    CrossLinkFactory(source=chatbot, target=zulu, link_type="cites")
    CrossLinkFactory(source=green, target=rmf, link_type="supports")
    CrossLinkFactory(source=zulu, target=draft, link_type="related")
    return {"rmf": rmf, "zulu": zulu, "chatbot": chatbot, "green": green, "draft": draft, "govern": govern}
