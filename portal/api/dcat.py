"""Records as a DCAT catalogue (W3C Data Catalog Vocabulary), for open-data portals.

Each record the caller may see is a ``dcat:Dataset``; the catalogue (``dcat:Catalog``) is served a
page at a time, each page saying where the others are in the Hydra vocabulary, as CKAN's
ckanext-dcat harvester and other DCAT harvesters read it. The graphs are built here from what the
record serializer shows (``portal.api.loading.load_records``), so a dataset says what the REST API
says and nothing more: its links name only records the caller may see.

Every node has an address (no blank nodes), so the same page serialises to the same bytes and its
ETag stays put while nothing changes. The views are in ``portal.api.dcat_views``.
"""

from urllib.parse import urlsplit

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD

from django.conf import settings
from django.urls import reverse

from portal import citation
from portal.models import AUDIENCES, SharingLevel

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
ACCESS_RIGHTS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
IANA = "https://www.iana.org/assignments/media-types/"
#: The file types of the EU vocabulary used here (others are named by a literal).
FILE_TYPES = ("JSON", "HTML", "CSV")
#: DCAT 3's dcat:version (rdflib's DCAT namespace is DCAT 2's); DCAT-AP 2 readers take owl:versionInfo.
DCAT_VERSION = URIRef(f"{DCAT}version")
LANGUAGE = URIRef("http://id.loc.gov/vocabulary/iso639-1/en")  # records are written in English

PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "skos": SKOS,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "hydra": HYDRA,
    "adms": ADMS,
}
#: The JSON-LD context: the prefixes above, given inline so a reader needs nothing from the web.
CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}

#: outgoing link type -> the Dublin Core property it states (any other type: dct:relation)
LINK_PROPERTIES = {
    "cites": DCTERMS.references,
    "derived_from": DCTERMS.source,
    "supersedes": DCTERMS.replaces,
}


def new_graph():
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def iri(value):
    """``value`` as an address to state, or None when it is not a plain http(s) URL (a stored
    source URL is free text: a space or a quote in it would break the Turtle or RDF/XML)."""
    if not value or any(char in value for char in ' <>"{}|\\^`\n\r\t'):
        return None
    parts = urlsplit(value)
    return URIRef(value) if parts.scheme in ("http", "https") and parts.netloc else None


class Addresses:
    """The addresses a catalogue states, for one request: the API's (``portal.api.loading.Urls``)
    and the site's."""

    def __init__(self, urls):
        self.urls, self.request = urls, urls.request
        self.api = urls.api_root
        self.catalogue = URIRef(f"{self.api}catalog")
        self.home = URIRef(self.absolute("/"))

    def absolute(self, path):
        return self.request.build_absolute_uri(path) if self.request is not None else path

    def dataset(self, uuid):
        """A record's dataset: its DCAT description, stable across renames (by UUID)."""
        return URIRef(f"{self.api}catalog/{uuid}")

    def term(self, kind, slug):
        return URIRef(self.absolute(f"/{kind}/{slug}/"))

    def cite(self, uuid, fmt):
        return URIRef(self.absolute(reverse("cite", kwargs={"uuid": uuid, "fmt": fmt})))


def _portal(graph, addresses):
    """The portal as an organisation: the catalogue's publisher, and a record's when it names none."""
    node = addresses.home
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(settings.WAGTAIL_SITE_NAME)))
    graph.add((node, FOAF.homepage, node))
    return node


def _distribution(graph, dataset, key, title, url, media_type=None, file_format=None, conforms_to=None):
    """A distribution of ``dataset`` at ``url``: ``media_type`` only when IANA registered it,
    ``file_format`` a file type of the EU vocabulary (its key) or the format's name."""
    node = URIRef(f"{dataset}#{key}")
    graph.add((dataset, DCAT.distribution, node))
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, Literal(title, lang="en")))
    graph.add((node, DCAT.accessURL, URIRef(url)))
    graph.add((node, DCAT.downloadURL, URIRef(url)))
    if media_type:
        graph.add((node, DCAT.mediaType, URIRef(IANA + media_type)))
    if file_format in FILE_TYPES:
        graph.add((node, DCTERMS.format, FILE_TYPE[file_format]))
    elif file_format:
        graph.add((node, DCTERMS.format, Literal(file_format)))
    if conforms_to:
        graph.add((node, DCTERMS.conformsTo, URIRef(conforms_to)))
    return node


