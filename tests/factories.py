"""Factories for the records, taxonomy and links that tests need.

Record factories need a parent: use the ``indexes`` fixture (tests/conftest.py), e.g.
``FindingFactory(parent=indexes["finding"])``. Records are created live; pass ``live=False``
for a draft.
"""

import datetime

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from findings.models import FindingPage, LessonPage
from frameworks.models import Crosswalk, CrosswalkMapping, FrameworkPage, Provision
from portal.models import CrossLink, Jurisdiction, Language, Organisation, Sector, Topic


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector

    name = factory.Sequence(lambda n: f"Sector {n}")
    slug = factory.Sequence(lambda n: f"sector-{n}")


class JurisdictionFactory(DjangoModelFactory):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = "SG"
    name = factory.LazyAttribute(lambda o: f"Jurisdiction {o.code}")
    slug = factory.LazyAttribute(lambda o: o.code.lower())


class LanguageFactory(DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "ta"
    name = factory.LazyAttribute(lambda o: f"Language {o.code}")
    slug = factory.LazyAttribute(lambda o: o.code.lower())


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


def _terms(relation):
    """A post-generation hook so that ``FindingFactory(topics=[t])`` sets and saves the terms
    (ParentalManyToMany fields only reach the database when the page is saved)."""

    def hook(page, create, extracted, **kwargs):
        if extracted:
            getattr(page, relation).set(extracted)
            page.save()

    return factory.PostGeneration(hook)


class RecordFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Record {n}")
    slug = factory.Sequence(lambda n: f"record-{n}")
    summary = factory.LazyAttribute(lambda o: f"Summary of {o.title}.")
    publication_date = datetime.date(2024, 5, 1)
    sharing_level = "TLP:CLEAR"  # public unless a test says otherwise (the model's default is GREEN)
    topics = _terms("topics")
    sectors = _terms("sectors")
    jurisdictions = _terms("jurisdictions")
    languages = _terms("languages")
    organisations = _terms("organisations")

    class Meta:
        abstract = True
        skip_postgeneration_save = True


class FrameworkFactory(RecordFactory):
    class Meta:
        model = FrameworkPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Framework {n}")
    slug = factory.Sequence(lambda n: f"framework-{n}")


class FindingFactory(RecordFactory):
    class Meta:
        model = FindingPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Finding {n}")
    slug = factory.Sequence(lambda n: f"finding-{n}")


class LessonFactory(RecordFactory):
    class Meta:
        model = LessonPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Lesson {n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    context = "An operator deployed a model."
    what_happened = "It failed in an unexpected way."


class ProvisionFactory(DjangoModelFactory):
    class Meta:
        model = Provision

    code = factory.Sequence(lambda n: f"P {n}")
    title = factory.Sequence(lambda n: f"Provision {n}")
    level = 1
    sort_order = factory.Sequence(int)


class CrossLinkFactory(DjangoModelFactory):
    class Meta:
        model = CrossLink

    link_type = "addresses"


class CrosswalkFactory(DjangoModelFactory):
    class Meta:
        model = Crosswalk

    title = factory.Sequence(lambda n: f"Crosswalk {n}")
    slug = factory.Sequence(lambda n: f"crosswalk-{n}")


class CrosswalkMappingFactory(DjangoModelFactory):
    class Meta:
        model = CrosswalkMapping

    relation = "equal"
    rationale = "semantic"
