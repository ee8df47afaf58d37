"""Synonyms: other ways to write a query, from the synonym groups editors keep.

``alternatives("hiring bias")`` gives ``["recruiting bias", "recruitment bias"]`` when
"recruiting", "hiring" and "recruitment" form a group (``portal.models.SynonymGroup``). A term
is matched as whole words, whatever its case, with any spaces or hyphens between its words
("self driving" matches "self-driving"), never inside a longer word ("hiring" is not in
"rehiring"); where terms overlap, the longest wins ("automated vehicle" before "vehicle").
Each alternative replaces one known term (every place it occurs) by one of its synonyms; the
rest of the query stays as typed. At most ``MAX_ALTERNATIVES`` are given.

The groups are read in one query (``synonym_groups``); there are few. A caller that keeps them
(say, in the cache) passes them in as ``groups``.
"""

import functools
import re

from portal.models import SynonymGroup
from portal.models.search_terms import normal_term

#: Most alternatives ``alternatives`` gives for one query.
MAX_ALTERNATIVES = 8
_WORD_GAP = re.compile(r"[\s\-]+")


def synonym_groups():
    """Every synonym group's terms, as a tuple of tuples of normalised terms (one query)."""
    return tuple(tuple(group.term_list) for group in SynonymGroup.objects.order_by("slug").only("terms"))


def alternatives(query_text, groups=None):
    """``query_text`` rewritten with each known term in it replaced by each of its synonyms: a
    list of at most ``MAX_ALTERNATIVES`` distinct queries, none the same as ``query_text``
    (case aside); empty when no term of a group occurs in it.

    ``groups``: the synonym groups (``synonym_groups()``), if the caller has them already."""
    text = str(query_text or "")
    if not text.strip():
        return []
    table = _Table.of(synonym_groups() if groups is None else tuple(map(tuple, groups)))
    if table.pattern is None:
        return []
    places = {}  # matched term -> [(start, end)], terms in order of first occurrence
    for match in table.pattern.finditer(text):
        places.setdefault(table.terms[match.lastgroup], []).append(match.span())
    seen = {text.casefold()}
    found = []
    for term, spans in places.items():
        for synonym in table.synonyms[term]:
            rewritten = _replace(text, spans, synonym)
            if rewritten.casefold() not in seen:
                seen.add(rewritten.casefold())
                found.append(rewritten)
                if len(found) == MAX_ALTERNATIVES:
                    return found
    return found


def _replace(text, spans, replacement):
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], replacement]
        last = end
    parts.append(text[last:])
    return "".join(parts)


class _Table:
    """The groups as one regular expression (one named alternative per term, longest first) and
    each term's synonyms. Built once per distinct set of groups."""

    def __init__(self, groups):
        self.synonyms = {}
        for terms in groups:
            terms = [normal_term(term) for term in terms if normal_term(term)]
            for term in terms:
                # A term in two groups is refused on save and on import; were one to slip
                # through, it keeps its first group.
                self.synonyms.setdefault(term, [other for other in dict.fromkeys(terms) if other != term])
        ordered = sorted(self.synonyms, key=lambda term: (-len(term), term))
        self.terms = {f"t{i}": term for i, term in enumerate(ordered)}
        if not ordered:
            self.pattern = None
            return
        alternatives = "|".join(f"(?P<{name}>{_term_pattern(term)})" for name, term in self.terms.items())
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def of(groups):
        return _Table(groups)


def _term_pattern(term):
    """A term's words with any run of spaces or hyphens between them."""
    return r"[\s\-]+".join(re.escape(word) for word in _WORD_GAP.split(term) if word)
