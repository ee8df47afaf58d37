"""Cursor pagination for record lists: keyset paging on (ordering field, id).

A cursor is the position after the last record of a page: the ordering, that record's ordering
value and its id, signed so it cannot be forged or edited. It holds nothing else (no time), so
the same page asked again has the same ``next`` link, the same body and the same ETag. The next
page starts strictly after that position, so records added or removed meanwhile never make a page
repeat or skip one of the records that were already there. Cursors are opaque to clients: follow
``next`` until it is null.
"""

import datetime

from django.core import signing
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .filters import DEFAULT_PAGE_SIZE, ORDERINGS

SALT = "portal.api.records.cursor"


def _encode_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _decode_value(field, value):
    if field == "publication_date":
        return datetime.date.fromisoformat(value)
    if field == "modified_at":
        return parse_datetime(value)
    return value


def make_cursor(ordering, value, pk):
    return signing.Signer(salt=SALT).sign_object([ordering, _encode_value(value), pk], compress=True)


def read_cursor(cursor, ordering):
    """(value, pk) from a cursor made for ``ordering``; a ValidationError naming ``cursor`` otherwise."""
    try:
        made_for, value, pk = signing.Signer(salt=SALT).unsign_object(cursor)
        field = ORDERINGS[made_for.lstrip("-")]
        value = _decode_value(field, value)
        if value is None or not isinstance(pk, int):
            raise ValueError
    except (signing.BadSignature, ValueError, TypeError, KeyError, AttributeError):
        raise serializers.ValidationError({"cursor": ["This cursor is not valid; start again without one."]}) from None
    if made_for != ordering:
        raise serializers.ValidationError(
            {"cursor": [f"This cursor was made for ordering={made_for}; ask with the same ordering."]}
        )
    return value, pk


def after(queryset, ordering, value, pk):
    """Records strictly after (value, pk) in ``ordering``."""
    field = ORDERINGS[ordering.lstrip("-")]
    op = "lt" if ordering.startswith("-") else "gt"
    return queryset.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk}))


class KeysetPagination(BasePagination):
    """Reads ``ordering``, ``page_size`` and ``cursor`` from the view's validated parameters."""

    def paginate_queryset(self, queryset, request, view=None):
        params = view.params
        self.request = request
        self.ordering = params.get("ordering", "-published")
        self.page_size = params.get("page_size", DEFAULT_PAGE_SIZE)
        field = ORDERINGS[self.ordering.lstrip("-")]
        if params.get("cursor"):
            value, pk = read_cursor(params["cursor"], self.ordering)
            queryset = after(queryset, self.ordering, value, pk)
        sign = "-" if self.ordering.startswith("-") else ""
        rows = list(queryset.order_by(f"{sign}{field}", f"{sign}pk")[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        self.next_cursor = None
        if self.has_next:
            last = rows[-1]
            self.next_cursor = make_cursor(self.ordering, getattr(last, field), last.pk)
        return rows

    def get_next_link(self):
        if not self.next_cursor:
            return None
        return replace_query_param(self.request.build_absolute_uri(), "cursor", self.next_cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "page_size": self.page_size, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "page_size", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last page.",
                },
                "page_size": {"type": "integer"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return []  # described by the view's parameter serializer
