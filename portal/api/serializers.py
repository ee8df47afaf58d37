"""Serializers shared by every record endpoint: the record, its terms, links and sharing.

Field names are part of the API contract (docs/api.md): add fields, never rename or remove them
within v1. ``RecordSerializer.stored`` makes the part of a record that is the same for every
caller, once per published revision (``portal.api.representations`` stores it);
``RecordSerializer.to_representation`` adds to it what ``portal.api.loading.load_records``
attached for the request (``page.api``: URLs, links, backlinks). Neither runs a query.
"""

import json
import re
from html import unescape

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from django.utils.html import strip_tags
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from . import kinds


class Loaded(serializers.Field):
    """A value that ``load_records`` already built, in the shape ``described_by`` documents.

    Lists of terms, links and provisions are made as plain dicts in a few queries for a whole
    page; passing them through (instead of running a nested serializer per item) keeps a page of
    100 records cheap. The OpenAPI schema shows ``described_by``, and the schema tests check
    every answer against it."""

    def __init__(self, described_by, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.described_by = described_by

    def to_representation(self, value):
        return value


class LoadedFieldExtension(OpenApiSerializerFieldExtension):
    target_class = Loaded

    def map_serializer_field(self, auto_schema, direction):
        return auto_schema._map_serializer_field(self.target.described_by, direction)


class OrganisationRefSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The organisation's slug (see organisations/).")
    name = serializers.CharField()
    acronym = serializers.CharField(help_text="Short form, e.g. NIST; may be empty.")


class TermRefSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The term's slug, as used by filters and taxonomy endpoints.")
    name = serializers.CharField()


class CodedTermRefSerializer(TermRefSerializer):
    code = serializers.CharField(help_text="ISO 3166-1 code (or EU, INT) for jurisdictions; BCP 47 tag for languages.")


class IdentifierSerializer(serializers.Serializer):
    scheme = serializers.CharField(help_text="doi, arxiv, celex, iso, aiid, isbn or other.")
    value = serializers.CharField()


class SharingSerializer(serializers.Serializer):
    level = serializers.CharField(
        source="sharing_level", help_text="TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED."
    )
    owning_organisation = serializers.SerializerMethodField(help_text="Slug of the owning organisation, or null.")

    def get_owning_organisation(self, page) -> str | None:
        owner = page.owning_organisation
        return owner.slug if owner is not None else None


class LinkedRecordSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    kind = serializers.CharField(help_text="framework, finding or lesson.")
    title = serializers.CharField()
    api_url = serializers.URLField(help_text="This API's URL of the linked record.")


class ProvisionRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The provision's code, e.g. GOVERN 1.1.")
    title = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="implements, addresses, supports, contradicts, extends, supersedes, cites, derived_from or related."
    )
    label = serializers.CharField(help_text="How the link reads from this record, e.g. 'is addressed by'.")
    inverse_label = serializers.CharField(help_text="How the link reads from the other record.")
    record = LinkedRecordSerializer(help_text="The record at the other end.")
    provision = ProvisionRefSerializer(
        allow_null=True,
        help_text="The provision the link points at: for an outgoing link one of the target's provisions, "
        "for a backlink one of this record's own provisions.",
    )
    note = serializers.CharField(help_text="One sentence on how the two relate; may be empty.")


