"""Turning model instances into Whoosh documents.

A document is a plain dict of strings, numbers and lists (JSON-safe, so it can wait in the write
queue on disk); :func:`to_whoosh` turns it into the keyword arguments Whoosh's writer takes.
For each model class the walk over ``search_fields`` is planned once and cached, with a direct
attribute read for plain model fields (modelsearch's ``get_value`` looks the field up and asks
whether taggit is installed on every call).

:func:`prepare_queryset` is for bulk work (rebuilds, the drift report): it prefetches the
to-many relations the documents read as plain lists, one query per relation and page, where
Django's prefetch would build a queryset per object (taggit's costs more than the rest of the
document).
"""

import hashlib
import json
from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Prefetch
from django.db.models.fields.related import RelatedField

from modelsearch.index import AutocompleteField, FilterField, RelatedFields, SearchField

from . import schema, values
from .analysis import VALUE_BREAK
from .phrases import indexed_pairs

#: Attribute prefix of the lists :func:`prepare_queryset` prefetches.
PREFETCHED = "_search_prefetched_"

_plans = {}
_to_many = {}


def _getter(field, model):
    """A function reading ``field``'s value from an instance of ``model``: a plain attribute read
    for ordinary model fields, modelsearch's ``get_value`` for everything else (callables,
    StreamFields, foreign keys, taggit)."""
    try:
        model_field = field.get_field(model)
    except FieldDoesNotExist:
        return field.get_value
    if (
        getattr(model_field, "concrete", False)
        and not isinstance(model_field, RelatedField)
        and not hasattr(model_field, "get_searchable_content")
        and not model_field.many_to_many
    ):
        return attrgetter(model_field.attname)
    return field.get_value


def _to_many_name(field, model):
    """The relation name if ``field`` is a to-many relation that :func:`prepare_queryset` can
    prefetch as a list (not modelcluster's in-memory relations), else None."""
    try:
        model_field = field.get_field(model)
    except FieldDoesNotExist:
        return None
    if not (model_field.many_to_many or model_field.one_to_many):
        return None
    if type(model_field).__name__ == "ParentalManyToManyField" or type(model_field).__name__ == "ParentalKey":
        return None
    return field.field_name


def _plan(model, fields, prefix, top):
    """[(kind, field, name, extra)] for ``fields`` of ``model``; RelatedFields carry a sub-plan."""
    steps = []
    for field in fields:
        if isinstance(field, RelatedFields):
            try:
                related_model = field.get_field(model).related_model
            except FieldDoesNotExist:
                continue
            path = f"{prefix}{field.field_name}__"
            many = _to_many_name(field, model)
            steps.append(("related", field, many, _plan(related_model, field.fields, path, False)))
        elif isinstance(field, AutocompleteField):
            steps.append(("prefix", _getter(field, model), schema.prefix_field(prefix + field.field_name), None))
        elif isinstance(field, SearchField):
            steps.append(("text", _getter(field, model), schema.text_field(prefix + field.field_name), None))
        elif isinstance(field, FilterField):
            code = values.type_code(field, model)
            path = prefix + field.get_attname(model)
            multi = is_multi_valued(field, model)
            sortable = top and not multi
            name = schema.filter_field(code, path, single=sortable)
            # A to-many relation is read through its manager (or the prefetched list), which
            # uses prefetched rows (taggit's value_from_object would query once per object).
            many = _to_many_name(field, model) if multi else None
            getter = _getter(field, model) if not multi else None
            steps.append(("filter", field, name, (code, sortable, multi, path, many, getter)))
    return steps


def is_multi_valued(field, model):
    try:
        model_field = field.get_field(model)
    except FieldDoesNotExist:
        return False
    return bool(model_field.many_to_many or model_field.one_to_many)


def plan_for(model):
    plan = _plans.get(model)
    if plan is None:
        plan = _plans[model] = _plan(model, model.get_search_fields(), "", True)
    return plan


def prepare_queryset(queryset):
    """``queryset`` with the to-many relations its documents read prefetched as lists."""
    model = queryset.model
    names = _to_many.get(model)
    if names is None:
        names = set()
        for kind, _field, name, extra in plan_for(model):
            many = name if kind == "related" else (extra[4] if kind == "filter" else None)
            if many:
                names.add(many)
        names = _to_many[model] = sorted(names)
    if not names:
        return queryset
    kept = [
        lookup for lookup in queryset._prefetch_related_lookups if not (isinstance(lookup, str) and lookup in names)
    ]
    return queryset.prefetch_related(None).prefetch_related(
        *kept, *[Prefetch(name, to_attr=PREFETCHED + name) for name in names]
    )


