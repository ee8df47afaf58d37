"""What a query matches, best first: the relevance rule of every search (``portal.services.search``).

The backend (whatever the settings name) ranks what its analysis matches; this module decides
how those rankings combine, the same way on every backend:

1. **Exact identifiers first.** A query word that is a record's UUID or one of its identifiers
   (a DOI, CVE, GHSA or arXiv id, compared without regard to case, with a ``doi:`` or
   ``arxiv:`` prefix or a ``https://doi.org/`` address allowed) finds that record, above
   anything the text matches.
2. **Then records that match every word**, then those that match some (a backend asked for
   ``operator="and"``, then ``"or"``): a record with all the words outranks one repeating one of
   them. The query's phrasings with synonyms (``portal.services.synonyms``: "hiring" is also
   searched as "recruiting") are searched beside it, and their rankings fused with its own.
   Among the records matching every word of a query of a few words, those holding the words
   side by side (a phrase, in their own text or in a part) come first.
3. **Parts of records that are searched on their own** (a framework's provisions, registered by
   the app that has them, ``register_part_finder``): a match in one provision's title counts as
   much as a match in a short field, where folded into the framework's own text it was drowned
   by the others. Within each step, the record ranking and the part ranking are fused by
   reciprocal rank (``FUSION_K``), and the result remembers the best part it matched ("matched
   Art. 73 Reporting of serious incidents").

Everything is ranked over the whole index; the caller then keeps only the records the visitor
may see (``portal.services.search.matching_ids``), so a record the visitor may not see (or its
provisions) never shows, counts or moves another result. Identifiers are looked up among the
visitor's records only.
"""

import logging
import re
import uuid
from dataclasses import dataclass

from django.db.models.functions import Lower

from modelsearch.query import Phrase

from portal.models import ExternalIdentifier, RecordPage

logger = logging.getLogger(__name__)

#: Reciprocal rank fusion: a result's score is the sum of 1 / (FUSION_K + rank) over the
#: rankings it is in. Smaller values favour the first places of each ranking more.
FUSION_K = 10
#: How much a ranking of parts counts in the fusion, beside a ranking of records (1).
PART_WEIGHT = 0.5
#: The first step of a query of a few words: records (and parts) holding its words side by side,
#: in order ("incident reporting" in a title), before those that hold them apart.
PHRASE = "phrase"
MAX_PHRASE_WORDS = 4
#: How many words of a query are looked up as identifiers (a pasted paragraph is not).
MAX_IDENTIFIER_WORDS = 12
_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:|arxiv:|https?://arxiv\.org/abs/)", re.IGNORECASE)


#: Words that make a query a question or a request ("how do I …", "which frameworks …") but say
#: nothing of its subject. Dropped before searching when other words remain, on every backend
#: (a backend that needs every word would find nothing; one that ranks would favour "Do Anything
#: Now" for "how do I"). Not "us" (the United States) nor "it" (IT).
QUESTION_WORDS = frozenset(
    "how what which who whom whose why where when do does did done i me my we our you your can could "
    "should would is are was were am be been being has have had any some there tell show find please "
    "about anything something".split()
)


def content_query(query):
    """``query`` without its question words (``QUESTION_WORDS``), or ``query`` as typed when it is
    a phrase in quotes or has nothing else."""
    if '"' in query:
        return query
    words = query.split()
    kept = [word for word in words if word.strip("?!.,;:'\"()").lower() not in QUESTION_WORDS]
    return " ".join(kept) if kept and len(kept) < len(words) else query


@dataclass(frozen=True)
class MatchedPart:
    """A part of a record that a search matched on its own, as the result names it."""

    code: str
    title: str
    #: the fragment of the part on the record's page
    anchor: str

    def __str__(self):
        return f"{self.code} {self.title}".strip()


#: finder(query, operator) -> [(record id, MatchedPart)], best first (see the module).
_part_finders = []


def register_part_finder(finder):
    """Search the parts of records of an app as well (called from its ``AppConfig.ready``)."""
    if finder not in _part_finders:
        _part_finders.append(finder)


@dataclass
class Ranking:
    """Every record a query matches (over the whole index), best first, with the part each one
    matched, if it was matched through a part; the first ``complete`` match every word."""

    ids: list
    parts: dict
    complete: int


