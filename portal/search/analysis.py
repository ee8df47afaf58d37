"""Text analysis for the Whoosh backend: one tokenizer for every language the portal carries.

Words in scripts that separate words with spaces (Latin, Greek, Cyrillic, Arabic…) become one
token each: lower-cased, accents folded (only on Latin, Greek and Cyrillic letters, where a
reader treats "é" and "e" as the same letter), and, in the full-text analyzer, English stop words
dropped and English stems taken (Snowball's English stemmer, "Porter2", after
:data:`IRREGULAR_FORMS` and apart from :data:`KEPT_APART`; :func:`stem_word`).

A hyphenated word ("self-driving", "CVE-2024-3094") is its parts, at consecutive positions, and
also, in the full-text analyzer, its parts written as one word ("selfdriving"), at the position
of its first part. So "self driving" and "selfdriving" both find "self-driving", and a phrase of
the parts still matches. A hyphenated query word matches its joined form or the phrase of its
parts (:class:`Unit`), so it also finds text that writes it as one word or as two. A hyphenated
word longer than :data:`MAX_TOKEN_LENGTH` is only its parts, on both sides.

Scripts written without spaces between words (Chinese, Japanese, Korean, Thai, Lao, Khmer,
Myanmar) have no dictionary here, so a run of such characters is indexed as overlapping
character bigrams plus single characters, the approach of Lucene's CJK analyzer. A query in
those scripts is turned into the same bigrams and matched as a phrase, so "東京都" finds text
containing "東京都" and not text that merely contains "東京" and "京都" apart.

Indexing takes a value's terms and positions from :func:`text_positions`, which gives the same
terms as the two tokenizers with a fast path for ASCII text and the tokenizers for the rest; the
schema's text fields (:mod:`portal.search.schema`) call it. The tokenizers are Whoosh
``Tokenizer`` classes (callables that yield one reused ``Token``), declared as those fields'
analyzers, so anything of Whoosh's that analyses a field's text analyses it the same way. The
query side calls :func:`query_units`.
"""

import re
import unicodedata
from abc import ABC, abstractmethod
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.snowball.english import EnglishStemmer

#: Tokens longer than this are dropped on both sides: nobody types them and they bloat the index.
MAX_TOKEN_LENGTH = 64
#: Joins the values of a multi-valued text field; no phrase matches across it.
VALUE_BREAK = "\u2029"
#: Longest autocomplete prefix indexed; a longer typed prefix is cut to this length.
MAX_PREFIX_LENGTH = 20

# Scripts without spaces between words: Thai, Lao, Myanmar, Hangul Jamo, Khmer, CJK punctuation
# excluded, Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, CJK extension A, CJK unified
# ideographs, Hangul syllables, CJK compatibility ideographs, and the supplementary ideographs.
_BIGRAM_CHARS = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff"
    "\u3040-\u309f\u30a0-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
# A word: word characters, joined by dots ("10.1234", "arxiv.2310.02446" stay one word) or by
# hyphens (the hyphen-minus, and U+2010, which NFKC makes of the non-breaking hyphen too).
_WORD = rf"[^\W{_BIGRAM_CHARS}]+"
_TOKEN_RE = re.compile(rf"(?P<run>[{_BIGRAM_CHARS}]+)|(?P<word>{_WORD}(?:[.\-\u2010]{_WORD})*)")
_HYPHEN_RE = re.compile("[-\u2010]")

STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have if in into is it its of on or such that the "
    "their then there these this to was were will with".split()
)

#: Irregular English word forms that no stemmer brings to their base word, mapped to it before
#: stemming, on the index and the query side alike (:func:`stem_word`). Only forms that mean the
#: verb (or the noun) in this domain's texts. Left out on purpose: "given" (mostly "given that",
#: "a given model"), "driven" (mostly "data-driven", "AI-driven", which would then reach
#: "driving", of cars), "people" → "person" (Snowball stems "personal" to "person", so "people"
#: would reach every "personal data"), "found" → "find" ("founded" stems to "found"), and forms
#: that are other words too ("led", "fed", "saw", "left", "fell", "spoke").
IRREGULAR_FORMS = {
    "jailbroken": "jailbreak",
    "jailbroke": "jailbreak",
    "broken": "break",
    "broke": "break",
    "written": "write",
    "wrote": "write",
    "taken": "take",
    "took": "take",
    "gave": "give",
    "stolen": "steal",
    "stole": "steal",
    "drove": "drive",
    "chosen": "choose",
    "chose": "choose",
    "hidden": "hide",
    "hid": "hide",
    "withdrawn": "withdraw",
    "withdrew": "withdraw",
    "overridden": "override",
    "overrode": "override",
    "shown": "show",
    "children": "child",
    "women": "woman",
    "men": "man",
    "criteria": "criterion",
}

