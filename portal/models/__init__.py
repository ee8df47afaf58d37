from .access import AuditEntry, PartnerToken
from .changes import RecordChange
from .files import OrganisationCollection
from .home import HomePage
from .indexes import RecordIndexPage
from .links import INVERSE_LABELS, CrossLink, LinkType
from .records import ExternalIdentifier, RecordPage, RecordQuerySet, RecordTag
from .sharing import AUDIENCES, BREADTH, Membership, SharingLevel, Viewer, audience, named_person, sharing_state
from .taxonomy import TERM_MODELS, Jurisdiction, Language, Organisation, Sector, Topic
from .workflows import OrganisationApprovalTask

__all__ = [
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
    "TERM_MODELS",
    "CrossLink",
    "ExternalIdentifier",
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
    "RecordTag",
    "Sector",
    "Topic",
]
