"""The Whoosh schema of every index: fields named by role and path, and their field types.

Every index holds the documents of one root model and its subclasses, so the schema is the same
for every index and never changes: fields are dynamic, named by role and path.

==============================  ============================================================
``doc_id``                      the primary key as text (unique: re-adding replaces)
``content_type``                the content types of the object's class and its indexed parents
``has_value``                   the paths of filter fields that hold a value (for ``isnull``)
``digest``                      a hash of the whole document, stored, to find stale documents
``t__<path>``                   full text of one SearchField (stemmed, with positions): what
                                searches score, each field with its SearchField boost
``s__<path>``                   pairs of consecutive common words of the same text ("risk
                                manag"), so a phrase of frequent words is a term lookup
                                (:mod:`portal.search.phrases`)
``a__<path>``                   word prefixes of an AutocompleteField
``e<code>__<path>``             the value of a top-level, single-valued FilterField (one term)
``f<code>__<path>``             values of any other FilterField (numbers also as coarser
                                "trie" terms, for ranges); ``code`` is the value type
                                (:mod:`portal.search.values`)
``o__<name>``                   a sort key column, for top-level filter fields and ``pk``
==============================  ============================================================

``<path>`` is the field's attribute name, prefixed by the RelatedFields it sits in, joined with
``__`` (``authors__date_of_birth``), like a Django lookup.

Text fields compute their terms with :mod:`portal.search.analysis`'s fast functions instead of
Whoosh's token stream; the result is the same as the tokenizers give. ``FORMAT`` changes whenever
what a document becomes changes, so an index written by an older version is rebuilt, not misread.
"""

import re
from functools import lru_cache

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, IDLIST, KEYWORD, NUMERIC, STORED, TEXT, Schema

from modelsearch.index import AutocompleteField, RelatedFields, SearchField, get_indexed_models

from .analysis import VALUE_BREAK, PrefixTokenizer, TextTokenizer, text_positions
from .values import DATE, DATETIME, FLOAT, INT, STRING, TIME, VALUE_SEPARATOR
from .whoosh_internals import counted, numeric_terms, positions_value

#: The version of what documents become in the index; bump it when that changes.
FORMAT = 4


def _text(value):
    return value if isinstance(value, str) else VALUE_BREAK.join(str(v) for v in value)


class PositionsText(TEXT):
    """Full text with positions (``t__``)."""

    def __init__(self):
        super().__init__(analyzer=TextTokenizer(), phrase=True)

    def index(self, value, **kwargs):
        return [
            (term.encode("utf-8"), *counted(len(places))[:2], positions_value(self, places))
            for term, places in text_positions(_text(value)).items()
        ]


class WordPairs(TEXT):
    """Pairs of consecutive common words (``s__``), given as a list of pair terms
    (see :mod:`portal.search.phrases`)."""

    def __init__(self):
        super().__init__(analyzer=TextTokenizer(), phrase=False)

    def index(self, value, **kwargs):
        counts = {}
        for pair in [value] if isinstance(value, str) else value:
            counts[pair] = counts.get(pair, 0) + 1
        return [(pair.encode("utf-8"), *counted(n)) for pair, n in counts.items()]


class Prefixes(TEXT):
    """Every leading prefix of every word (``a__``), counted."""

    def __init__(self):
        super().__init__(analyzer=PrefixTokenizer(), phrase=False)

    def index(self, value, **kwargs):
        return [
            (term.encode("utf-8"), *counted(len(places)))
            for term, places in text_positions(_text(value), prefix=True).items()
        ]


# Whoosh's identifier and number fields, with the same terms computed without its token stream.


class Identifier(ID):
    """One value, as is."""

    def index(self, value, **kwargs):
        return [(value.encode("utf-8"), 1, 1.0, b"")]


class Keywords(KEYWORD):
    """Words separated by spaces, as is, counted (Whoosh's ``KEYWORD`` format)."""

    _words = re.compile(r"[^ \t\r\n]+")

    def index(self, value, **kwargs):
        counts = {}
        for word in self._words.findall(value):
            counts[word] = counts.get(word, 0) + 1
        return [(word.encode("utf-8"), *counted(n)) for word, n in counts.items()]


class Values(IDLIST):
    """Values separated by ``VALUE_SEPARATOR``, as is."""

    _values = re.compile(f"[^{VALUE_SEPARATOR}]+")

    def __init__(self):
        super().__init__(expression=self._values)

    def index(self, value, **kwargs):
        return [(item.encode("utf-8"), 1, 1.0, b"") for item in set(self._values.findall(value))]