#: Words whose Snowball stem is the stem of an unrelated word of this domain, with a term of their
#: own instead (Snowball drops "-ity": "university" would meet "universe" and "universal", as in
#: universal jailbreaks; "authority" would meet "author", "minority" would meet "minor").
KEPT_APART = {
    "university": "universiti",
    "universities": "universiti",
    "authority": "authoriti",
    "authorities": "authoriti",
    "minority": "minoriti",
    "minorities": "minoriti",
}

# Letters that Unicode does not decompose but readers treat as plain Latin letters.
_SPECIAL_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


@lru_cache(maxsize=50_000)
def fold(word):
    """Lower-cased ``word`` with accents removed from Latin, Greek and Cyrillic letters only
    (combining marks in Devanagari, Thai or Japanese kana carry meaning and stay)."""
    if word.isascii():
        return word
    word = word.translate(_SPECIAL_FOLDS)
    out = []
    base = ""
    for char in unicodedata.normalize("NFKD", word):
        if unicodedata.combining(char):
            if base and base < "\u0530":
                continue
        else:
            base = char
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


_stem = EnglishStemmer().stem
_TERMS = {**{form: _stem(base) for form, base in IRREGULAR_FORMS.items()}, **KEPT_APART}


@lru_cache(maxsize=50_000)
def stem_word(word):
    """The full-text term of a folded word: its Snowball English stem, after
    :data:`IRREGULAR_FORMS` and apart from :data:`KEPT_APART`; words in other scripts as they are."""
    if not word.isascii():
        return word
    term = _TERMS.get(word)
    return _stem(word) if term is None else term


def word_terms(piece, removestops=True):
    """(joined, parts) for a word of normalised text of at most :data:`MAX_TOKEN_LENGTH`
    characters: the terms of its parts in order (a word without hyphens is one part; stop words
    left out) and, for a hyphenated word, the term of its parts written as one word ("selfdriv"
    for "self-driving"), or None (a stop word, or the same term as its first part)."""
    word = fold(piece)
    if len(word) > MAX_TOKEN_LENGTH:
        return None, ()
    pieces = _HYPHEN_RE.split(word)
    parts = tuple(stem_word(p) for p in pieces if not (removestops and p in STOP_WORDS))
    if len(pieces) == 1:
        return None, parts
    whole = "".join(pieces)
    joined = None if removestops and whole in STOP_WORDS else stem_word(whole)
    return (None if parts and joined == parts[0] else joined), parts


def word_slots(piece, removestops=True):
    """The full-text terms a word of normalised text indexes, one tuple per position it takes:
    its parts on consecutive positions, a hyphenated word's joined form on the first part's (or
    alone, when every part is a stop word). A hyphenated word longer than
    :data:`MAX_TOKEN_LENGTH` is only its parts; a longer word without hyphens is dropped."""
    if len(piece) <= MAX_TOKEN_LENGTH:
        return _slots(piece, removestops)
    return tuple(
        slot for part in _HYPHEN_RE.split(piece) if len(part) <= MAX_TOKEN_LENGTH for slot in _slots(part, removestops)
    )


@lru_cache(maxsize=50_000)
def _slots(piece, removestops):
    joined, parts = word_terms(piece, removestops)
    if not parts:
        return ((joined,),) if joined else ()
    if joined is None:
        return tuple((part,) for part in parts)
    return ((joined, parts[0]), *((part,) for part in parts[1:]))


@lru_cache(maxsize=50_000)
def prefixes(word):
    return tuple(word[:size] for size in range(1, min(len(word), MAX_PREFIX_LENGTH) + 1))


def prefix_slots(piece):
    """Autocomplete: the prefixes of each part of a word of normalised text, one tuple per
    position (no joined form, no stems, no stop words dropped)."""
    if len(piece) <= MAX_TOKEN_LENGTH:
        return _prefix_slots(piece)
    return tuple(
        slot for part in _HYPHEN_RE.split(piece) if len(part) <= MAX_TOKEN_LENGTH for slot in _prefix_slots(part)
    )


