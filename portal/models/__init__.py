from .home import HomePage
from .indexes import RecordIndexPage
from .links import INVERSE_LABELS, CrossLink, LinkType
from .records import ExternalIdentifier, RecordPage, RecordQuerySet, RecordTag
from .taxonomy import TERM_MODELS, Jurisdiction, Language, Organisation, Sector, Topic

__all__ = [
    "INVERSE_LABELS",
    "TERM_MODELS",
    "CrossLink",
    "ExternalIdentifier",
    "HomePage",
    "Jurisdiction",
    "Language",
    "LinkType",
    "Organisation",
    "RecordIndexPage",
    "RecordPage",
    "RecordQuerySet",
    "RecordTag",
    "Sector",
    "Topic",
]