def _values(value):
    """A field value as a list of scalars (related managers and querysets are iterated)."""
    if value is None:
        return []
    if hasattr(value, "all") and callable(value.all):
        try:
            value = _in_key_order(value.all())
        except ValueError:
            # A many-to-many manager of an unsaved instance: nothing is related yet.
            return []
    if isinstance(value, (list, tuple, set, frozenset)) or type(value).__name__ == "QuerySet":
        out = []
        for item in value:
            out.extend(_values(item))
        return out
    return [value]


def _text(value):
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in _values(value) if v is not None and str(v).strip()]


def _many(obj, name):
    """The prefetched list of a to-many relation, or None."""
    return obj.__dict__.get(PREFETCHED + name) if name else None


def _in_key_order(objects):
    """Related rows in primary-key order: a database may return them in any order (PostgreSQL
    does), and a document (and its digest) must not depend on it."""
    objects = list(objects)
    if all(isinstance(obj, models.Model) for obj in objects):
        return sorted(objects, key=lambda obj: (obj.pk is None, obj.pk if isinstance(obj.pk, int) else str(obj.pk)))
    return objects


def _related_objects(field, many, obj):
    prefetched = _many(obj, many)
    if prefetched is not None:
        return _in_key_order(prefetched)
    try:
        value = field.get_value(obj)
    except (ObjectDoesNotExist, ValueError, AttributeError):
        return []
    if value is None:
        return []
    if isinstance(value, models.Model):
        return [value]
    if hasattr(value, "all"):
        try:
            return _in_key_order(value.all())
        except ValueError:
            return []
    return []


def _fill(doc, plan, objects):
    """Add the values of ``objects`` (one object, or the related objects at one path) to ``doc``."""
    for kind, field, name, extra in plan:
        if kind == "related":
            related = []
            for obj in objects:
                related.extend(_related_objects(field, name, obj))
            if related:
                _fill(doc, extra, related)
            continue
        if kind != "filter":
            for obj in objects:
                try:
                    value = field(obj)
                except (ObjectDoesNotExist, AttributeError, ValueError):
                    continue
                texts = _text(value)
                if texts:
                    doc.setdefault(name, []).extend(texts)
            continue
        code, sortable, multi, path, many, getter = extra
        for obj in objects:
            try:
                if multi:
                    value = _many(obj, many)
                    if value is None:
                        value = getattr(obj, field.field_name)
                    else:
                        value = _in_key_order(value)
                else:
                    value = getter(obj)
            except (ObjectDoesNotExist, AttributeError, ValueError):
                value = None
            encoded = [values.encode(code, v) for v in _values(value)]
            encoded = [v for v in encoded if v is not None]
            if not encoded:
                continue
            doc.setdefault(name, []).extend(encoded)
            has_value = doc.setdefault("has_value", [])
            if path not in has_value:
                has_value.append(path)
            if sortable:
                doc[schema.sort_field(path)] = values.sort_key(code, encoded[0]).hex()


_model_facts = {}


def _facts(model):
    """(content types, primary key code) of a model, computed once."""
    facts = _model_facts.get(model)
    if facts is None:
        facts = _model_facts[model] = (schema.content_types(model), values.pk_code(model))
    return facts


def build_document(obj):
    """The index document for ``obj``, from the search_fields of its own class. The primary
    key is ``doc_id`` (also what filters on it look up) and a sort column."""
    model = type(obj)
    content_types, code = _facts(model)
    doc = {
        "doc_id": str(obj.pk),
        "content_type": list(content_types),
        schema.sort_field("pk"): values.sort_key(code, values.encode(code, obj.pk)).hex(),
    }
    _fill(doc, plan_for(model), [obj])
    doc["digest"] = hashlib.blake2b(json.dumps(doc, sort_keys=True).encode(), digest_size=12).hexdigest()
    return doc


def to_whoosh(doc, common=frozenset()):
    """Keyword arguments for ``writer.update_document`` from a stored document dict; ``common``
    is the common-word list of the generation written to (see :mod:`portal.search.phrases`)."""
    fields = {}
    for name, value in doc.items():
        if name.startswith("o__"):
            fields[name] = bytes.fromhex(value)
        elif name in ("content_type", "has_value"):
            fields[name] = " ".join(value)
        elif name.startswith("t__"):
            # Whoosh takes a list as tokens already analysed, so the values travel as one string;
            # the same text gives the field's word pairs.
            text = fields[name] = VALUE_BREAK.join(value)
            pairs = indexed_pairs(text, common)
            if pairs:
                fields["s__" + name[3:]] = pairs
        elif name.startswith("a__"):
            fields[name] = VALUE_BREAK.join(value)
        elif name.startswith("fs__"):
            fields[name] = values.VALUE_SEPARATOR.join(value)
        elif name.startswith(("f", "e")):
            fields[name] = value if len(value) > 1 else value[0]
        else:
            fields[name] = value
    return fields
