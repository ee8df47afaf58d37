"""Organisation boundaries for crosswalks and the provision chooser: staff of organisation B meet
no crosswalk or provision of organisation A's frameworks (tests/portal/test_admin_boundaries.py
says how these tests work).
"""

import pytest

from django.urls import reverse

from frameworks.models import Crosswalk
from tests.factories import (
    FrameworkFactory,
    ProvisionFactory,
)
from tests.portal.admin_boundaries import assert_nothing_of_theirs

pytestmark = pytest.mark.django_db


# -- Crosswalks and the provision chooser ---------------------------------------------------------


def test_crosswalks_of_frameworks_out_of_reach_are_neither_listed_nor_editable(client, orgs, editor):
    client.force_login(editor)
    listing = client.get(reverse("wagtailsnippets_frameworks_crosswalk:list"))
    assert listing.status_code == 200
    assert "Commoncrosswalk" in assert_nothing_of_theirs(listing)
    theirs = orgs["their_crosswalk"]
    edit = reverse("wagtailsnippets_frameworks_crosswalk:edit", args=(theirs.pk,))
    response = client.get(edit)
    assert response.status_code == 404
    assert_nothing_of_theirs(response)
    client.post(edit, {"title": "Renamed by B", "slug": theirs.slug})
    assert Crosswalk.objects.get(pk=theirs.pk).title == "Obsidiancrosswalk to common"
    for action in ("delete", "history", "usage"):
        url = reverse(f"wagtailsnippets_frameworks_crosswalk:{action}", args=(theirs.pk,))
        response = client.get(url)
        assert response.status_code == 404
        assert_nothing_of_theirs(response)
    common = reverse("wagtailsnippets_frameworks_crosswalk:edit", args=(orgs["common_crosswalk"].pk,))
    assert client.get(common).status_code == 200


def crosswalk_form(title, slug, source, target, *mappings):
    data = {
        "title": title,
        "slug": slug,
        "source_framework": source.pk,
        "target_framework": target.pk,
        "description": "",
        "source_title": "",
        "source_url": "",
        "mappings-TOTAL_FORMS": len(mappings),
        "mappings-INITIAL_FORMS": 0,
        "mappings-MIN_NUM_FORMS": 0,
        "mappings-MAX_NUM_FORMS": 1000,
    }
    for index, (left, right) in enumerate(mappings):
        data |= {
            f"mappings-{index}-source_provision": left.pk,
            f"mappings-{index}-target_provision": right.pk,
            f"mappings-{index}-relation": "intersects_with",
            f"mappings-{index}-rationale": "functional",
            f"mappings-{index}-note": "",
            f"mappings-{index}-source": "",
            f"mappings-{index}-ORDER": index + 1,
            f"mappings-{index}-id": "",
            f"mappings-{index}-DELETE": "",
        }
    return data


def test_a_crosswalk_may_join_only_frameworks_in_reach(client, orgs, editor, indexes):
    client.force_login(editor)
    add = reverse("wagtailsnippets_frameworks_crosswalk:add")
    ours = FrameworkFactory(parent=indexes["framework"], slug="our-framework", owning_organisation=orgs["b"])
    own_provision = ProvisionFactory(framework=ours, code="OF 1")
    shared = orgs["shared_provision"].framework
    secret = orgs["red"].provisions.get()
    client.post(add, crosswalk_form("Into theirs", "into-theirs", ours, orgs["red"]))
    client.post(add, crosswalk_form("Their provision", "their-provision", ours, shared, (own_provision, secret)))
    assert not Crosswalk.objects.filter(slug__in=["into-theirs", "their-provision"]).exists()
    response = client.post(add, crosswalk_form("Ours", "ours", ours, shared, (own_provision, orgs["shared_provision"])))
    assert response.status_code == 302
    assert Crosswalk.objects.get(slug="ours").mappings.count() == 1


def test_crosswalk_search_and_chooser_find_only_crosswalks_in_reach(client, orgs, editor):
    client.force_login(editor)
    listing = reverse("wagtailsnippets_frameworks_crosswalk:list")
    chooser = reverse("wagtailsnippetchoosers_frameworks_crosswalk:choose")
    for url in (listing, chooser):
        for query in ("Obsidiancrosswalk", "crosswalk"):
            response = client.get(url, {"q": query})
            assert response.status_code == 200
            assert "Obsidiancrosswalk to common" not in response.content.decode()
        assert "Commoncrosswalk" in client.get(url, {"q": "crosswalk"}).content.decode()
    assert "Commoncrosswalk" in client.get(chooser).content.decode()
    assert "Obsidiancrosswalk" not in client.get(chooser).content.decode()
    chosen = reverse("wagtailsnippetchoosers_frameworks_crosswalk:chosen", args=(orgs["their_crosswalk"].pk,))
    assert client.get(chosen).status_code == 404


def test_provision_chooser_lists_only_provisions_of_frameworks_in_reach(client, orgs, editor):
    client.force_login(editor)
    for name in ("provision_chooser:choose", "provision_chooser:choose_results"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "Daffodilprovision" in assert_nothing_of_theirs(response)
    search = client.get(reverse("provision_chooser:choose_results"), {"q": "QP 1"})
    assert "Quasarprovision" not in search.content.decode()
    assert (
        "Daffodilprovision" in client.get(reverse("provision_chooser:choose_results"), {"q": "DF 1"}).content.decode()
    )
    chosen = client.get(reverse("provision_chooser:chosen", args=(orgs["red"].provisions.get().pk,)))
    assert chosen.status_code == 404
