"""What the generated leak test (test_generated_leaks.py) renders for each visitor, and the check
that nothing of a hidden record appears in it."""

import json

from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF

from frameworks.models import Crosswalk
from tests.sharing.leak_world import could_ever_see, may_see

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def forbidden(built, visitor, seen):
    """The markers that must not appear to ``visitor``; ``seen(spec)`` says which records they may see."""
    hidden = {i for i, spec in enumerate(built.specs) if not seen(spec)}
    found = [marker for i in sorted(hidden) for marker in built.markers[i]]
    found += [note for a, b, note in built.link_markers if a in hidden or b in hidden]
    found += [title for a, b, title in built.crosswalk_markers if a in hidden or b in hidden]
    return hidden, found


def assert_absent(texts, markers, context):
    lowered = {url: text.lower() for url, text in texts.items()}
    for marker in markers:
        for url, text in lowered.items():
            assert marker.lower() not in text, f"{context}: {marker!r} leaked on {url}"


def public_surfaces(client, built, visitor):
    """Every public page, feed and API answer for one visitor: {label: text}."""
    word = built.common_word
    urls = [
        "/",
        "/findings/",
        "/lessons/",
        "/frameworks/",
        "/findings/?topic=topic-zero",
        "/topics/",
        "/topics/topic-zero/",
        "/topics/topic-one/",
        "/organisations/org-a/",
        "/organisations/org-b/",
        f"/search/?q={word}",
        "/search/?topic=topic-one",
        f"/search/suggest/?q=Qz{built.number}",
        "/feeds/findings/",
        "/feeds/lessons/",
        "/feeds/topics/topic-zero/",
        "/sitemap.xml",
    ]
    for i, page in enumerate(built.pages):
        spec = built.specs[i]
        if not may_see(visitor, spec):
            continue
        urls.append(page.url)
        if spec.kind != "lesson":  # lessons are not cited
            urls.append(f"/cite/{page.translation_key}.json")
        if spec.kind == "framework":
            urls += [page.url + "evidence/", f"/feeds/frameworks/{page.slug}/"]
            for j, other in enumerate(built.pages):
                if j != i and built.specs[j].kind == "framework" and may_see(visitor, built.specs[j]):
                    urls.append(page.url + f"compare/{other.slug}/")
    responses = {}
    for url in urls:
        response = responses[url] = client.get(url)
        assert response.status_code == 200, (visitor.name, url, response.status_code)
    return responses


API_LISTS = [
    "/api/v1/records/?page_size=100",
    "/api/v1/frameworks/?page_size=100",
    "/api/v1/records/?format=jsonl",
    "/api/v1/records/?format=csv",
    "/api/v1/crosswalks/",
    "/api/v1/topics/topic-zero/",
    "/api/v1/organisations/",
    "/api/v1/catalog.ttl",
    "/api/v1/catalog.jsonld",
]


def api_surfaces(client, built, visitor, headers):
    """Every API answer for one visitor: {url: text}."""
    urls = [*API_LISTS, f"/api/v1/search/?q={built.common_word}", f"/api/v1/records/?q={built.common_word}"]
    for i, page in enumerate(built.pages):
        if may_see(visitor, built.specs[i]):
            urls.append(f"/api/v1/records/{page.translation_key}/")
            urls.append(f"/api/v1/catalog/{page.translation_key}.ttl")
            if built.specs[i].kind == "framework":
                urls.append(f"/api/v1/frameworks/{page.translation_key}/provisions/")
                urls.append(f"/api/v1/frameworks/{page.translation_key}/oscal/")
    for a, b, title in built.crosswalk_markers:  # OSCAL mapping collections of crosswalks seen whole
        if may_see(visitor, built.specs[a]) and may_see(visitor, built.specs[b]):
            urls.append(f"/api/v1/crosswalks/{Crosswalk.objects.get(title=title).slug}/oscal/")
    urls += [
        f"/api/v1/records/{page.translation_key}/stix/"
        for i, page in enumerate(built.pages)
        if may_see(visitor, built.specs[i])
    ]
    texts = {}
    for url in urls:
        response = client.get(url, **headers)
        assert response.status_code == 200, (visitor.name, url, response.status_code, body(response)[:200])
        texts[url] = body(response)
    texts.update(taxii_surfaces(client, built, visitor, headers))
    return texts


