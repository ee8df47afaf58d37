"""What the API needs to know about each kind of record, registered by the apps.

``portal`` never imports an app. Each app's ``api`` module registers its ``KindAPI`` here (and
any endpoint of its own with ``register_route``) when the app is ready (``apps.py``); the
shared record endpoints then show every kind's own fields, and the router
(``portal/api/urls.py``) serves every registered endpoint.
"""

from dataclasses import dataclass, field
from typing import Any

from portal.models import RecordPage


@dataclass(frozen=True)
class KindAPI:
    #: 'framework', 'finding' or 'lesson'
    kind: str
    #: Serializer of the kind's own fields, shown under the record's ``<kind>`` key.
    fields_serializer: Any
    #: Relations of the kind's page model to fetch in the same query, e.g. ("issuing_body",).
    select_related: tuple = ()
    #: ``load(specific_pages, context)``: fetch what the fields serializer needs for a batch of
    #: pages in a fixed number of queries (e.g. a framework's provisions).
    load: Any = None
    #: The kind's typed endpoint, e.g. ("findings", FindingViewSet), served beside ``records/``.
    route: tuple = ()
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return RecordPage.kind_models()[self.kind]

    @property
    def child_relation(self):
        """The name under which a RecordPage row reaches this kind's row (``frameworkpage``)."""
        return self.model._meta.model_name


_registry = {}
_routes = {}


def register(kind_api):
    _registry[kind_api.kind] = kind_api
    return kind_api


def register_route(prefix, viewset, basename):
    """An app's endpoint that is not a kind of record (e.g. ``crosswalks/``)."""
    _routes[prefix] = (viewset, basename)


def routes():
    """{prefix: (viewset, basename)} of the apps' endpoints that are not kinds of record."""
    return dict(_routes)


def registered():
    """{kind: KindAPI} in registration order."""
    return dict(_registry)


def get(kind):
    return _registry[kind]