class Numbers(NUMERIC):
    """Whoosh's ``NUMERIC``, with the terms of plain numbers computed from one conversion of the
    value instead of one per term. Anything but plain numbers takes Whoosh's own path."""

    def index(self, num, **kwargs):
        values = num if isinstance(num, (list, tuple)) else (num,)
        if any(type(value) not in (int, float) for value in values):
            return list(super().index(num, **kwargs))
        return numeric_terms(self, values)


class PortalSchema(Schema):
    """Whoosh's schema, remembering which dynamic field a name belongs to (Whoosh tries every
    pattern on every lookup, and looks fields up once per posting while writing)."""

    def __getitem__(self, name):
        cache = self.__dict__.setdefault("_lookup_cache", {})
        field = cache.get(name)
        if field is None:
            field = cache[name] = super().__getitem__(name)
        return field

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_lookup_cache", None)
        return state


def build_schema():
    schema = PortalSchema(
        doc_id=Identifier(unique=True, stored=True),
        content_type=Keywords(lowercase=False, commas=False, scorable=False),
        has_value=Keywords(lowercase=False, commas=False, scorable=False),
        digest=STORED(),
    )
    schema.add("t__*", PositionsText(), glob=True)
    schema.add("s__*", WordPairs(), glob=True)
    schema.add("a__*", Prefixes(), glob=True)
    for code in (INT, DATE, DATETIME, TIME):
        schema.add(f"f{code}__*", Numbers(int, bits=64, signed=True, shift_step=8), glob=True)
        schema.add(f"e{code}__*", Numbers(int, bits=64, signed=True, shift_step=0), glob=True)
    schema.add(f"f{FLOAT}__*", Numbers(float, shift_step=8), glob=True)
    schema.add(f"e{FLOAT}__*", Numbers(float, shift_step=0), glob=True)
    schema.add(f"f{STRING}__*", Values(), glob=True)
    schema.add("o__*", COLUMN(VarBytesColumn()), glob=True)
    return schema


SCHEMA = build_schema()


# Field names


def text_field(path):
    return f"t__{path}"


def pairs_field(path):
    return f"s__{path}"


def prefix_field(path):
    return f"a__{path}"


def filter_field(code, path, single=False):
    """The field of a FilterField's values; ``single``: a top-level, single-valued field, whose
    numbers need no range terms (its ranges read the sort column)."""
    if single and code != STRING:
        return f"e{code}__{path}"
    return f"f{code}__{path}"


def sort_field(name):
    return f"o__{name}"


def content_types(model):
    """The content type of ``model`` and of each indexed parent, most general first."""
    chain = []
    while model is not None:
        chain.append(model.indexed_get_content_type())
        model = model.indexed_get_parent()
    return chain[::-1]


# Query-side field lists


def _indexed_family(model):
    """``model`` and every indexed model that inherits from it: a search for ``model`` finds them all."""
    return [model] + [m for m in get_indexed_models() if m is not model and issubclass(m, model)]


def _walk_text_fields(fields, prefix, kind, out):
    for field in fields:
        if isinstance(field, RelatedFields):
            _walk_text_fields(field.fields, f"{prefix}{field.field_name}__", kind, out)
        elif kind is SearchField and isinstance(field, SearchField):
            path = prefix + field.field_name
            out[path] = max(out.get(path, 0.0), float(field.boost or 1.0))
        elif kind is AutocompleteField and isinstance(field, AutocompleteField):
            out[prefix + field.field_name] = 1.0


@lru_cache(maxsize=1024)
def searchable_paths(model, only=None, autocomplete=False):
    """{text path: boost} for a search on ``model`` (and its subclasses): the ``t__``/``s__``
    fields a search scores, or the ``a__`` fields of an autocomplete search.

    ``only`` (a frozenset) restricts the search to some top-level SearchField names, as
    ``fields=`` does.
    """
    kind = AutocompleteField if autocomplete else SearchField
    out = {}
    for member in _indexed_family(model):
        fields = member.get_search_fields()
        if only is not None:
            fields = [f for f in fields if f.field_name in only]
            if autocomplete:
                # fields= names SearchFields; an autocomplete search uses their prefix fields.
                fields = [AutocompleteField(f.field_name) for f in fields]
        _walk_text_fields(fields, "", kind, out)
    return out
