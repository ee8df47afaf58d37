"""The web search page and /api/v1/search/ render one search pipeline: for random queries, facet
selections, sorts and visitors they give the same total, the same first page in the same order
and the same count for every facet value; and those counts follow the rule written in
``portal/services/facets.py`` (a facet's counts apply the other facets' selections, not its
own), checked against a model of the records written here, independently of the code under test.

The records are built once for the module's test (hypothesis runs its examples on them); each
example asks both surfaces afresh (the cache is off, so neither reads what the other computed).
"""

import datetime
import random
import shutil
import tempfile
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.test import Client, override_settings

from tests.factories import (
    FindingFactory,
    FrameworkFactory,
    JurisdictionFactory,
    LanguageFactory,
    LessonFactory,
    OrganisationFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

WORDS = ["aurora", "basalt", "cobalt", "dynamo", "ember"]
YEARS = [2022, 2023, 2024]
FACTORIES = {"finding": FindingFactory, "lesson": LessonFactory, "framework": FrameworkFactory}
#: topic slug -> parent slug: two trees, one two levels deep
TOPICS = {"safety": None, "jailbreak": "safety", "multilingual": "jailbreak", "privacy": None, "leaks": "privacy"}
SECTORS = ["finance", "health", "energy"]
JURISDICTIONS = ["SG", "EU"]
LANGUAGES = ["en", "ta"]
ORGANISATIONS = ["imda", "nist"]
SORTS = ["relevance", "newest", "oldest", "title"]
VISIBLE = {"anonymous": {"TLP:CLEAR"}, "partner": {"TLP:CLEAR", "TLP:GREEN"}}
#: the API's names before the sorts were shared, still accepted
API_ALIASES = {"newest": "-published", "oldest": "published"}


@pytest.fixture
def corpus(indexes, django_user_model, settings):
    """About forty records with random words, terms, years, kinds and sharing levels, in a
    search index of their own, and a model of them (``Corpus``)."""
    settings.PORTAL_CACHE_SECONDS = 0
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    settings.PORTAL_PAGE_SIZE = 20  # the API's default page size: both first pages hold the same
    path = tempfile.mkdtemp(prefix="pipeline-index-")
    with override_settings(WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": "portal.search.whoosh", "PATH": path}}):
        rng = random.Random(13)
        topics = {}
        for slug, parent in TOPICS.items():  # parents first
            topics[slug] = TopicFactory(slug=slug, name=slug.title(), parent=topics.get(parent))
        sectors = {slug: SectorFactory(slug=slug, name=slug.title()) for slug in SECTORS}
        jurisdictions = {code: JurisdictionFactory(code=code) for code in JURISDICTIONS}
        languages = {code: LanguageFactory(code=code) for code in LANGUAGES}
        organisations = {slug: OrganisationFactory(slug=slug, name=slug.upper()) for slug in ORGANISATIONS}
        model = {}
        for n in range(40):
            kind = rng.choice(sorted(FACTORIES))
            words, other = rng.sample(WORDS, rng.randint(1, 2)), rng.choice(WORDS)
            chosen = {
                "topic": rng.sample(sorted(topics), rng.randint(0, 2)),
                "sector": rng.sample(SECTORS, rng.randint(0, 2)),
                "jurisdiction": rng.sample(JURISDICTIONS, rng.randint(0, 1)),
                "language": rng.sample(LANGUAGES, rng.randint(0, 2)),
                "organisation": rng.sample(ORGANISATIONS, rng.randint(0, 1)),
            }
            year = rng.choice(YEARS)
            level = rng.choice(["TLP:CLEAR", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"])
            record = FACTORIES[kind](
                parent=indexes[kind],
                title=f"{' '.join(words).capitalize()} record {n}",
                summary=f"Notes on {other} and more.",
                publication_date=datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                sharing_level=level,
                topics=[topics[slug] for slug in chosen["topic"]],
                sectors=[sectors[slug] for slug in chosen["sector"]],
                jurisdictions=[jurisdictions[code] for code in chosen["jurisdiction"]],
                languages=[languages[code] for code in chosen["language"]],
                organisations=[organisations[slug] for slug in chosen["organisation"]],
            )
            under = set()  # a record under a topic is under each topic above it too
            for slug in chosen["topic"]:
                while slug is not None:
                    under.add(slug)
                    slug = TOPICS[slug]
            facets = {name: set(values) for name, values in chosen.items()}
            facets.update(topic=under, kind={kind}, year={str(year)})
            model[str(record.translation_key)] = {"facets": facets, "level": level, "words": {*words, other}}
        partner = django_user_model.objects.create_user("pat", password="pw-pat-1")
        visitors = {"anonymous": Client(), "partner": Client()}
        visitors["partner"].force_login(partner)
        try:
            yield Corpus(model=model, visitors=visitors)
        finally:
            shutil.rmtree(path, ignore_errors=True)


@dataclass
class Corpus:
    model: dict  # {uuid: {"facets": {facet: {values}}, "level": sharing level, "words": {words}}}
    visitors: dict  # {name: a signed-in (or anonymous) test client}
    matches: dict = field(default_factory=dict)  # {(visitor, query): [uuid]}, asked once

    def __repr__(self):  # (hypothesis shows the test's arguments when an example fails)
        return f"<{len(self.model)} records>"


def selections():
    values = {
        "kind": sorted(FACTORIES),
        "topic": sorted(TOPICS),
        "sector": SECTORS,
        "jurisdiction": JURISDICTIONS,
        "language": LANGUAGES,
        "organisation": ORGANISATIONS,
        "year": [str(year) for year in YEARS],
    }
    # Most facets unselected, as visitors leave them; now and then two values of one.
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.just([]), st.lists(st.sampled_from(choices), max_size=2, unique=True))
            for name, choices in values.items()
        }
    ).map(lambda chosen: {name: values for name, values in chosen.items() if values})


queries = st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True).map(" ".join)


