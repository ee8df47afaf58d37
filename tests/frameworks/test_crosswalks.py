"""Crosswalks: edited as snippets in the admin, read side by side on the compare page."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.test.utils.form_data import inline_formset, nested_form_data

from frameworks.models import Crosswalk
from portal.models import Membership
from tests.factories import (
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FrameworkFactory,
    OrganisationFactory,
    ProvisionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_frameworks(indexes):
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="AI RMF")
    mgf = FrameworkFactory(parent=indexes["framework"], slug="mgf", title="Model Framework")
    rmf_codes = [
        ProvisionFactory(framework=rmf, code=c, sort_order=i) for i, c in enumerate(["GOVERN", "MAP", "MEASURE"])
    ]
    mgf_codes = [ProvisionFactory(framework=mgf, code=c, sort_order=i) for i, c in enumerate(["3.1", "3.2", "3.3"])]
    return rmf, mgf, rmf_codes, mgf_codes


def crosswalk_form(source, target, mappings, slug="rmf-mgf"):
    return nested_form_data(
        {
            "title": "RMF to MGF",
            "slug": slug,
            "source_framework": source.pk,
            "target_framework": target.pk,
            "description": "",
            "source_title": "",
            "source_url": "",
            "mappings": inline_formset(
                [
                    {
                        "source_provision": a.pk,
                        "target_provision": b.pk,
                        "relation": "intersects_with",
                        "rationale": "semantic",
                        "strength": "",
                        "note": "",
                        "source": "",
                    }
                    for a, b in mappings
                ]
            ),
        }
    )


def test_staff_create_a_crosswalk_in_the_admin(admin_client, two_frameworks):
    rmf, mgf, left, right = two_frameworks
    url = reverse("wagtailsnippets_frameworks_crosswalk:add")
    response = admin_client.post(url, crosswalk_form(rmf, mgf, [(left[0], right[0]), (left[2], right[2])]))
    assert response.status_code == 302
    crosswalk = Crosswalk.objects.get(slug="rmf-mgf")
    assert crosswalk.mappings.count() == 2


def test_admin_rejects_a_crosswalk_between_a_framework_and_itself(admin_client, two_frameworks):
    rmf, _, left, _ = two_frameworks
    url = reverse("wagtailsnippets_frameworks_crosswalk:add")
    response = admin_client.post(url, crosswalk_form(rmf, rmf, []))
    assert response.status_code == 200
    assert "A crosswalk maps two different frameworks" in response.content.decode()
    assert not Crosswalk.objects.exists()


def test_admin_rejects_a_mapping_between_provisions_of_the_same_framework(admin_client, two_frameworks):
    rmf, mgf, left, _ = two_frameworks
    url = reverse("wagtailsnippets_frameworks_crosswalk:add")
    response = admin_client.post(url, crosswalk_form(rmf, mgf, [(left[0], left[1])]))
    assert "Both provisions belong to the same framework" in response.content.decode()
    assert not Crosswalk.objects.exists()


def test_admin_rejects_a_mapping_from_a_framework_outside_the_crosswalk(admin_client, two_frameworks, indexes):
    rmf, mgf, _, right = two_frameworks
    other = ProvisionFactory(framework=FrameworkFactory(parent=indexes["framework"]), code="X")
    url = reverse("wagtailsnippets_frameworks_crosswalk:add")
    response = admin_client.post(url, crosswalk_form(rmf, mgf, [(other, right[0])]))
    assert "Choose a provision of AI RMF" in response.content.decode()


def test_provision_chooser_finds_provisions_by_code(admin_client, two_frameworks):
    response = admin_client.get(reverse("provision_chooser:choose_results") + "?q=MEAS")
    content = response.content.decode()
    assert response.status_code == 200
    assert "MEASURE" in content
    assert "GOVERN" not in content


def test_compare_page_shows_mapped_and_unmapped_provisions_and_coverage(client, two_frameworks):
    rmf, mgf, left, right = two_frameworks
    crosswalk = CrosswalkFactory(source_framework=rmf, target_framework=mgf, source_title="A published mapping")
    CrosswalkMappingFactory(crosswalk=crosswalk, source_provision=left[0], target_provision=right[0])
    response = client.get("/frameworks/rmf/compare/mgf/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "1 of 3 provisions of AI RMF relate to Model Framework (33%)" in content
    assert content.count('class="unmapped"') == 2  # MAP and MEASURE have no mapping
    assert "Provisions of Model Framework with no mapping" in content
    # The same crosswalk read from the other side.
    reverse_content = client.get("/frameworks/mgf/compare/rmf/").content.decode()
    assert "1 of 3 provisions of Model Framework relate to AI RMF" in reverse_content
    # Each framework page offers the comparison.
    assert "/frameworks/rmf/compare/mgf/" in client.get("/frameworks/rmf/").content.decode()


def test_compare_page_is_404_for_a_draft_or_unknown_framework(client, two_frameworks):
    rmf, mgf, _, _ = two_frameworks
    mgf.unpublish()
    assert client.get("/frameworks/rmf/compare/mgf/").status_code == 404
    assert client.get("/frameworks/rmf/compare/nothing/").status_code == 404
    assert client.get("/frameworks/rmf/compare/rmf/").status_code == 404


def test_the_crosswalk_listing_runs_a_fixed_number_of_queries(client, indexes, editor):
    organisation = OrganisationFactory()
    Membership.objects.create(user=editor, organisation=organisation)
    client.force_login(editor)
    frameworks = [FrameworkFactory(parent=indexes["framework"], owning_organisation=organisation) for _ in range(10)]
    counts = []
    for first in range(0, 10, 2):  # 1 crosswalk, then 2, … 5
        CrosswalkFactory(source_framework=frameworks[first], target_framework=frameworks[first + 1])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("wagtailsnippets_frameworks_crosswalk:list")).status_code == 200
        counts.append(len(queries))
    assert counts[1:] == counts[:1] * 4, counts
