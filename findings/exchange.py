"""The record files' parts for findings and lessons: each kind's own fields.

Registered with ``portal.exchange.kinds`` when the app is ready (``apps.py``); the format is
docs/data-format.md.
"""

from portal.exchange import kinds
from portal.models.identifiers import DOI_PATTERN

FINDING_FIELDS = {
    "finding_type": "text",
    "methodology": "text",
    "evidence_strength": "text",
    "systems_examined": "lines",
    "severity": "text",
    "status": "text",
    "authors": "lines",
    "venue": "text",
    "doi": "text",
}
LESSON_FIELDS = {
    "event_date": "date",
    "event_end_date": "date",
    "context": "text",
    "what_happened": "text",
    "impact": "text",
    "what_worked": "text",
    "what_did_not_work": "text",
    "recommendations": "lines",
}


def check_finding(checker, doc, where, fields):
    if fields.get("doi") and not DOI_PATTERN.match(str(fields["doi"])):
        checker.problem(doc, where + ("doi",), "this is not a DOI (10.xxxx/...)")


def register():
    kinds.register(
        kinds.ExchangeKind(
            kind="finding",
            plural="findings",
            fields=FINDING_FIELDS,
            check=check_finding,
            index_title="Findings",
            index_intro="Results from evaluations, vulnerability research and studies of AI systems.",
        )
    )
    kinds.register(
        kinds.ExchangeKind(
            kind="lesson",
            plural="lessons",
            fields=LESSON_FIELDS,
            date_order=(("event_date", "event_end_date"),),
            index_title="Lessons",
            index_intro="What organisations learned from deploying and operating AI systems.",
        )
    )