@lru_cache(maxsize=50_000)
def _prefix_slots(piece):
    return tuple(prefixes(fold(part)) for part in _HYPHEN_RE.split(piece))


def normalise(text):
    """NFKC (full-width Latin becomes Latin, half-width kana becomes kana), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _spans(text):
    """Yield (kind, text, start, end) for each word or bigram-script run of normalised ``text``."""
    for match in _TOKEN_RE.finditer(text):
        run = match.group("run")
        if run is not None:
            yield "run", run, match.start(), match.end()
        else:
            yield "word", match.group("word"), match.start(), match.end()


class _PortalTokenizer(Tokenizer, ABC):
    """Shared machinery of the two analyzers; subclasses choose what a word becomes."""

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    @abstractmethod
    def slots(self, piece, removestops):
        """The terms a word of normalised text becomes, one tuple per position it takes."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if isinstance(value, (list, tuple)):
            values = value
        else:
            values = (value if isinstance(value, str) else str(value)).split(VALUE_BREAK)
        pos = start_pos
        for number, one_value in enumerate(values):
            if number:
                # A gap between the values of a multi-valued field, so no phrase spans two.
                pos += 100
            text = normalise(one_value if isinstance(one_value, str) else str(one_value))
            cursor = [pos]
            yield from self._tokens(token, text, cursor, start_char, keeporiginal, removestops)
            pos = cursor[0]

    def _tokens(self, token, text, cursor, start_char, keeporiginal, removestops):
        """Yield the tokens of one value; ``cursor[0]`` is the next position, updated in place."""
        positions, chars = token.positions, token.chars
        pos = cursor[0]
        for kind, piece, start, end in _spans(text):
            if kind == "word":
                for forms in self.slots(piece, removestops):
                    for form in forms:
                        token.text = form
                        token.stopped = False
                        token.boost = 1.0
                        if keeporiginal:
                            token.original = piece
                        if positions:
                            token.pos = pos
                        if chars:
                            # The parts of a hyphenated word all carry the span of the whole word.
                            token.startchar = start_char + start
                            token.endchar = start_char + end
                        yield token
                    pos += 1
            else:
                last = len(piece) - 1
                for i, char in enumerate(piece):
                    grams = [char] if i == last else [char, piece[i : i + 2]]
                    for gram in grams:
                        token.text = gram
                        token.stopped = False
                        token.boost = 1.0
                        if keeporiginal:
                            token.original = gram
                        if positions:
                            # Bigrams sit on consecutive positions; the last character shares
                            # the last bigram's position, so the next word follows the run.
                            token.pos = pos + min(i, max(last - 1, 0))
                        if chars:
                            token.startchar = start_char + start + i
                            token.endchar = start_char + start + i + len(gram)
                        yield token
                pos += max(last, 1)
        cursor[0] = pos


class TextTokenizer(_PortalTokenizer):
    """Full text: stop words out, English stems, hyphenated words split and joined."""

    def slots(self, piece, removestops):
        return word_slots(piece, removestops)


class PrefixTokenizer(_PortalTokenizer):
    """Autocomplete: every leading prefix of every word (edge n-grams), no stems, no stop words
    removed, so that "learni" finds "learning" and "th" finds "The Hobbit"."""

    def slots(self, piece, removestops):
        return prefix_slots(piece)


# Indexing: the terms of one field value, computed once per value. Whoosh's own path hands a token
# object per word through its format classes; these functions give the same terms and positions
# as the tokenizers above without that, with a fast path for ASCII text (no normalisation or
# folding to do) and the tokenizers for the rest.

_ASCII_WORD_RE = re.compile(r"[0-9A-Za-z_]+(?:[.\-][0-9A-Za-z_]+)*")


def _values(value):
    if isinstance(value, (list, tuple)):
        return [v if isinstance(v, str) else str(v) for v in value]
    return (value if isinstance(value, str) else str(value)).split(VALUE_BREAK)


