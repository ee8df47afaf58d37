from .access import AuditEntry, PartnerToken
from .changes import RecordChange
from .files import OrganisationCollection
from .follows import Alert, Follow, HomeVisit, PrivateFeed
from .home import HomePage
from .identifiers import ExternalIdentifier
from .indexes import RecordIndexPage
from .jobs import ExchangeJob
from .links import INVERSE_LABELS, CrossLink, LinkType
from .querysets import RecordQuerySet
from .records import RecordPage, RecordTag
from .representations import RecordRepresentation
from .search_terms import PromotedRecord, SearchPromotion, SynonymGroup
from .sharing import AUDIENCES, BREADTH, Membership, SharingLevel, Viewer, audience, named_person, sharing_state
from .taxonomy import (
    TERM_FACETS,
    TERM_MODELS,
    TERM_RELATIONS,
    TERMS_BY_MODEL,
    TERMS_BY_RELATION,
    Jurisdiction,
    Language,
    Organisation,
    Sector,
    TermRelation,
    Topic,
)
from .webhooks import WebhookDelivery, WebhookEndpoint
from .workflows import OrganisationApprovalTask

__all__ = [
    "Alert",
    "AuditEntry",
    "PartnerToken",
    "AUDIENCES",
    "BREADTH",
    "Membership",
    "RecordChange",
    "SharingLevel",
    "audience",
    "named_person",
    "sharing_state",
    "Viewer",
    "INVERSE_LABELS",
    "TERM_FACETS",
    "TERM_MODELS",
    "TERM_RELATIONS",
    "TERMS_BY_MODEL",
    "TERMS_BY_RELATION",
    "TermRelation",
    "CrossLink",
    "ExchangeJob",
    "ExternalIdentifier",
    "Follow",
    "HomeVisit",
    "PrivateFeed",
    "HomePage",
    "Jurisdiction",
    "Language",
    "LinkType",
    "Organisation",
    "OrganisationCollection",
    "OrganisationApprovalTask",
    "RecordIndexPage",
    "RecordPage",
    "RecordQuerySet",
    "RecordRepresentation",
    "RecordTag",
    "PromotedRecord",
    "SearchPromotion",
    "SynonymGroup",
    "Sector",
    "Topic",
    "WebhookDelivery",
    "WebhookEndpoint",
]