def taxii_surfaces(client, built, visitor, headers):
    """Every TAXII collection's objects and manifest, paged: {url: text}. A revoked object (a
    record that left the visitor's view) and its manifest entry are left out of the text and
    checked apart: they may name, by id only, a record the visitor could once see, and say nothing
    else of it."""
    root = "/api/v1/taxii/portal/collections/"
    collections = json.loads(body(client.get(root, **headers)))["collections"]
    once_seen = {
        str(page.translation_key) for i, page in enumerate(built.pages) if could_ever_see(visitor, built.specs[i])
    }
    texts = {}
    for collection in collections:
        revoked = set()
        for endpoint in ("objects", "manifest"):
            url = f"{root}{collection['id']}/{endpoint}/?limit=7"
            while url:
                response = client.get(url, **headers)
                assert response.status_code == 200, (visitor.name, url, response.status_code, body(response)[:200])
                envelope = json.loads(body(response))
                kept = []
                for obj in envelope.get("objects", []):
                    if obj.get("revoked"):
                        assert obj["id"].split("--", 1)[1] in once_seen, (visitor.name, obj["id"])
                        assert obj["name"] == "Withdrawn" and "description" not in obj, obj
                        revoked.add((obj["id"], obj["modified"]))
                    elif (obj["id"], obj.get("version")) not in revoked:
                        kept.append(obj)
                texts[url] = json.dumps(kept)
                if endpoint == "objects":  # each record's object alone, and its versions
                    for obj in kept:
                        if obj["type"] in ("report", "grouping"):
                            one = f"{root}{collection['id']}/objects/{obj['id']}/"
                            for address in (one, one + "versions/"):
                                answer = client.get(address, **headers)
                                assert answer.status_code == 200, (visitor.name, address, answer.status_code)
                                texts[address] = body(answer)
                more = envelope["more"]
                url = f"{root}{collection['id']}/{endpoint}/?limit=7&next={envelope['next']}" if more else None
    return texts


def replay_changes(client, headers):
    entries, url = [], "/api/v1/changes/?page_size=25"
    while url:
        response = client.get(url, **headers)
        assert response.status_code == 200, body(response)[:300]
        page = response.json()
        entries += page["results"]
        url = page["next"] if page["has_more"] else None
    mirror = {}
    for item in entries:
        if item["state"] == "present":
            mirror[item["uuid"]] = item["record"]["title"]
        else:
            mirror.pop(item["uuid"], None)
    return entries, mirror


def walk_catalogue(client, headers):
    """The DCAT catalogue walked page by page along its Hydra next links, as a harvester does:
    (the records' UUIDs, hydra:totalItems, {page url: text})."""
    uuids, texts, total, url = set(), {}, None, "/api/v1/catalog.ttl?page_size=2"
    while url:
        response = client.get(url, **headers)
        assert response.status_code == 200, body(response)[:300]
        texts[url] = body(response)
        graph = Graph().parse(data=texts[url], format="turtle")
        uuids |= {str(graph.value(d, DCTERMS.identifier)) for d in graph.subjects(RDF.type, DCAT.Dataset)}
        catalogue = graph.value(predicate=RDF.type, object=DCAT.Catalog)
        total = graph.value(catalogue, HYDRA.totalItems).toPython()
        url = graph.value(graph.value(catalogue, HYDRA.view), HYDRA.next)
    return uuids, total, texts


def admin_surfaces(client, built):
    """The admin screens where another organisation's records could show: {label: (status, text)}."""
    word = built.common_word
    index_ids = sorted({page.get_parent().pk for page in built.pages})
    urls = [
        f"/admin/pages/search/?q={word}",
        f"/admin/choose-page/search/?q={word}",
        f"/admin/api/main/pages/?search={word}&fields=title",
        f"/admin/provision_chooser/?q=QZ{built.number}",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/reports/locked/",
        "/admin/reports/page-types-usage/",
        "/admin/pages/usage/findings/findingpage/",
        "/admin/snippets/frameworks/crosswalk/",
        "/admin/",
    ]
    urls += [f"/admin/pages/{pk}/" for pk in index_ids] + [f"/admin/choose-page/{pk}/" for pk in index_ids]
    texts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        texts[url] = body(response)
    return texts


def admin_record_screens(client, page):
    """A record's own admin screens; for someone who may not work on it, none may show it."""
    urls = [
        f"/admin/pages/{page.pk}/",
        f"/admin/pages/{page.pk}/edit/",
        f"/admin/pages/{page.pk}/history/",
        f"/admin/pages/{page.pk}/view_draft/",
        f"/admin/bulk/wagtailcore/page/unpublish/?id={page.pk}",
        f"/admin/pages/workflow/preview/{page.pk}/1/",
        f"/admin/pages/workflow/action/{page.pk}/approve/1/",
        f"/admin/choose-page/chosen-multiple/?id={page.pk}",
        f"/admin/api/main/pages/{page.pk}/",
    ]
    return {url: body(client.get(url)) for url in urls}
