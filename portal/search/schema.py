"""What a model instance becomes in the Whoosh index, and how filter values are encoded.

Every index holds the documents of one root model and its subclasses, so the schema is the same
for every index and never changes: fields are dynamic, named by role and path.

==============================  ============================================================
``doc_id``                      the primary key as text (unique: re-adding replaces)
``content_type``                the content types of the object's class and its indexed parents
``has_value``                   the paths of filter fields that hold a value (for ``isnull``)
``digest``                      a hash of the whole document, stored, to find stale documents
``t__<path>``                   full text of one SearchField (stemmed), for searches with ``fields=``
``g__<boost>``                  full text of every SearchField with that boost (positions kept):
                                what a search without ``fields=`` scores, as Elasticsearch's
                                ``_all_text_boost_*`` fields; few fields make queries fast
``a__<path>``                   word prefixes of an AutocompleteField
``f<code>__<path>``             values of a FilterField; ``code`` is the value type (below)
``o__<name>``                   a sort key column, for top-level filter fields and ``pk``
==============================  ============================================================

``<path>`` is the field's attribute name, prefixed by the RelatedFields it sits in, joined with
``__`` (``authors__date_of_birth``), like a Django lookup.
"""

import datetime
import struct
from decimal import Decimal

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, IDLIST, KEYWORD, NUMERIC, STORED, TEXT, Schema

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from modelsearch.index import AutocompleteField, FilterField, RelatedFields, SearchField, get_indexed_models

from .analysis import PrefixTokenizer, TextTokenizer

#: Separates the values of a multi-valued string filter field.
VALUE_SEPARATOR = "\x1f"

INT, FLOAT, DATE, DATETIME, TIME, STRING = "i", "n", "d", "t", "h", "s"

_INT_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BooleanField",
    "NullBooleanField",
    "DurationField",
}
_TYPE_CODES = {"FloatField": FLOAT, "DecimalField": FLOAT, "DateField": DATE}
_TYPE_CODES.update({"DateTimeField": DATETIME, "TimeField": TIME})
_TYPE_CODES.update(dict.fromkeys(_INT_TYPES, INT))

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)


def build_schema():
    schema = Schema(
        doc_id=ID(unique=True, stored=True),
        content_type=KEYWORD(lowercase=False, commas=False, scorable=False),
        has_value=KEYWORD(lowercase=False, commas=False, scorable=False),
        digest=STORED(),
    )
    schema.add("t__*", TEXT(analyzer=TextTokenizer(), phrase=False), glob=True)
    schema.add("g__*", TEXT(analyzer=TextTokenizer(), phrase=True), glob=True)
    schema.add("a__*", TEXT(analyzer=PrefixTokenizer(), phrase=False), glob=True)
    for code in (INT, DATE, DATETIME, TIME):
        schema.add(f"f{code}__*", NUMERIC(int, bits=64, signed=True, shift_step=8), glob=True)
    schema.add(f"f{FLOAT}__*", NUMERIC(float, shift_step=8), glob=True)
    schema.add(f"f{STRING}__*", IDLIST(expression=f"[^{VALUE_SEPARATOR}]+"), glob=True)
    schema.add("o__*", COLUMN(VarBytesColumn()), glob=True)
    return schema


SCHEMA = build_schema()


# Values


def type_code(field, model):
    """The encoding used for a FilterField's values, from the Django field behind it."""
    try:
        internal = field.get_type(model)
    except (AttributeError, FieldDoesNotExist):
        internal = "CharField"
    if internal in ("ForeignKey", "OneToOneField", "ManyToManyField", "TaggableManager"):
        internal = "AutoField"
    return _TYPE_CODES.get(internal, STRING)


def encode(code, value):
    """A filter value as the index stores it (a number, or text for strings); None for null."""
    if value is None:
        return None
    if isinstance(value, models.Model):
        value = value.pk
    if code == INT:
        if isinstance(value, datetime.timedelta):
            return value // datetime.timedelta(microseconds=1)
        return int(value)
    if code == FLOAT:
        return float(value)
    if code == DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return value.toordinal()
    if code == DATETIME:
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        elif not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time())
        if settings.USE_TZ:
            if timezone.is_naive(value):
                value = timezone.make_aware(value, timezone.get_default_timezone())
            return (value - _EPOCH) // datetime.timedelta(microseconds=1)
        if timezone.is_aware(value):
            value = timezone.make_naive(value, timezone.get_default_timezone())
        return (value - _NAIVE_EPOCH) // datetime.timedelta(microseconds=1)
    if code == TIME:
        if isinstance(value, str):
            value = datetime.time.fromisoformat(value)
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    return "=" + str(value).replace(VALUE_SEPARATOR, " ")


def decode(code, number_or_text, internal_type=None):
    """The Python value of an indexed filter value (for facet keys)."""
    if code == STRING:
        return number_or_text[1:]
    if code == INT:
        if internal_type in ("BooleanField", "NullBooleanField"):
            return bool(number_or_text)
        return int(number_or_text)
    if code == FLOAT:
        return Decimal(str(number_or_text)) if internal_type == "DecimalField" else float(number_or_text)
    if code == DATE:
        return datetime.date.fromordinal(int(number_or_text))
    if code == DATETIME:
        delta = datetime.timedelta(microseconds=int(number_or_text))
        return _EPOCH + delta if settings.USE_TZ else _NAIVE_EPOCH + delta
    micros = int(number_or_text)
    seconds, micro = divmod(micros, 1_000_000)
    return datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def sort_key(code, encoded):
    """Bytes that sort like the value; b"" (no value) sorts first."""
    if encoded is None:
        return b""
    if code == STRING:
        return b"\x01" + encoded[1:].encode("utf-8")
    if code == FLOAT:
        (bits,) = struct.unpack(">q", struct.pack(">d", encoded))
        if bits < 0:
            bits ^= 0x7FFFFFFFFFFFFFFF
        return b"\x01" + struct.pack(">Q", bits + 2**63)
    return b"\x01" + struct.pack(">Q", max(min(encoded, 2**63 - 1), -(2**63)) + 2**63)


# Field names


def text_field(path):
    return f"t__{path}"


def group_field(boost):
    return "g__" + f"{float(boost):g}".replace(".", "_").replace("-", "m")


def prefix_field(path):
    return f"a__{path}"


def filter_field(code, path):
    return f"f{code}__{path}"


def sort_field(name):
    return f"o__{name}"


def pk_code(model):
    return type_code(FilterField(model._meta.pk.name), model)


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


def _walk_text_fields(fields, prefix, boost, kind, out, only):
    for field in fields:
        if isinstance(field, RelatedFields):
            _walk_text_fields(field.fields, f"{prefix}{field.field_name}__", boost, kind, out, only)
        elif kind is SearchField and isinstance(field, SearchField):
            field_boost = float(field.boost or 1.0)
            name = text_field(prefix + field.field_name) if only else group_field(field_boost)
            out[name] = max(out.get(name, 0.0), boost * field_boost)
        elif kind is AutocompleteField and isinstance(field, AutocompleteField):
            out[prefix_field(prefix + field.field_name)] = 1.0


def searchable_fields(model, only=None, autocomplete=False):
    """{index field name: boost} for a search on ``model`` (and its subclasses).

    ``only`` restricts the search to some top-level SearchField names, as ``fields=`` does.
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
        _walk_text_fields(fields, "", 1.0, kind, out, only)
    return out