def _distributions(graph, dataset, record, addresses):
    _distribution(
        graph,
        dataset,
        "api",
        "The record in the portal's REST API (JSON)",
        record["api_url"],
        "application/json",
        "JSON",
        f"{addresses.api}schema/",
    )
    if record["web_url"]:
        _distribution(
            graph,
            dataset,
            "web",
            "The record's web page (HTML, with schema.org JSON-LD)",
            record["web_url"],
            "text/html",
            "HTML",
            "https://schema.org/",
        )
    if record["kind"] in citation.CITABLE_KINDS:
        uuid = record["uuid"]
        for fmt, name in (("bib", "BibTeX"), ("ris", "RIS"), ("json", "CSL-JSON")):
            _distribution(graph, dataset, f"cite-{fmt}", f"Citation ({name})", addresses.cite(uuid, fmt), None, name)


def _terms(graph, dataset, record, addresses):
    for topic in record["topics"]:
        concept = addresses.term("topics", topic["slug"])
        graph.add((dataset, DCAT.theme, concept))
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.prefLabel, Literal(topic["name"], lang="en")))
        graph.add((concept, SKOS.inScheme, URIRef(addresses.absolute("/topics/"))))
        graph.add((dataset, DCAT.keyword, Literal(topic["name"], lang="en")))
    for sector in record["sectors"]:
        graph.add((dataset, DCAT.keyword, Literal(sector["name"], lang="en")))
    for tag in record["tags"]:
        graph.add((dataset, DCAT.keyword, Literal(tag, lang="en")))
    for jurisdiction in record["jurisdictions"]:
        place = addresses.term("jurisdictions", jurisdiction["slug"])
        graph.add((dataset, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, SKOS.prefLabel, Literal(jurisdiction["name"], lang="en")))
        graph.add((place, SKOS.notation, Literal(jurisdiction["code"])))


def _publishers(graph, dataset, record, addresses):
    for organisation in record["organisations"]:
        node = addresses.term("organisations", organisation["slug"])
        graph.add((dataset, DCTERMS.publisher, node))
        graph.add((node, RDF.type, FOAF.Organization))
        graph.add((node, FOAF.name, Literal(organisation["name"])))
        if organisation["acronym"]:
            graph.add((node, SKOS.altLabel, Literal(organisation["acronym"])))
    if not record["organisations"]:
        graph.add((dataset, DCTERMS.publisher, _portal(graph, addresses)))


