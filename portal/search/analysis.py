"""Text analysis for the Whoosh backend: one tokenizer for every language the portal carries.

Words in scripts that separate words with spaces (Latin, Greek, Cyrillic, Arabic…) become one
token each: lower-cased, accents folded (only on Latin, Greek and Cyrillic letters, where a
reader treats "é" and "e" as the same letter), and, in the full-text analyzer, English stop words
dropped and English stems taken.

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
from whoosh.lang.porter import stem

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
_TOKEN_RE = re.compile(rf"(?P<run>[{_BIGRAM_CHARS}]+)|(?P<word>[^\W{_BIGRAM_CHARS}]+(?:\.[^\W{_BIGRAM_CHARS}]+)*)")

STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have if in into is it its of on or such that the "
    "their then there these this to was were will with".split()
)

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


@lru_cache(maxsize=50_000)
def stem_word(word):
    return stem(word) if word.isascii() else word


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
    def word_forms(self, word, removestops):
        """The terms a (folded) word becomes, all at one position; empty if it is dropped."""

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
                if len(piece) > MAX_TOKEN_LENGTH:
                    continue
                forms = self.word_forms(fold(piece), removestops)
                if not forms:
                    continue
                for form in forms:
                    token.text = form
                    token.stopped = False
                    token.boost = 1.0
                    if keeporiginal:
                        token.original = piece
                    if positions:
                        token.pos = pos
                    if chars:
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
    """Full text: stop words out, English stems."""

    def word_forms(self, word, removestops):
        if removestops and word in STOP_WORDS:
            return ()
        return (stem_word(word),)


class PrefixTokenizer(_PortalTokenizer):
    """Autocomplete: every leading prefix of every word (edge n-grams), no stems, no stop words
    removed, so that "learni" finds "learning" and "th" finds "The Hobbit"."""

    def word_forms(self, word, removestops):
        return [word[:size] for size in range(1, min(len(word), MAX_PREFIX_LENGTH) + 1)]


# Indexing: the terms of one field value, computed once per value. Whoosh's own path hands a token
# object per word through its format classes; these functions give the same terms and positions
# as the tokenizers above without that, with a fast path for ASCII text (no normalisation or
# folding to do) and the tokenizers for the rest.

_ASCII_WORD_RE = re.compile(r"[0-9A-Za-z_]+(?:\.[0-9A-Za-z_]+)*")


@lru_cache(maxsize=50_000)
def prefixes(word):
    return tuple(word[:size] for size in range(1, min(len(word), MAX_PREFIX_LENGTH) + 1))


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


def query_units(text, autocomplete=False, max_units=32, unique=True):
    """Turn query text into search units, each a tuple of terms.

    A one-term tuple is a word to match; a longer tuple is a bigram chain from a run of Chinese,
    Japanese, Korean or Thai text that must match as a phrase. The same normalisation, folding,
    stop words and stems as indexing apply (no stems for autocomplete). Duplicate units are
    dropped (``unique=False`` keeps them, for phrases such as "bye bye") and at most ``max_units``
    are kept, so the cost of a query is bounded whatever the input. A single character from a
    bigram script is a one-term unit matching that character.
    """
    units = []
    seen = set()
    for kind, piece, _start, _end in _spans(normalise(text)):
        if kind == "word":
            if len(piece) > MAX_TOKEN_LENGTH:
                continue
            word = fold(piece)
            if autocomplete:
                unit = (word[:MAX_PREFIX_LENGTH],)
            else:
                if word in STOP_WORDS:
                    continue
                unit = (stem_word(word),)
        else:
            piece = piece[:MAX_TOKEN_LENGTH]
            if len(piece) == 1:
                unit = (piece,)
            else:
                unit = tuple(piece[i : i + 2] for i in range(len(piece) - 1))
        if unit not in seen or not unique:
            seen.add(unit)
            units.append(unit)
            if len(units) >= max_units:
                break
    return units


def analyse(text, autocomplete=False):
    """The terms indexing would produce for ``text`` (for tests and the drift report)."""
    tokenizer = PrefixTokenizer() if autocomplete else TextTokenizer()
    return [token.text for token in tokenizer(text)]
