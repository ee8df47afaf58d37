"""Model rules: what a valid term, record and link is."""

import datetime

import pytest

from django.core.exceptions import ValidationError

from portal.models import INVERSE_LABELS, CrossLink, ExternalIdentifier, Jurisdiction, Language, LinkType
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, ProvisionFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["SG", "US", "EU", "INT"])
def test_jurisdiction_accepts_iso_codes_eu_and_int(code):
    Jurisdiction(name=code, slug=code.lower(), code=code).full_clean()


@pytest.mark.parametrize("code", ["sg", "USA", "E", "Europe"])
def test_jurisdiction_rejects_other_codes(code):
    with pytest.raises(ValidationError, match="ISO 3166-1"):
        Jurisdiction(name=code, slug="x", code=code).full_clean()


@pytest.mark.parametrize("code", ["en", "zh-Hans", "pt-BR", "ta", "hmn", "es-419"])
def test_language_accepts_bcp47_tags(code):
    Language(name=code, slug=code.lower(), code=code).full_clean()


@pytest.mark.parametrize("code", ["English", "EN", "zh_Hans", "e"])
def test_language_rejects_malformed_tags(code):
    with pytest.raises(ValidationError, match="BCP 47"):
        Language(name=code, slug="x", code=code).full_clean()


def test_topic_cannot_sit_under_its_own_subtopic():
    top = TopicFactory()
    child = TopicFactory(parent=top)
    top.parent = child
    with pytest.raises(ValidationError, match="cannot sit under itself"):
        top.full_clean()


def test_topic_descendants_include_the_whole_subtree():
    top = TopicFactory()
    child = TopicFactory(parent=top)
    grandchild = TopicFactory(parent=child)
    TopicFactory()
    from portal.models import Topic

    assert Topic.descendant_ids([top.pk]) == {top.pk, child.pk, grandchild.pk}


def test_every_link_type_has_an_inverse_label():
    assert set(INVERSE_LABELS) == set(LinkType.values)
    assert INVERSE_LABELS[LinkType.ADDRESSES] == "is addressed by"


def test_link_to_a_provision_fills_in_its_framework(indexes):
    framework = FrameworkFactory(parent=indexes["framework"])
    provision = ProvisionFactory(framework=framework)
    finding = FindingFactory(parent=indexes["finding"])
    link = CrossLink(source=finding, target_provision=provision, link_type="addresses")
    link.full_clean()
    assert link.target_id == framework.pk
    assert link.inverse_label == "is addressed by"


def test_link_to_itself_is_invalid(indexes):
    finding = FindingFactory(parent=indexes["finding"])
    with pytest.raises(ValidationError, match="cannot link to itself"):
        CrossLink(source=finding, target=finding).full_clean()


def test_link_needs_a_target(indexes):
    finding = FindingFactory(parent=indexes["finding"])
    with pytest.raises(ValidationError, match="Choose the record"):
        CrossLink(source=finding).full_clean()


def test_lesson_end_date_before_start_date_is_invalid(indexes):
    lesson = LessonFactory(parent=indexes["lesson"])
    lesson.event_date, lesson.event_end_date = datetime.date(2024, 5, 2), datetime.date(2024, 5, 1)
    with pytest.raises(ValidationError, match="before the date it happened"):
        lesson.full_clean()


def test_finding_doi_must_look_like_a_doi(indexes):
    finding = FindingFactory(parent=indexes["finding"])
    finding.doi = "doi:10.1234/x"
    with pytest.raises(ValidationError, match="not a DOI"):
        finding.full_clean()
    finding.doi = "10.6028/NIST.AI.100-1"
    finding.full_clean()


def test_external_doi_identifier_is_validated(indexes):
    finding = FindingFactory(parent=indexes["finding"])
    with pytest.raises(ValidationError, match="not a DOI"):
        ExternalIdentifier(record=finding, scheme="doi", value="nope").full_clean()


def test_record_uuid_is_stable_across_renames_and_new_on_copy(indexes):
    finding = FindingFactory(parent=indexes["finding"], slug="before")
    uuid = finding.uuid
    finding.title, finding.slug = "Renamed", "after"
    finding.save_revision().publish()
    finding.refresh_from_db()
    assert finding.uuid == uuid
    copy = finding.copy(update_attrs={"slug": "copy", "title": "Copy"})
    assert copy.uuid != uuid


def test_kind_models_names_every_kind_of_record():
    from portal.models import RecordPage

    assert set(RecordPage.kind_models()) == {"framework", "finding", "lesson"}
