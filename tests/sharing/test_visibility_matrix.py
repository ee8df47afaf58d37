"""Proof that each sharing level reaches exactly the people it should, on every surface.

For every kind of visitor, records at all five levels are created with unique markers in their
title, summary and body. A record the visitor may not see must leave no trace: not its title,
summary, body text or UUID, on any page, and it must not be counted.
"""

import pytest

from portal.models import Membership, SharingLevel
from tests.sharing.conftest import EXPECTED, markers

pytestmark = pytest.mark.django_db

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
