"""Frameworks in STIX 2.1, registered with ``portal.api.stix`` (``apps.py``).

A framework is neither threat intelligence nor a report about one, and STIX has no object for a
body of rules. It is a ``grouping`` (context ``unspecified``: "a set of objects shared for a
reason the producer does not narrow") of the identities of its issuing body and publishers, with
its text in the description and each provision as an external reference (the framework's name as
source, the provision's code as id, its title as description, its anchor on our page as URL).
Provisions are not made ``course-of-action`` objects: a principle, a chapter or an ATLAS tactic
is not an action, and inventing one per provision would say more than the framework does.
"""

from portal.api import stix
from portal.api.stix import KindObjects


def _provisions(nodes):
    for node in nodes:
        yield node
        yield from _provisions(node.get("children") or ())


def framework(record):
    data, fields = record.data, record.data["framework"]
    organisations = list(data["organisations"])
    issuer = fields.get("issuing_body")
    if issuer and all(org["slug"] != issuer["slug"] for org in organisations):
        organisations.append(issuer)
    identities = [stix.organisation_identity(org, record.producer) for org in organisations]
    page = data.get("web_url") or ""
    provisions = [
        {
            "source_name": data["title"],
            "external_id": node["code"],
            **({"description": node["title"]} if node["title"] else {}),
            **({"url": f"{page}#{node['anchor']}"} if page and node.get("anchor") else {}),
        }
        for node in _provisions(fields["provisions"])
        if node["code"]
    ]
    lines = [
        f"Issued by: {issuer['name']}" if issuer else "",
        f"Version: {fields['version']}" if fields["version"] else "",
        f"Status: {fields['status_label']}",
        f"Legal effect: {fields['legal_effect_label']}",
        f"In effect from: {fields['effective_date']}" if fields["effective_date"] else "",
    ]
    text = "\n\n".join(part for part in [data["summary"], data["body_text"], *lines] if part)
    main = {
        "type": "grouping",
        "spec_version": "2.1",
        "id": stix.main_id("framework", record.uuid),
        "created_by_ref": record.producer,
        "created": record.created,
        "modified": record.modified,
        "name": data["title"],
        "description": text,
        "context": "unspecified",
        "object_refs": [identity["id"] for identity in identities] or [record.producer],
        "external_references": [*record.references(), *provisions],
        "object_marking_refs": [record.marking],
    }
    if record.labels():
        main["labels"] = record.labels()
    # The issuer, if not a publisher, is added here; publishers come with every record's objects.
    extra = [identity for identity, org in zip(identities, organisations, strict=True) if org is issuer]
    return KindObjects(objects=extra, description=[], main=main)


def register():
    stix.register_main_type("framework", "grouping")
    stix.register("framework", framework)
