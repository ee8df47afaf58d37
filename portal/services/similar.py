"""Similar records: the few records most related to one record, each with the reason why.

Candidates come from what the records share: the same link targets (the same provision or the
same record), the same topics, sectors or languages; among the best of them, shared words in
titles and summaries break ties. Everything goes through the one visibility rule, in a fixed
number of queries whatever the number of links or records.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q

from portal.models import CrossLink, RecordPage
from portal.models.links import LinkType

WEIGHTS = {"link": 3.0, "topics": 2.0, "sectors": 1.0, "languages": 1.0, "text": 2.0}
TERM_LABELS = {"topics": "same topic", "sectors": "same sector", "languages": "same language"}
STOP_WORDS = set(
    "a an and are as at be by for from has have in into is it its of on or that the their this to was were "
    "with without we our not can may ai".split()
)
MAX_CANDIDATES = 500  # rows read per kind of evidence
FINALISTS = 20  # candidates compared by wording before the final cut


@dataclass
class Suggestion:
    record: RecordPage = None
    score: float = 0.0
    reasons: list = field(default_factory=list)


def _words(text):
    return {w for w in re.findall(r"[a-z0-9]{3,}", text.lower()) if w not in STOP_WORDS}


def similar_records(record, user, limit=5):
    """Up to ``limit`` records related to ``record`` that ``user`` may see, best first."""
    found = {}

    def suggest(pk, weight, reason):
        item = found.setdefault(pk, Suggestion())
        item.score += weight
        if reason not in (r for _, r in item.reasons):
            item.reasons.append((weight, reason))

    # Records that link to the same provisions or records as this one.
    # Only links to targets the user may see: a shared target is quoted as the reason.
    mine = list(
        CrossLink.objects.visible_to(user).filter(source=record).values_list("target_id", "target_provision_id")
    )
    provisions = {p for _, p in mine if p}
    targets = {t for t, p in mine if not p}
    if provisions or targets:
        shared = (
            CrossLink.objects.visible_to(user)
            .filter(Q(target_provision__in=provisions) | Q(target__in=targets, target_provision=None))
            .exclude(source=record)
            .values_list("source_id", "link_type", "target_provision__code", "target__title")[:MAX_CANDIDATES]
        )
        labels = dict(LinkType.choices)
        for source_id, link_type, code, title in shared:
            suggest(source_id, WEIGHTS["link"], f"also {labels[link_type]} {code or title}")

    # Records that share taxonomy terms.
    for relation, label in TERM_LABELS.items():
        terms = {term.pk: term.name for term in getattr(record, relation).all()}
        if not terms:
            continue
        m2m = RecordPage._meta.get_field(relation)
        term_column = f"{m2m.m2m_reverse_field_name()}_id"
        rows = (
            m2m.remote_field.through.objects.filter(**{f"{term_column}__in": terms})
            .filter(RecordPage.objects.visible_through(user, "recordpage"))
            .exclude(recordpage=record)
            .values_list("recordpage_id", term_column)[:MAX_CANDIDATES]
        )
        for record_id, term_id in rows:
            suggest(record_id, WEIGHTS[relation], f"{label}: {terms[term_id]}")

    # The best candidates, compared by wording; only these are loaded (without their bodies).
    finalists = sorted(found.items(), key=lambda item: -item[1].score)[:FINALISTS]
    pages = RecordPage.objects.defer("body").in_bulk([pk for pk, _ in finalists])
    words = _words(f"{record.title} {record.summary}")
    ranked = []
    for pk, item in finalists:
        if pk not in pages:
            continue
        item.record = pages[pk]
        other = _words(f"{item.record.title} {item.record.summary}")
        overlap = len(words & other) / len(words | other) if words and other else 0
        if overlap >= 0.1:
            item.score += WEIGHTS["text"] * overlap
            item.reasons.append((WEIGHTS["text"] * overlap, "similar wording"))
        item.reasons = sorted(item.reasons, key=lambda r: -r[0])[:2]  # the strongest reasons first
        ranked.append(item)
    return sorted(ranked, key=lambda s: (-s.score, s.record.title))[:limit]
