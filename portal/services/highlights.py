"""Highlights: where a search's words occur in a record's text, as escaped HTML with <mark>."""

import re
from dataclasses import dataclass
from html import escape

WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query):
    """The words of a query, lower-cased, for highlighting and spelling."""
    return [w.lower() for w in WORD.findall(query or "") if len(w) > 1 or w.isdigit()]


def _stem(word):
    return word[: max(3, len(word) - 2)] if len(word) > 4 else word


def highlight(text, terms, length=240):
    """An HTML snippet of ``text`` around the first matched term, matches wrapped in <mark>.

    Words match a query term when they share its stem (``evaluations`` for ``evaluation``).
    Everything else is escaped. Returns None when no term occurs."""
    if not text or not terms:
        return None
    stems = sorted({_stem(t) for t in terms}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE | re.UNICODE)
    first = pattern.search(text)
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
    for match in pattern.finditer(snippet):
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
