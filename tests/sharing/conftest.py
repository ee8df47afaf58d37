"""The world of the sharing proofs: records at every level, and every kind of visitor."""

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


@pytest.fixture
def search_backend():
    """The search backend the world is indexed with; the default backend unless a module overrides it."""
    return None


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
def world(indexes, django_user_model, search_backend):
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
            summary=f"MARKSUMMARY{name} sharedmatrixword",
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
    """What must not leak: the record's title, summary, body text and UUID."""
    return [f"MARKTITLE{name}", f"MARKSUMMARY{name}", f"MARKBODY{name}", str(record.uuid)]