def _kind_fields(graph, dataset, record):
    own = record.get(record["kind"]) or {}
    for number, name in enumerate(own.get("authors") or (), start=1):
        person = URIRef(f"{dataset}#author-{number}")
        graph.add((dataset, DCTERMS.creator, person))
        graph.add((person, RDF.type, FOAF.Person))
        graph.add((person, FOAF.name, Literal(name)))
    if own.get("version"):
        graph.add((dataset, DCAT_VERSION, Literal(own["version"])))
        graph.add((dataset, OWL.versionInfo, Literal(own["version"])))
    if own.get("event_date"):
        period = URIRef(f"{dataset}#period")
        graph.add((dataset, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        graph.add((period, DCAT.startDate, Literal(own["event_date"], datatype=XSD.date)))
        if own.get("event_end_date"):
            graph.add((period, DCAT.endDate, Literal(own["event_end_date"], datatype=XSD.date)))


def add_dataset(graph, record, addresses):
    """State ``record`` (as the record serializer shows it to the caller) as a ``dcat:Dataset``;
    returns its node."""
    uuid = record["uuid"]
    dataset = addresses.dataset(uuid)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, DCTERMS.identifier, Literal(uuid)))
    graph.add((dataset, DCTERMS.title, Literal(record["title"], lang="en")))
    if record["summary"]:
        graph.add((dataset, DCTERMS.description, Literal(record["summary"], lang="en")))
    graph.add((dataset, DCTERMS.issued, Literal(record["publication_date"], datatype=XSD.date)))
    modified = record["last_published_at"] or record["first_published_at"]
    if modified:
        graph.add((dataset, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
    graph.add((dataset, DCTERMS.language, LANGUAGE))
    kind = URIRef(f"{addresses.api}records/?kind={record['kind']}")
    graph.add((dataset, DCTERMS.type, kind))
    graph.add((kind, RDF.type, SKOS.Concept))
    graph.add((kind, SKOS.prefLabel, Literal(record["kind"], lang="en")))
    if record["web_url"]:
        graph.add((dataset, DCAT.landingPage, URIRef(record["web_url"])))
    source = iri(record["source_url"])
    if source is not None:
        graph.add((dataset, FOAF.page, source))
    for number, identifier in enumerate(record["identifiers"], start=1):
        node = URIRef(f"{dataset}#identifier-{number}")
        graph.add((dataset, ADMS.identifier, node))
        graph.add((node, RDF.type, ADMS.Identifier))
        graph.add((node, SKOS.notation, Literal(identifier["value"])))
        graph.add((node, ADMS.schemaAgency, Literal(identifier["scheme"])))
    level = record["sharing"]["level"]
    public = level == SharingLevel.CLEAR
    graph.add((dataset, DCTERMS.accessRights, ACCESS_RIGHTS["PUBLIC" if public else "RESTRICTED"]))
    rights = URIRef(f"{dataset}#sharing")
    graph.add((dataset, DCTERMS.rights, rights))
    graph.add((rights, RDF.type, DCTERMS.RightsStatement))
    graph.add((rights, RDFS.label, Literal(f"{level}: {AUDIENCES.get(level, '')}".strip(), lang="en")))
    _publishers(graph, dataset, record, addresses)
    _terms(graph, dataset, record, addresses)
    _kind_fields(graph, dataset, record)
    for link in record["links"]:
        prop = LINK_PROPERTIES.get(link["type"], DCTERMS.relation)
        graph.add((dataset, prop, addresses.dataset(link["record"]["uuid"])))
    _distributions(graph, dataset, record, addresses)
    return dataset


def add_catalogue(graph, addresses):
    """The ``dcat:Catalog`` itself: its title, publisher, home page, the API as a data service
    and the whole-list exports as distributions. Returns its node."""
    catalogue = addresses.catalogue
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    name = settings.WAGTAIL_SITE_NAME
    graph.add((catalogue, DCTERMS.title, Literal(name, lang="en")))
    graph.add(
        (
            catalogue,
            DCTERMS.description,
            Literal(
                f"Frameworks, findings and lessons on AI safety and security governance published on the {name}, "
                "as far as the caller may see them.",
                lang="en",
            ),
        )
    )
    graph.add((catalogue, DCTERMS.publisher, _portal(graph, addresses)))
    graph.add((catalogue, FOAF.homepage, addresses.home))
    graph.add((catalogue, DCTERMS.language, LANGUAGE))
    topics = URIRef(addresses.absolute("/topics/"))
    graph.add((catalogue, DCAT.themeTaxonomy, topics))
    graph.add((topics, RDF.type, SKOS.ConceptScheme))
    graph.add((topics, SKOS.prefLabel, Literal("Topics", lang="en")))
    service = URIRef(f"{addresses.api}#service")
    graph.add((catalogue, DCAT.service, service))
    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, DCTERMS.title, Literal(f"{name} REST API", lang="en")))
    graph.add((service, DCAT.endpointURL, URIRef(addresses.api)))
    graph.add((service, DCAT.endpointDescription, URIRef(f"{addresses.api}schema/")))
    exports = (
        ("csv", "Every record you may see, as CSV", "text/csv", "CSV"),
        ("jsonl", "Every record you may see, as JSON Lines", None, "JSON Lines"),
    )
    for fmt, title, media_type, file_format in exports:
        url = f"{addresses.api}records/?format={fmt}"
        _distribution(graph, catalogue, f"export-{fmt}", title, url, media_type, file_format)
    return catalogue


def add_page(graph, catalogue, datasets, page):
    """Tie a page's ``datasets`` to the catalogue, and say where the other pages are (Hydra): the
    current vocabulary (``hydra:PartialCollectionView`` with first, previous, next, last) and the
    older one ckanext-dcat also reads (``hydra:PagedCollection`` with firstPage … lastPage)."""
    for dataset in datasets:
        graph.add((catalogue, DCAT.dataset, dataset))
    total = Literal(page.total, datatype=XSD.nonNegativeInteger)
    graph.add((catalogue, RDF.type, HYDRA.Collection))
    graph.add((catalogue, HYDRA.totalItems, total))
    view = URIRef(page.url(page.number))
    graph.add((catalogue, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.totalItems, total))
    graph.add((view, HYDRA.itemsPerPage, Literal(page.size, datatype=XSD.nonNegativeInteger)))
    neighbours = {"first": 1, "last": page.last}
    if page.number > 1:
        neighbours["previous"] = page.number - 1
    if page.number < page.last:
        neighbours["next"] = page.number + 1
    for name, number in neighbours.items():
        url = URIRef(page.url(number))
        graph.add((view, HYDRA[name], url))
        graph.add((view, HYDRA[f"{name}Page"], url))
