"""Proof that each sharing level reaches exactly the people it should, on every surface.

For every kind of visitor, records at all five levels are created with unique markers in their
title, summary and body. A record the visitor may not see must leave no trace: not its title,
summary, body text or UUID, on any page, and it must not be counted.
"""

import pytest

from portal.models import Membership, SharingLevel
from tests.factories import (
    CrossLinkFactory,
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    OrganisationFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

LEVELS = {
    "clear": SharingLevel.CLEAR,
    "green": SharingLevel.GREEN,
    "amber": SharingLevel.AMBER,
    "strict": SharingLevel.AMBER_STRICT,
    "red": SharingLevel.RED,
}

#: visitor -> the levels they may see (of records owned by "owner", AMBER-shared with "partner",
#: RED-shared with "named").
EXPECTED = {
    "anonymous": {"clear"},
    "outsider": {"clear", "green"},
    "owner_member": {"clear", "green", "amber", "strict"},
    "shared_member": {"clear", "green", "amber"},
    "named_person": {"clear", "green", "red"},
    "superuser": {"clear", "green", "amber", "strict", "red"},
}


@pytest.fixture
def world(indexes, django_user_model):
    owner, partner = OrganisationFactory(slug="owner-org"), OrganisationFactory(slug="partner-org")
    users = {
        "outsider": django_user_model.objects.create_user("outsider"),
        "owner_member": django_user_model.objects.create_user("owner-member"),
        "shared_member": django_user_model.objects.create_user("shared-member"),
        "named_person": django_user_model.objects.create_user("named-person"),
        "superuser": django_user_model.objects.create_superuser("root", "root@example.org", "pw"),
    }
    Membership.objects.create(organisation=owner, user=users["owner_member"])
    Membership.objects.create(organisation=partner, user=users["shared_member"])
    topic, sector = TopicFactory(slug="marked-topic"), SectorFactory(slug="marked-sector")
    public = FindingFactory(parent=indexes["finding"], slug="public", title="Public neighbour")
    public_framework = FrameworkFactory(parent=indexes["framework"], slug="public-framework")
    public_provision = ProvisionFactory(framework=public_framework, code="PUB 1")
    records = {}
    for name, level in LEVELS.items():
        record = FindingFactory(
            parent=indexes["finding"],
            slug=f"marked-{name}",
            title=f"MARKTITLE{name}",
            summary=f"MARKSUMMARY{name}",
            body=[("paragraph", f"<p>MARKBODY{name}</p>")],
            sharing_level=level,
            owning_organisation=owner,
            topics=[topic],
            sectors=[sector],
            organisations=[owner],
        )
        record.shared_with_organisations.set([partner])
        record.shared_with_people.set([users["named_person"]])
        record.save()
        CrossLinkFactory(source=public, target=record, link_type="cites")
        CrossLinkFactory(source=record, target=public, link_type="supports")
        framework = FrameworkFactory(
            parent=indexes["framework"],
            slug=f"marked-framework-{name}",
            title=f"MARKTITLE{name}framework",
            summary=f"MARKSUMMARY{name}framework",
            sharing_level=level,
            owning_organisation=owner,
        )
        framework.shared_with_organisations.set([partner])
        framework.shared_with_people.set([users["named_person"]])
        framework.save()
        crosswalk = CrosswalkFactory(source_framework=framework, target_framework=public_framework)
        CrosswalkMappingFactory(
            crosswalk=crosswalk,
            source_provision=ProvisionFactory(framework=framework, code="M 1"),
            target_provision=public_provision,
        )
        records[name] = (record, framework)
    return users, records


def markers(name, record):
    return [f"MARKTITLE{name}", f"MARKSUMMARY{name}", f"MARKBODY{name}", str(record.uuid)]


SURFACES = [
    "/",
    "/findings/",
    "/findings/?topic=marked-topic",
    "/frameworks/",
    "/findings/public/",
    "/frameworks/public-framework/",
    "/topics/",
    "/topics/marked-topic/",
    "/sectors/marked-sector/",
    "/organisations/owner-org/",
]


def visit(client, world, visitor):
    users, _ = world
    if visitor != "anonymous":
        client.force_login(users[visitor])
    return {url: client.get(url) for url in SURFACES}


@pytest.mark.parametrize("visitor", sorted(EXPECTED))
def test_each_visitor_sees_exactly_the_levels_meant_for_them(client, world, visitor):
    _, records = world
    pages = visit(client, world, visitor)
    for url, response in pages.items():
        assert response.status_code == 200, url
    everything = "".join(response.content.decode() for response in pages.values())
    for name, (record, framework) in records.items():
        allowed = name in EXPECTED[visitor]
        detail = client.get(f"/findings/marked-{name}/")
        framework_page = client.get(f"/frameworks/marked-framework-{name}/")
        compare = client.get(f"/frameworks/public-framework/compare/marked-framework-{name}/")
        if allowed:
            assert detail.status_code == 200
            assert f"MARKBODY{name}" in detail.content.decode()
            assert framework_page.status_code == 200 and compare.status_code == 200
            assert f"MARKTITLE{name}" in everything
        else:
            assert detail.status_code == 404
            assert framework_page.status_code == 404 and compare.status_code == 404
            for marker in markers(name, record) + markers(f"{name}framework", framework):
                assert marker not in everything, (visitor, name, marker)


@pytest.mark.parametrize("visitor", sorted(EXPECTED))
def test_counts_include_only_what_the_visitor_may_see(client, world, visitor):
    pages = visit(client, world, visitor)
    visible = len(EXPECTED[visitor])
    findings = visible + 1  # and the public neighbour
    assert pages["/findings/"].context["records"].paginator.count == findings
    assert pages["/findings/?topic=marked-topic"].context["records"].paginator.count == visible
    assert pages["/topics/marked-topic/"].context["records"].paginator.count == visible
    topics = {term.slug: term.record_count for term in pages["/topics/"].context["terms"]}
    assert topics["marked-topic"] == visible
    assert f"{visible} record" in pages["/topics/"].content.decode()


def test_a_new_record_is_green_by_default(indexes):
    from findings.models import FindingPage

    assert FindingPage._meta.get_field("sharing_level").default == SharingLevel.GREEN


def test_removing_a_membership_removes_access_at_once(client, world):
    users, _ = world
    client.force_login(users["owner_member"])
    assert client.get("/findings/marked-strict/").status_code == 200
    Membership.objects.filter(user=users["owner_member"]).delete()
    assert client.get("/findings/marked-strict/").status_code == 404


def test_an_inactive_account_sees_only_public_records(client, world):
    users, _ = world
    users["named_person"].is_active = False
    users["named_person"].save()
    client.force_login(users["named_person"])
    assert client.get("/findings/marked-green/").status_code == 404


def test_guessing_the_slug_of_a_hidden_record_reveals_nothing(client, world):
    response = client.get("/findings/marked-red/")
    assert response.status_code == 404
    assert "MARKTITLEred" not in response.content.decode()
