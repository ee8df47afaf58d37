"""Parts of other records that a page shows (reasons, link ends, neighbours) follow the same
sharing rule as the records themselves: a hidden record leaves no trace in them."""

import pytest

from portal.models import SharingLevel
from tests.factories import CrossLinkFactory, FindingFactory, FrameworkFactory, OrganisationFactory, ProvisionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_findings_citing_hidden_ones(indexes):
    owner = OrganisationFactory()
    hidden = FindingFactory(
        parent=indexes["finding"], title="HIDDENREDTITLE", sharing_level=SharingLevel.RED, owning_organisation=owner
    )
    strict = FrameworkFactory(
        parent=indexes["framework"],
        title="HIDDENSTRICTFRAMEWORK",
        sharing_level=SharingLevel.AMBER_STRICT,
        owning_organisation=owner,
    )
    provision = ProvisionFactory(framework=strict, code="HIDDENCODE-1")
    first = FindingFactory(parent=indexes["finding"], slug="first", title="First public finding")
    second = FindingFactory(parent=indexes["finding"], slug="second", title="Second public finding")
    for record in (first, second):
        CrossLinkFactory(source=record, target=hidden, link_type="cites")
        CrossLinkFactory(source=record, target=strict, target_provision=provision, link_type="addresses")
    return first, second


def test_similar_records_never_quote_a_hidden_link_target_as_their_reason(client, public_findings_citing_hidden_ones):
    for slug in ("first", "second"):
        page = client.get(f"/findings/{slug}/").content.decode()
        assert "HIDDENREDTITLE" not in page
        assert "HIDDENCODE-1" not in page
        assert "HIDDENSTRICTFRAMEWORK" not in page
