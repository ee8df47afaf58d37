"""The DCAT catalogue (issue 16, part 4): parsed and walked with rdflib as a harvester does."""

import datetime
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import RecordPage
from portal.tokens import create_token
from tests.factories import FindingFactory, LessonFactory

pytestmark = pytest.mark.django_db

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
IANA = "https://www.iana.org/assignments/media-types/"
SYNTAX = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}
DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def parse(response, syntax="turtle"):
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return Graph().parse(data=response.content, format=syntax)


def view_of(graph):
    return graph.value(predicate=RDF.type, object=HYDRA.PartialCollectionView, any=False)


def walk(client, url, syntax="turtle", **headers):
    """Every page from ``url`` on, following hydra:next as ckanext-dcat does: [graph]."""
    pages = []
    while url:
        graph = parse(client.get(url, **headers), syntax)
        pages.append(graph)
        url = graph.value(view_of(graph), HYDRA.next)
        assert len(pages) < 50, "the pages do not end"
    return pages


def identifiers(pages):
    found = [str(graph.value(d, DCTERMS.identifier)) for graph in pages for d in graph.subjects(RDF.type, DCAT.Dataset)]
    assert len(found) == len(set(found)), "a record is on two pages"
    return set(found)


def listed(api, **params):
    return {item["uuid"] for item in api.all("/api/v1/records/", page_size=100, **params)}


@pytest.fixture
def token(partner):
    return create_token(partner, "harvester")[1]


@pytest.mark.parametrize("extension", ["ttl", "jsonld", "rdf"])
def test_walking_the_pages_by_their_hydra_links_lists_what_the_rest_api_lists(client, api, corpus, extension):
    pages = walk(client, f"/api/v1/catalog.{extension}?page_size=1", SYNTAX[extension])
    expected = listed(api)
    assert identifiers(pages) == expected and len(pages) == len(expected) == 3
    first, middle, last = (view_of(graph) for graph in pages)
    assert pages[1].value(middle, HYDRA.first) == first
    assert pages[1].value(middle, HYDRA.previous) == first
    assert pages[1].value(middle, HYDRA.last) == last
    assert pages[1].value(middle, HYDRA.nextPage) == last  # the older term ckanext-dcat also reads
    assert (middle, RDF.type, HYDRA.PagedCollection) in pages[1]
    assert pages[0].value(first, HYDRA.previous) is None
    for graph in pages:
        (catalogue,) = graph.subjects(RDF.type, DCAT.Catalog)
        assert graph.value(catalogue, HYDRA.totalItems).toPython() == 3
        assert graph.value(catalogue, HYDRA.view) == view_of(graph)
        assert graph.value(view_of(graph), HYDRA.itemsPerPage).toPython() == 1


