"""Records for the feed, sitemap, JSON-LD and citation tests: some anyone may see, some nobody
anonymous may (a TLP:GREEN record, a draft, an expired record), each hidden one with markers
that must never appear on a public surface."""

import datetime
from types import SimpleNamespace

import pytest

from django.utils import timezone

from tests.factories import (
    CrossLinkFactory,
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
    TopicFactory,
)


def hidden_markers(record):
    """Text that only the hidden record carries: its title, its summary and its UUID."""
    return [record.title, record.summary, str(record.uuid)]


def set_published(record, first, last=None):
    """Pretend the record was first published on the portal at ``first`` (and last at ``last``)."""
    type(record).objects.filter(pk=record.pk).update(first_published_at=first, last_published_at=last or first)
    record.refresh_from_db()


@pytest.fixture
def catalogue(indexes):
    """Public and hidden findings, lessons and frameworks under one topic tree, with links."""
    parent_topic = TopicFactory(slug="risk", name="Risk")
    topic = TopicFactory(slug="privacy", name="Privacy & security", parent=parent_topic)
    unused_topic = TopicFactory(slug="unused", name="Unused")
    nist = OrganisationFactory(slug="nist", name="National Institute of Standards and Technology", acronym="NIST")
    framework = FrameworkFactory(
        parent=indexes["framework"],
        slug="ai-rmf",
        title="AI Risk Management Framework",
        issuing_body=nist,
        version="1.0",
        organisations=[nist],
        topics=[parent_topic],
    )
    provision = ProvisionFactory(framework=framework, code="GOVERN 1.1", title="Legal requirements")
    hidden_framework = FrameworkFactory(
        parent=indexes["framework"], slug="partner-framework", title="HIDDENFRAMEWORK", sharing_level="TLP:GREEN"
    )
    now = timezone.now()
    finding = FindingFactory(
        parent=indexes["finding"],
        slug="public-finding",
        title="Public finding on jailbreaks",
        authors="Zheng-Xin Yong\nJosé Müller",
        venue="arXiv",
        doi="10.48550/arXiv.2310.02446",
        topics=[topic],
        organisations=[nist],
    )
    lesson = LessonFactory(
        parent=indexes["lesson"], slug="public-lesson", title="Public lesson", topics=[topic], organisations=[nist]
    )
    hidden = SimpleNamespace(
        green_finding=FindingFactory(
            parent=indexes["finding"],
            slug="green-finding",
            title="HIDDENGREENTITLE",
            summary="HIDDENGREENSUMMARY",
            sharing_level="TLP:GREEN",
            topics=[topic, unused_topic],
        ),
        draft_finding=FindingFactory(
            parent=indexes["finding"],
            slug="draft-finding",
            title="HIDDENDRAFTTITLE",
            summary="HIDDENDRAFTSUMMARY",
            live=False,
            topics=[topic],
        ),
        expired_finding=FindingFactory(
            parent=indexes["finding"],
            slug="expired-finding",
            title="HIDDENEXPIREDTITLE",
            summary="HIDDENEXPIREDSUMMARY",
            expire_at=now - datetime.timedelta(days=1),
            topics=[topic],
        ),
        amber_lesson=LessonFactory(
            parent=indexes["lesson"],
            slug="amber-lesson",
            title="HIDDENAMBERTITLE",
            summary="HIDDENAMBERSUMMARY",
            sharing_level="TLP:AMBER",
            topics=[topic],
        ),
    )
    # Links to the public framework: from the public finding (to a provision), from the public
    # lesson (to the framework), and from every hidden record.
    CrossLinkFactory(source=finding, target=framework, target_provision=provision, link_type="addresses")
    CrossLinkFactory(source=lesson, target=framework, link_type="implements")
    for record in vars(hidden).values():
        CrossLinkFactory(source=record, target=framework, link_type="addresses")
    set_published(framework, now - datetime.timedelta(days=30))
    set_published(finding, now - datetime.timedelta(days=2), now - datetime.timedelta(hours=5))
    set_published(lesson, now - datetime.timedelta(days=1))
    return SimpleNamespace(
        topic=topic,
        parent_topic=parent_topic,
        unused_topic=unused_topic,
        nist=nist,
        framework=framework,
        provision=provision,
        hidden_framework=hidden_framework,
        finding=finding,
        lesson=lesson,
        hidden=list(vars(hidden).values()) + [hidden_framework],
    )


@pytest.fixture
def partner(django_user_model):
    """A signed-in partner account: sees TLP:CLEAR and TLP:GREEN records."""
    return django_user_model.objects.create_user("partner", "partner@example.org", "pw")
