"""Highlights: where a search's words occur in a record's text, as escaped HTML with <mark>."""

import re
from dataclasses import dataclass
from html import escape

from portal.search.analysis import STOP_WORDS, fold, stem_word

WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query):
    """The words of a query, lower-cased, for highlighting and spelling."""
    return [w.lower() for w in WORD.findall(query or "") if len(w) > 1 or w.isdigit()]


def _term(word):
    """The index term of a word (``portal.search.analysis``: accents folded, irregular forms,
    Snowball stem), so the words marked are those the default search matched: "jailbroken" for
    "jailbreak", "evaluating" for "evaluation"."""
    return stem_word(fold(word.lower()))


def _marker(terms):
    """A function telling whether a word of the text is one of the query's ``terms``. Words in
    scripts without stems (Chinese, Japanese…) are written without spaces: a word of the text
    that starts with such a term counts."""
    wanted = {_term(term) for term in terms if term not in STOP_WORDS}
    unspaced = tuple(term for term in terms if not term.isascii() and term == _term(term))

    def marked(word):
        return _term(word) in wanted or (bool(unspaced) and word.lower().startswith(unspaced))

    return marked


def highlight(text, terms, length=240):
    """An HTML snippet of ``text`` around the first matched term, matches wrapped in <mark>.

    Words match a query term when they have its index term (``evaluations`` for ``evaluation``;
    stop words are never marked). Everything else is escaped. Returns None when no term occurs."""
    if not text or not terms:
        return None
    marked = _marker(terms)
    first = next((match for match in WORD.finditer(text) if marked(match.group(0))), None)
    if first is None:
        return None
    start = max(0, first.start() - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    snippet = text[start:end]
    out, last = [], 0
    for match in WORD.finditer(snippet):
        if marked(match.group(0)):
            out.append(escape(snippet[last : match.start()]))
            out.append(f"<mark>{escape(match.group(0))}</mark>")
            last = match.end()
    out.append(escape(snippet[last:]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


@dataclass
class Highlights:
    """A record's title, summary and (when asked) body with the search's words marked; each is
    None where no word occurs."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None

    @classmethod
    def of(cls, record, terms, body=None):
        """``body``: the record's body as plain text (None: not highlighted)."""
        if not terms:
            return cls()
        return cls(
            title=highlight(record.title, terms, length=1000),
            summary=highlight(record.summary, terms),
            body=highlight(body, terms) if body is not None else None,
        )