def query_string(pairs):
    return "&".join(f"{name}={value}" for name, value in pairs)


def web(client, query, chosen, sort):
    pairs = [("q", query), *((name, v) for name, values in chosen.items() for v in values), ("sort", sort)]
    response = client.get(f"/search/?{query_string(pairs)}")
    assert response.status_code == 200, response.content[:300]
    listing = response.context["listing"]
    facets = {name: {v.value: v.count for v in values} for name, values in listing.facets.items()}
    return listing.total, [str(record.translation_key) for record in listing.page], facets


def api(client, query, chosen, sort, page_size=20):
    pairs = [("q", query), *((name, v) for name, values in chosen.items() for v in values)]
    pairs += [("order", sort), ("page_size", page_size)]
    response = client.get(f"/api/v1/search/?{query_string(pairs)}")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in body["facets"].items()}
    return body["total"], [hit["uuid"] for hit in body["results"]], facets


def expected(model, matched, chosen):
    """The total and the facet counts the rule gives, from the model of the records."""

    def meets(uuid, skip=None):
        have = model[uuid]["facets"]
        return all(have[name] & set(values) for name, values in chosen.items() if name != skip)

    total = sum(meets(uuid) for uuid in matched)
    counts = {}
    for name in ("kind", "topic", "sector", "jurisdiction", "language", "organisation", "year"):
        found = {}
        for uuid in matched:
            if meets(uuid, skip=name):
                for value in model[uuid]["facets"][name]:
                    found[value] = found.get(value, 0) + 1
        for value in chosen.get(name, ()):  # a chosen value stays listed, with 0 if nothing has it
            found.setdefault(value, 0)
        counts[name] = found
    return total, counts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    visitor=st.sampled_from(["anonymous", "partner"]),
    query=queries,
    chosen=selections(),
    sort=st.sampled_from(SORTS),
    alias=st.booleans(),
)
def test_web_and_api_give_the_same_totals_results_and_facet_counts(corpus, visitor, query, chosen, sort, alias):
    client = corpus.visitors[visitor]
    web_total, web_page, web_facets = web(client, query, chosen, sort)
    api_sort = API_ALIASES.get(sort, sort) if alias else sort
    api_total, api_page, api_facets = api(client, query, chosen, api_sort)
    assert web_total == api_total
    assert web_page == api_page
    assert web_facets == api_facets
    # Every match of the query, before any selection (asked once per visitor and query).
    key = (visitor, query)
    if key not in corpus.matches:
        corpus.matches[key] = api(client, query, {}, "relevance", page_size=100)[1]
    matched = corpus.matches[key]
    assert len(matched) < 100  # (all of them on one page)
    # They are the records the visitor may see with the query's words (all of them, or some,
    # as the backend joins words) in their title or summary.
    model, words = corpus.model, set(query.split())
    visible = {uuid for uuid, record in model.items() if record["level"] in VISIBLE[visitor]}
    assert {uuid for uuid in visible if words <= model[uuid]["words"]} <= set(matched)
    assert set(matched) <= {uuid for uuid in visible if words & model[uuid]["words"]}
    total, counts = expected(model, matched, chosen)
    assert api_total == total
    assert api_facets == counts
