"""Turning model instances into Whoosh documents.

A document is a plain dict of strings, numbers and lists (JSON-safe, so it can wait in the write
queue on disk); :func:`to_whoosh` turns it into the keyword arguments Whoosh's writer takes.
For each model class the walk over ``search_fields`` is planned once and cached.
"""

import hashlib
import json

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models

from modelsearch.index import AutocompleteField, FilterField, RelatedFields, SearchField

from . import schema
from .analysis import VALUE_BREAK

_plans = {}


def _plan(model, fields, prefix, top):
    """[(kind, field, path, extra)] for ``fields`` of ``model``; RelatedFields carry a sub-plan."""
    steps = []
    for field in fields:
        if isinstance(field, RelatedFields):
            try:
                related_model = field.get_field(model).related_model
            except FieldDoesNotExist:
                continue
            path = f"{prefix}{field.field_name}__"
            steps.append(("related", field, path, _plan(related_model, field.fields, path, False)))
        elif isinstance(field, AutocompleteField):
            steps.append(("prefix", field, schema.prefix_field(prefix + field.field_name), None))
        elif isinstance(field, SearchField):
            group = schema.group_field(field.boost or 1.0)
            steps.append(("text", field, schema.text_field(prefix + field.field_name), group))
        elif isinstance(field, FilterField):
            code = schema.type_code(field, model)
            path = prefix + field.get_attname(model)
            multi = is_multi_valued(field, model)
            steps.append(("filter", field, path, (code, top and not multi, multi)))
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


def _values(value):
    """A field value as a list of scalars (related managers and querysets are iterated)."""
    if value is None:
        return []
    if hasattr(value, "all") and callable(value.all):
        try:
            value = list(value.all())
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
    return [str(v) for v in _values(value) if v is not None and str(v).strip()]


def _related_objects(field, obj):
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
            return list(value.all())
        except ValueError:
            return []
    return []


def _fill(doc, plan, objects):
    """Add the values of ``objects`` (one object, or the related objects at one path) to ``doc``."""
    for kind, field, name, extra in plan:
        if kind == "related":
            related = []
            for obj in objects:
                related.extend(_related_objects(field, obj))
            if related:
                _fill(doc, extra, related)
            continue
        for obj in objects:
            try:
                if kind == "filter" and extra[2]:
                    # A to-many relation: read it through its manager, which uses prefetched
                    # rows (taggit's value_from_object would query once per object).
                    value = getattr(obj, field.field_name)
                else:
                    value = field.get_value(obj)
            except (ObjectDoesNotExist, AttributeError, ValueError):
                value = None
            if kind in ("text", "prefix"):
                texts = _text(value)
                if texts:
                    doc.setdefault(name, []).extend(texts)
                    if extra:
                        doc.setdefault(extra, []).extend(texts)
                continue
            code, sortable, _many = extra
            encoded = [schema.encode(code, v) for v in _values(value)]
            encoded = [v for v in encoded if v is not None]
            if not encoded:
                continue
            doc.setdefault(schema.filter_field(code, name), []).extend(encoded)
            nn = doc.setdefault("has_value", [])
            if name not in nn:
                nn.append(name)
            if sortable:
                doc[schema.sort_field(name)] = schema.sort_key(code, encoded[0]).hex()


def build_document(obj):
    """The index document for ``obj``, from the search_fields of its own class."""
    model = type(obj)
    doc = {
        "doc_id": str(obj.pk),
        "content_type": schema.content_types(model),
    }
    code = schema.pk_code(model)
    pk = schema.encode(code, obj.pk)
    doc[schema.filter_field(code, "pk")] = [pk]
    doc[schema.sort_field("pk")] = schema.sort_key(code, pk).hex()
    _fill(doc, plan_for(model), [obj])
    doc["digest"] = hashlib.blake2b(json.dumps(doc, sort_keys=True).encode(), digest_size=12).hexdigest()
    return doc


def to_whoosh(doc):
    """Keyword arguments for ``writer.update_document`` from a stored document dict."""
    fields = {}
    for name, value in doc.items():
        if name.startswith("o__"):
            fields[name] = bytes.fromhex(value)
        elif name in ("content_type", "has_value"):
            fields[name] = " ".join(value)
        elif name.startswith(("t__", "g__", "a__")):
            # Whoosh takes a list as tokens already analysed, so the values travel as one string.
            fields[name] = VALUE_BREAK.join(value)
        elif name.startswith("fs__"):
            fields[name] = schema.VALUE_SEPARATOR.join(value)
        elif name.startswith("f"):
            fields[name] = value if len(value) > 1 else value[0]
        else:
            fields[name] = value
    return fields