def test_a_partner_token_sees_in_the_catalogue_what_its_owner_sees_and_nothing_hidden_is_counted(
    client, api, corpus, partner, token
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    pages = walk(client, "/api/v1/catalog.ttl?page_size=2", **headers)
    client.force_login(partner)
    assert (
        identifiers(pages)
        == listed(api)
        == {str(corpus[n].translation_key) for n in ("rmf", "zulu", "chatbot", "green")}
    )
    catalogue = pages[0].value(predicate=RDF.type, object=DCAT.Catalog)
    assert pages[0].value(catalogue, HYDRA.totalItems).toPython() == 4
    client.logout()
    anonymous = parse(client.get("/api/v1/catalog.ttl"))
    catalogue = anonymous.value(predicate=RDF.type, object=DCAT.Catalog)
    assert anonymous.value(catalogue, HYDRA.totalItems).toPython() == 3
    green = str(corpus["green"].translation_key)
    assert green not in anonymous.serialize(format="turtle")
    assert "Partner-only" not in client.get("/api/v1/catalog.jsonld").content.decode()
    # Hidden, it answers exactly as a record that does not exist.
    assert client.get(f"/api/v1/catalog/{green}.ttl").json() == client.get(f"/api/v1/catalog/{uuid.uuid4()}.ttl").json()
    restricted = parse(client.get(f"/api/v1/catalog/{green}.ttl", **headers))
    dataset = URIRef(f"http://testserver/api/v1/catalog/{green}")
    assert restricted.value(dataset, DCTERMS.accessRights) == ACCESS.RESTRICTED
    assert "TLP:GREEN" in restricted.value(restricted.value(dataset, DCTERMS.rights), RDFS.label)


def test_a_record_is_a_dcat_dataset_with_its_fields_and_distributions(client, api, corpus):
    corpus["zulu"].save_revision().publish()
    zulu = api.get(f"/api/v1/records/{corpus['zulu'].translation_key}/")
    graph = parse(client.get(f"/api/v1/catalog/{zulu['uuid']}.jsonld"), "json-ld")
    dataset = URIRef(f"http://testserver/api/v1/catalog/{zulu['uuid']}")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert graph.value(dataset, DCTERMS.identifier) == Literal(zulu["uuid"])
    assert str(graph.value(dataset, DCTERMS.title)) == "Zulu jailbreaks GPT-4"
    assert str(graph.value(dataset, DCTERMS.description)) == zulu["summary"]
    assert graph.value(dataset, DCTERMS.issued).toPython() == datetime.date(2023, 10, 1)
    assert graph.value(dataset, DCTERMS.modified).toPython() == datetime.datetime.fromisoformat(
        zulu["last_published_at"]
    )
    assert graph.value(dataset, DCAT.landingPage) == URIRef(zulu["web_url"])
    assert {str(k) for k in graph.objects(dataset, DCAT.keyword)} >= {"Jailbreaks", "Finance"}
    (theme,) = graph.objects(dataset, DCAT.theme)
    assert (
        theme == URIRef("http://testserver/topics/jailbreak/")
        and str(graph.value(theme, SKOS.prefLabel)) == "Jailbreaks"
    )
    (place,) = graph.objects(dataset, DCTERMS.spatial)
    assert str(graph.value(place, SKOS.notation)) == "SG"
    assert graph.value(dataset, DCTERMS.accessRights) == ACCESS.PUBLIC
    assert {str(graph.value(p, FOAF.name)) for p in graph.objects(dataset, DCTERMS.creator)} == {
        "Zheng-Xin Yong",
        "Cristina Menghini",
    }
    (publisher,) = graph.objects(dataset, DCTERMS.publisher)  # it names no organisation: the portal
    assert (publisher, RDF.type, FOAF.Organization) in graph and publisher == URIRef("http://testserver/")
    # Its link to the framework; its link to an unpublished draft is not there.
    rmf = str(corpus["rmf"].translation_key)
    assert set(graph.objects(dataset, DCTERMS.relation)) == {URIRef(f"http://testserver/api/v1/catalog/{rmf}")}
    assert str(corpus["draft"].translation_key) not in graph.serialize(format="turtle")
    distributions = {graph.value(d, DCAT.accessURL): d for d in graph.objects(dataset, DCAT.distribution)}
    api_json = distributions[URIRef(zulu["api_url"])]
    assert graph.value(api_json, DCAT.mediaType) == URIRef(IANA + "application/json")
    assert graph.value(distributions[URIRef(zulu["web_url"])], DCAT.mediaType) == URIRef(IANA + "text/html")
    cite = URIRef(f"http://testserver/cite/{zulu['uuid']}.bib")
    assert str(graph.value(distributions[cite], DCTERMS.format)) == "BibTeX"
    assert client.get(cite).status_code == 200
    # The framework names its publisher and version; the lesson cites the finding, has no citation.
    framework = parse(client.get(f"/api/v1/catalog/{rmf}.rdf"), "xml")
    (nist,) = framework.objects(URIRef(f"http://testserver/api/v1/catalog/{rmf}"), DCTERMS.publisher)
    assert str(framework.value(nist, FOAF.name)) == "NIST"
    assert str(framework.value(URIRef(f"http://testserver/api/v1/catalog/{rmf}"), URIRef(f"{DCAT}version"))) == "1.0"
    chatbot = str(corpus["chatbot"].translation_key)
    lesson = parse(client.get(f"/api/v1/catalog/{chatbot}"))  # the dataset's own address: Turtle by default
    lesson_node = URIRef(f"http://testserver/api/v1/catalog/{chatbot}")
    assert lesson.value(lesson_node, DCTERMS.references) == URIRef(f"http://testserver/api/v1/catalog/{zulu['uuid']}")
    assert len(set(lesson.objects(lesson_node, DCAT.distribution))) == 2


def test_the_catalogue_names_its_publisher_homepage_and_the_api(client, corpus):
    response = client.get("/api/v1/catalog", HTTP_ACCEPT="application/ld+json")
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    assert "Accept" in response["Vary"]
    graph = parse(response, "json-ld")
    catalogue = URIRef("http://testserver/api/v1/catalog")
    assert (catalogue, RDF.type, DCAT.Catalog) in graph
    assert str(graph.value(catalogue, DCTERMS.title)) == "AI Safety Governance Portal"
    assert graph.value(catalogue, FOAF.homepage) == URIRef("http://testserver/")
    assert (graph.value(catalogue, DCTERMS.publisher), RDF.type, FOAF.Organization) in graph
    service = graph.value(catalogue, DCAT.service)
    assert graph.value(service, DCAT.endpointURL) == URIRef("http://testserver/api/v1/")
    exports = {graph.value(d, DCAT.downloadURL) for d in graph.objects(catalogue, DCAT.distribution)}
    assert URIRef("http://testserver/api/v1/records/?format=csv") in exports


def test_modified_since_lists_only_records_published_since_as_the_rest_api_does(client, api, corpus):
    start = timezone.now()
    corpus["zulu"].save_revision().publish()
    since = start.isoformat()
    found = identifiers(walk(client, f"/api/v1/catalog.ttl?page_size=1&modified_since={since.replace('+', '%2B')}"))
    assert found == listed(api, modified_since=since) == {str(corpus["zulu"].translation_key)}
    empty = parse(client.get("/api/v1/catalog.ttl?modified_since=2100-01-01T00:00:00Z"))
    assert not set(empty.subjects(RDF.type, DCAT.Dataset))
    assert empty.value(empty.value(predicate=RDF.type, object=DCAT.Catalog), HYDRA.totalItems).toPython() == 0


def test_a_record_unpublished_or_made_red_drops_out_of_the_next_harvest(client, api, corpus, partner, token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    zulu, green = str(corpus["zulu"].translation_key), str(corpus["green"].translation_key)
    assert {zulu, green} <= identifiers(walk(client, "/api/v1/catalog.ttl", **headers))
    corpus["zulu"].unpublish()
    page = RecordPage.objects.get(pk=corpus["green"].pk).specific
    page.sharing_level = "TLP:RED"
    page.save_revision().publish()
    after = identifiers(walk(client, "/api/v1/catalog.ttl?page_size=1", **headers))
    assert zulu not in after and green not in after
    assert len(after) == 2
    for gone in (zulu, green):
        assert client.get(f"/api/v1/catalog/{gone}.ttl", **headers).status_code == 404


def test_a_page_costs_the_same_queries_whatever_its_size(client, indexes, corpus):
    for number in range(12):
        FindingFactory(parent=indexes["finding"], title=f"Finding {number}", topics=[corpus["zulu"].topics.first()])
        LessonFactory(parent=indexes["lesson"], title=f"Lesson {number}")
    client.get("/api/v1/catalog.ttl?page_size=30")  # stores the representations the records had none of
    counts = {}
    for size in (2, 10, 27):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/catalog.ttl?page_size={size}&page=1")
        assert len(set(parse(response).subjects(RDF.type, DCAT.Dataset))) == size
        counts[size] = len(queries)
    # a count, the page's rows, their stored representations, their links and backlinks
    assert counts == {2: 5, 10: 5, 27: 5}, counts
    uuid = corpus["zulu"].translation_key
    with CaptureQueriesContext(connection) as queries:
        parse(client.get(f"/api/v1/catalog/{uuid}.ttl"))
    assert len(queries) == 5  # the record, its representation, links, backlinks, its last change


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=two", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("modified_since=yesterday", "modified_since"),
        ("modified_since=2025-13-01T00:00:00Z", "modified_since"),
        ("kind=memo", "kind"),
        ("topic=no-such-topic", "topic"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, db, query, parameter):
    response = client.get(f"/api/v1/catalog.ttl?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["parameters"].keys() == {parameter}


def test_a_page_past_the_end_an_unknown_format_and_an_unknown_record_are_clear_errors(client, corpus):
    past = client.get("/api/v1/catalog.ttl?page=4&page_size=1")
    assert past.status_code == 404
    assert past.json()["error"]["message"] == "There is no page 4: the catalogue has 3 pages of 1 records for you."
    assert client.get("/api/v1/catalog.ttl?page=3&page_size=1").status_code == 200
    for url in (
        "/api/v1/catalog.xml",
        "/api/v1/catalog.ttl.gz",
        f"/api/v1/catalog/{corpus['zulu'].translation_key}.csv",
    ):
        response = client.get(url)
        assert response.status_code == 406, url
        assert "ttl, jsonld, rdf" in response.json()["error"]["message"]
    assert client.get("/api/v1/catalog", HTTP_ACCEPT="text/csv").status_code == 406
    unknown = client.get("/api/v1/catalog/00000000-0000-0000-0000-000000000000.ttl")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/json"


def test_an_unchanged_page_answers_304_to_its_etag(client, corpus):
    corpus["zulu"].save_revision().publish()
    first = client.get("/api/v1/catalog.ttl")
    assert first["ETag"] == client.get("/api/v1/catalog.ttl")["ETag"]
    assert client.get("/api/v1/catalog.ttl", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert "Last-Modified" in first


def test_the_schema_lists_the_catalogue_and_its_formats(client, db):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/catalog.{extension}", "/api/v1/catalog/{uuid}.{extension}"):
        operation = schema["paths"][path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {
            "text/turtle",
            "application/ld+json",
            "application/rdf+xml",
        }
        (extension,) = [p for p in operation["parameters"] if p["name"] == "extension"]
        assert sorted(extension["schema"]["enum"]) == ["jsonld", "rdf", "ttl"]
    names = {p["name"] for p in schema["paths"]["/api/v1/catalog.{extension}"]["get"]["parameters"]}
    assert names >= {"page", "page_size", "modified_since", "kind", "topic"}


def python_example():
    section = DOC.read_text().split("## DCAT catalogue", 1)[1].split("\n## ", 1)[0]
    (script,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return script


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_rdflib_example_in_the_api_docs_walks_a_live_catalogue(live_server, indexes, tmp_path):
    made = [FindingFactory(parent=indexes["finding"], title=f"Finding {n}") for n in range(3)]
    made.append(LessonFactory(parent=indexes["lesson"], title="A lesson"))
    made.append(FindingFactory(parent=indexes["finding"], title="Partner-only finding", sharing_level="TLP:GREEN"))
    for page in made:
        page.save_revision().publish()
    titles = [page.title for page in made[:4]]
    script = python_example()
    assert 'API = "http://127.0.0.1:8000/api/v1"\n' in script
    script = script.replace("http://127.0.0.1:8000", live_server.url, 1)
    result = subprocess.run(  # noqa: S603 (the script is docs/api.md's own)
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("of 4 records") == 2  # two pages of two
    for title in titles:
        assert title in result.stdout
    assert "Partner-only" not in result.stdout
    assert "4 changed since 2026-01-01" in result.stdout
    assert f"{live_server.url}/api/v1/catalog/" in result.stdout.splitlines()[-1]