@lru_cache(maxsize=64)
def text_positions(value, prefix=False):
    """{term: [positions]} for a text value (values joined by VALUE_BREAK), exactly as
    :class:`TextTokenizer` (or :class:`PrefixTokenizer` with ``prefix``) indexes it.

    Cached per value: the same text feeds a field's terms and its word pairs. Do not modify the
    returned dict."""
    out = {}
    pos = 0
    slow = None
    for number, one_value in enumerate(_values(value)):
        if number:
            pos += 100
        if one_value.isascii():
            for word in _ASCII_WORD_RE.findall(one_value.lower()):
                if "-" in word:
                    for forms in prefix_slots(word) if prefix else word_slots(word):
                        for form in forms:
                            if form in out:
                                out[form].append(pos)
                            else:
                                out[form] = [pos]
                        pos += 1
                    continue
                if len(word) > MAX_TOKEN_LENGTH:
                    continue
                if prefix:
                    for form in prefixes(word):
                        if form in out:
                            out[form].append(pos)
                        else:
                            out[form] = [pos]
                else:
                    if word in STOP_WORDS:
                        continue
                    form = stem_word(word)
                    if form in out:
                        out[form].append(pos)
                    else:
                        out[form] = [pos]
                pos += 1
            continue
        if slow is None:
            slow = PrefixTokenizer() if prefix else TextTokenizer()
        cursor = [pos]
        reused = Token(positions=True, chars=False, removestops=True, mode="index")
        for token in slow._tokens(reused, normalise(one_value), cursor, 0, False, True):
            out.setdefault(token.text, []).append(token.pos)
        pos = cursor[0]
    return out


def pair_term(first, second):
    return f"{first} {second}"


class Unit(tuple):
    """A unit of query text: terms that must match as a phrase (a word is one term, a run of
    Chinese, Japanese, Korean or Thai text a chain of bigrams, a hyphenated word its parts) and,
    for a hyphenated word, ``joined``: the term of its parts written as one word, which matches
    instead of the phrase."""

    joined = None

    def __new__(cls, terms, joined=None):
        unit = super().__new__(cls, terms)
        if joined is not None:
            unit.joined = joined
        return unit

    def __repr__(self):
        return f"Unit({tuple(self)!r}, joined={self.joined!r})"


def _word_units(piece, autocomplete):
    if autocomplete:
        parts = _HYPHEN_RE.split(piece)
        return [Unit((fold(part)[:MAX_PREFIX_LENGTH],)) for part in parts if len(part) <= MAX_TOKEN_LENGTH]
    if len(piece) > MAX_TOKEN_LENGTH:
        # Too long to be one word (as indexed): its parts are words of their own.
        parts = [part for part in _HYPHEN_RE.split(piece) if len(part) <= MAX_TOKEN_LENGTH]
        return [Unit((term,)) for part in parts for term in word_terms(part)[1]]
    joined, parts = word_terms(piece)
    if parts:
        return [Unit(parts, joined)]
    return [Unit((joined,))] if joined else []


def query_units(text, autocomplete=False, max_units=32, unique=True):
    """Turn query text into search units (:class:`Unit`: a tuple of terms, plus ``joined``).

    A one-term unit is a word to match; a longer unit is a bigram chain from a run of Chinese,
    Japanese, Korean or Thai text, or the parts of a hyphenated word, that must match as a
    phrase, or else (a hyphenated word) as its ``joined`` term. The same normalisation,
    folding, stop words, stems and hyphens as indexing apply (no stems and no joined forms for
    autocomplete). Duplicate units are dropped (``unique=False`` keeps them, for phrases such as
    "bye bye") and at most ``max_units`` are kept, so the cost of a query is bounded whatever the
    input. A single character from a bigram script is a one-term unit matching that character.
    """
    units = []
    seen = set()
    for kind, piece, _start, _end in _spans(normalise(text)):
        if kind == "word":
            found = _word_units(piece, autocomplete)
        else:
            piece = piece[:MAX_TOKEN_LENGTH]
            if len(piece) == 1:
                found = [Unit((piece,))]
            else:
                found = [Unit(piece[i : i + 2] for i in range(len(piece) - 1))]
        for unit in found:
            key = (unit, unit.joined)
            if key not in seen or not unique:
                seen.add(key)
                units.append(unit)
                if len(units) >= max_units:
                    return units
    return units


def analyse(text, autocomplete=False):
    """The terms indexing would produce for ``text`` (for tests and the drift report)."""
    tokenizer = PrefixTokenizer() if autocomplete else TextTokenizer()
    return [token.text for token in tokenizer(text)]
