"""Fixtures of tests/portal: the two organisations of the admin boundaries tests."""

import pytest

from django.contrib.auth.models import Group

from portal.models import Membership, SharingLevel
from tests.factories import (
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    OrganisationFactory,
    ProvisionFactory,
)
from tests.portal.admin_boundaries import OURS


@pytest.fixture
def orgs(indexes, editor, publisher, django_user_model):
    """Organisation A's AMBER finding and RED framework (with a provision and a crosswalk), and
    organisation B's own AMBER finding; ``editor`` and ``publisher`` belong to B only."""
    org_a, org_b = OrganisationFactory(slug="org-a"), OrganisationFactory(slug="org-b")
    for user in (editor, publisher):
        Membership.objects.create(user=user, organisation=org_b)
    author_a = django_user_model.objects.create_user("alice", "alice@example.org", "pw")
    author_a.groups.add(Group.objects.get(name="Editors"))
    Membership.objects.create(user=author_a, organisation=org_a)

    amber = FindingFactory(
        parent=indexes["finding"],
        slug="their-amber",
        title="Zanzibarquagmire amber finding",
        summary="Summary of the xylophonicmarker finding.",
        body=[("paragraph", "<p>xylophonicmarker in the body</p>")],
        sharing_level=SharingLevel.AMBER,
        owning_organisation=org_a,
    )
    red = FrameworkFactory(
        parent=indexes["framework"],
        slug="their-red",
        title="Obsidianheron red framework",
        summary="Summary of the pterodactylmarker framework.",
        body=[("paragraph", "<p>pterodactylmarker in the body</p>")],
        sharing_level=SharingLevel.RED,
        owning_organisation=org_a,
    )
    secret_provision = ProvisionFactory(framework=red, code="QP 1", title="Quasarprovision on secrets")
    ours = FindingFactory(
        parent=indexes["finding"],
        slug="our-amber",
        title=f"{OURS} our finding",
        sharing_level=SharingLevel.AMBER,
        owning_organisation=org_b,
    )
    shared = FrameworkFactory(parent=indexes["framework"], slug="shared-framework", title="Sharedframework common")
    shared_provision = ProvisionFactory(framework=shared, code="DF 1", title="Daffodilprovision in common")
    other_shared = FrameworkFactory(parent=indexes["framework"], slug="other-shared", title="Othershared common")
    their_crosswalk = CrosswalkFactory(
        title="Obsidiancrosswalk to common", source_framework=red, target_framework=shared
    )
    CrosswalkMappingFactory(
        crosswalk=their_crosswalk, source_provision=secret_provision, target_provision=shared_provision
    )
    common_crosswalk = CrosswalkFactory(
        title="Commoncrosswalk between shared", source_framework=shared, target_framework=other_shared
    )
    # Published by an editor of A, so that history and reports have something to show.
    for page in (ours, shared, amber, red):
        page.save_revision(user=author_a, log_action=True).publish(user=author_a, skip_permission_checks=True)
    return {
        "a": org_a,
        "b": org_b,
        "author_a": author_a,
        "amber": amber,
        "red": red,
        "ours": ours,
        "their_crosswalk": their_crosswalk,
        "common_crosswalk": common_crosswalk,
        "shared_provision": shared_provision,
    }