class RecordSerializer(serializers.Serializer):
    """A record of any kind, with the fields of its own kind under the key named after the kind."""

    uuid = serializers.UUIDField(source="translation_key", help_text="Stable id; survives renames and moves.")
    kind = serializers.CharField(source="api.kind", help_text="framework, finding or lesson.")
    title = serializers.CharField()
    slug = serializers.CharField()
    summary = serializers.CharField()
    body_html = serializers.SerializerMethodField(help_text="The body as HTML, as rendered on the web page.")
    body_text = serializers.SerializerMethodField(help_text="The body as plain text.")
    publication_date = serializers.DateField(help_text="When the source itself was published.")
    first_published_at = serializers.DateTimeField(
        allow_null=True, help_text="When the record was first published on the portal."
    )
    last_published_at = serializers.DateTimeField(
        allow_null=True, help_text="When the record's current version was published."
    )
    web_url = serializers.URLField(source="api.web_url", allow_null=True, help_text="The record's web page.")
    api_url = serializers.URLField(source="api.api_url", help_text="This record in the API.")
    organisations = Loaded(
        OrganisationRefSerializer(many=True), source="api.organisations", help_text="Publishing organisations."
    )
    topics = Loaded(TermRefSerializer(many=True), source="api.topics")
    sectors = Loaded(TermRefSerializer(many=True), source="api.sectors")
    jurisdictions = Loaded(CodedTermRefSerializer(many=True), source="api.jurisdictions")
    languages = Loaded(
        CodedTermRefSerializer(many=True),
        source="api.languages",
        help_text="The languages the record is about (not written in).",
    )
    tags = Loaded(serializers.ListField(child=serializers.CharField()), source="api.tags", help_text="Free keywords.")
    source_url = serializers.CharField(help_text="The original document's address; may be empty.")
    identifiers = Loaded(IdentifierSerializer(many=True), source="api.identifiers")
    sharing = SharingSerializer(source="*")
    links = Loaded(
        LinkSerializer(many=True), source="api.links", help_text="Outgoing links to records the caller may see."
    )
    backlinks = Loaded(
        LinkSerializer(many=True),
        source="api.backlinks",
        help_text="Links from records the caller may see to this record.",
    )

    #: The kinds whose block this serializer shows; None for every registered kind.
    only_kind = None

    def get_fields(self):
        fields = super().get_fields()
        for kind, api in kinds.registered().items():
            if self.only_kind in (None, kind):
                fields[kind] = api.fields_serializer(
                    source=f"api.{kind}",
                    required=self.only_kind is not None,
                    help_text=f"The {kind}'s own fields; present only on records of kind {kind}.",
                )
        return fields

    def get_body_html(self, page) -> str:
        return page.api["stored"]["body_html"]

    def get_body_text(self, page) -> str:
        return page.api["stored"]["body_text"]

    def stored(self, page):
        """The part of ``page``'s representation that is the same for every caller, as stored
        (``portal.api.representations``): every field but ``web_url``, ``api_url``, ``links`` and
        ``backlinks``. Built from the page row and what ``representations`` attached
        (``page.parts``), in JSON types, so that it is stored and read back unchanged."""
        parts, fields = page.parts, self.fields
        moment = fields["first_published_at"].to_representation
        owner = page.owning_organisation
        body_html = str(page.body.render_as_block()) if page.body else ""
        data = {
            "uuid": str(page.translation_key),
            "kind": parts["kind"],
            "title": page.title,
            "slug": page.slug,
            "summary": page.summary,
            "body_html": body_html,
            "body_text": html_to_text(body_html),
            "publication_date": page.publication_date.isoformat(),
            "first_published_at": moment(page.first_published_at) if page.first_published_at else None,
            "last_published_at": moment(page.last_published_at) if page.last_published_at else None,
            "organisations": parts["organisations"],
            "topics": parts["topics"],
            "sectors": parts["sectors"],
            "jurisdictions": parts["jurisdictions"],
            "languages": parts["languages"],
            "tags": parts["tags"],
            "source_url": page.source_url,
            "identifiers": parts["identifiers"],
            "sharing": {"level": page.sharing_level, "owning_organisation": owner.slug if owner else None},
        }
        kind = parts["kind"]
        if kind in parts and kind in fields:
            data[kind] = json.loads(json.dumps(fields[kind].to_representation(parts[kind]), cls=JSONEncoder))
        return data

    def to_representation(self, page):
        """The record as the caller sees it: the stored part (``stored``) with the URLs, links and
        backlinks of this request that ``load_records`` attached (``page.api``), in the declared
        order. ``tests/api/test_api_records.py`` checks the keys against the declared fields and
        the schema tests check every answer against the OpenAPI description."""
        api = page.api
        stored = api["stored"]
        data = {
            "uuid": stored["uuid"],
            "kind": stored["kind"],
            "title": stored["title"],
            "slug": stored["slug"],
            "summary": stored["summary"],
            "body_html": stored["body_html"],
            "body_text": stored["body_text"],
            "publication_date": stored["publication_date"],
            "first_published_at": stored["first_published_at"],
            "last_published_at": stored["last_published_at"],
            "web_url": api["web_url"],
            "api_url": api["api_url"],
            "organisations": stored["organisations"],
            "topics": stored["topics"],
            "sectors": stored["sectors"],
            "jurisdictions": stored["jurisdictions"],
            "languages": stored["languages"],
            "tags": stored["tags"],
            "source_url": stored["source_url"],
            "identifiers": stored["identifiers"],
            "sharing": stored["sharing"],
            "links": api["links"],
            "backlinks": api["backlinks"],
        }
        kind = stored["kind"]
        if kind in stored and kind in self.fields:
            data[kind] = stored[kind]
        return data


_BLOCK_END = re.compile(r"<(?:br\s*/?|/p|/h[1-6]|/li|/blockquote|/figcaption|/div|/section|/aside)\s*>", re.I)


def html_to_text(html):
    """Plain text of an HTML fragment: one line per paragraph, heading or list item."""
    text = unescape(strip_tags(_BLOCK_END.sub("\n", html)))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def serializer_for_kind(kind):
    """A record serializer showing only ``kind``'s block (and requiring it), for typed endpoints."""
    return type(f"{kind.title()}Serializer", (RecordSerializer,), {"only_kind": kind, "__module__": __name__})
