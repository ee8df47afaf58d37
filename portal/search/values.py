"""Filter values as the index holds them: a type code per Django field, the encoded value, the
Python value back (for facets) and bytes that sort like the value (for sort columns and ranges).

Numbers, dates, datetimes and times become integers (floats for float and decimal fields);
everything else becomes text, prefixed with "=" so that an empty string is still a value.
"""

import datetime
import struct
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from modelsearch.index import FilterField

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


def pk_code(model):
    return type_code(FilterField(model._meta.pk.name), model)
