"""What the API needs to know about each kind of record, registered by the apps' ``api`` modules.

``portal`` never imports an app; the router module (``portal/api/urls.py``) imports each app's
``api`` module and registers its ``KindAPI`` here, so that the shared record endpoints can show
every kind's own fields.
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
    extra: dict = field(default_factory=dict)

    @property
    def model(self):
        return RecordPage.kind_models()[self.kind]

    @property
    def child_relation(self):
        """The name under which a RecordPage row reaches this kind's row (``frameworkpage``)."""
        return self.model._meta.model_name


_registry = {}


def register(kind_api):
    _registry[kind_api.kind] = kind_api
    return kind_api


def registered():
    """{kind: KindAPI} in registration order."""
    return dict(_registry)


def get(kind):
    return _registry[kind]