def backend_query(query, operator):
    """The query and operator a backend is asked with: ``PHRASE`` asks for ``query`` as a phrase
    (every part finder reads the operators of this module the same way)."""
    return (Phrase(query), "and") if operator == PHRASE else (query, operator)


def _backend_ranking(query, operator):
    query, operator = backend_query(query, operator)
    results = RecordPage.objects.only("pk").search(query, operator=operator)
    # A backend that can give keys alone (ours: ``pks()``) saves building a model instance per
    # match, and leaves checking them to the caller; any other backend's results are objects.
    pks = getattr(results, "pks", None)
    return pks(check=False) if pks is not None else [record.pk for record in results]


def _fused(rankings, parts):
    """Record ids ranked by reciprocal rank fusion of ``rankings`` (lists of ids) and ``parts``
    ((record id, part) pairs, best first), with the best part of each record matched through
    one. Ties keep the order in which records were first met."""
    scores, best = {}, {}
    for ranking in rankings:
        for place, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0) + 1 / (FUSION_K + place)
    for pk, part in parts:
        if pk not in best:
            best[pk] = part
            scores[pk] = scores.get(pk, 0) + PART_WEIGHT / (FUSION_K + len(best))
    first_met = {
        pk: n for n, pk in enumerate(dict.fromkeys([pk for ranking in rankings for pk in ranking] + list(best)))
    }
    return sorted(scores, key=lambda pk: (-scores[pk], first_met[pk])), best


def rank(query, several_words, phrasings=()):
    """The ``Ranking`` of ``query`` over the whole index.

    Two steps when the query has several words: the records matching every word of the query
    (or of one of its ``phrasings``, the query with a term replaced by a synonym), then those
    matching some. Each step fuses the rankings of the query and its phrasings; the first also
    fuses the parts (a provision) that match every word, so a framework is found through one
    provision that has them all, not through provisions that share a word with a long query."""
    ids, parts, seen, complete = [], {}, set(), None
    texts = [query, *phrasings]
    phrase = several_words and '"' not in query and len(query.split()) <= MAX_PHRASE_WORDS
    for operator in ("and", "or") if several_words else ("or",):
        found_parts = []
        if operator != "or" or not several_words:  # parts count only where every word matches
            found_parts = [pair for text in texts for finder in _part_finders for pair in finder(text, operator)]
        step, best = _fused([_backend_ranking(text, operator) for text in texts], found_parts)
        if operator == "and" and phrase:
            # Records holding the words side by side (in their own text or in a part) come first,
            # in the order this step gives them.
            together = {pk for text in texts for pk in _backend_ranking(text, PHRASE)}
            together |= {pk for text in texts for finder in _part_finders for pk, _ in finder(text, PHRASE)}
            step = [pk for pk in step if pk in together] + [pk for pk in step if pk not in together]
        for pk in step:
            if pk not in seen:
                seen.add(pk)
                ids.append(pk)
                if pk in best:
                    parts[pk] = best[pk]
        if complete is None:
            complete = len(ids)
    return Ranking(ids, parts, complete)


def _identifier_candidates(query):
    words = query.split()
    if len(words) > MAX_IDENTIFIER_WORDS:
        return set()
    candidates = {query.strip(), *words}
    return {_PREFIXES.sub("", word).strip(".,;()[]<>\"'") for word in candidates} - {""}


def exact_ids(records, query):
    """The records among ``records`` whose UUID or identifier is a word of ``query`` (or the
    whole query), by identifier order; one or two queries."""
    candidates = _identifier_candidates(query)
    keys = set()
    for word in candidates:
        try:
            keys.add(uuid.UUID(word))
        except ValueError:
            continue
    found = []
    if keys:
        found += records.order_by().filter(translation_key__in=keys).values_list("pk", flat=True)
    wanted = {word.lower() for word in candidates if any(char.isdigit() for char in word)}
    if wanted:
        rows = (
            ExternalIdentifier.objects.filter(record__in=records.order_by().values("pk"))
            .alias(lowered=Lower("value"))
            .filter(lowered__in=wanted)
            .order_by("record_id")
            .values_list("record_id", flat=True)
        )
        found += [pk for pk in rows if pk not in found]
    return found
