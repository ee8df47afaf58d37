"""The keys that name what the files define, from reading through planning to applying.

A term is known by its relation and its slug (or code), a record by its kind and slug, an item of
a section such as ``crosswalks`` by the section and its slug. The catalogue of the files, the
import's plan and its apply step all use these keys, so no step has to rebuild or parse
another's labels; the labels (``str(key)``) are only what people read.
"""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from portal.models import TERMS_BY_RELATION


@dataclass(frozen=True, order=True)
class TermKey:
    #: the record relation and file section, e.g. 'topics'
    relation: str
    #: the term's slug, or its code for jurisdictions and languages
    value: str

    @property
    def noun(self):
        return TERMS_BY_RELATION[self.relation].facet

    def __str__(self):
        return f"{self.noun} {self.value}"

    def quoted(self):
        return f"{self.noun} '{self.value}'"


@dataclass(frozen=True, order=True)
class RecordKey:
    kind: str
    slug: str

    @property
    def noun(self):
        return self.kind

    def __str__(self):
        return f"{self.kind} {self.slug}"

    def quoted(self):
        return f"{self.kind} '{self.slug}'"


@dataclass(frozen=True, order=True)
class ItemKey:
    """An item of a registered section (``kinds.ExchangeSection``), e.g. a crosswalk."""

    section: str
    slug: str
    #: the section's word for one item, e.g. 'crosswalk' (not part of the key's identity)
    noun: str = field(default="", compare=False)

    def __str__(self):
        return f"{self.noun} {self.slug}"

    def quoted(self):
        return f"{self.noun} '{self.slug}'"


class Entry(NamedTuple):
    """Where the files define an item, and the item as read."""

    doc: Any  # files.Document
    where: tuple
    item: dict


@dataclass
class Change:
    """What the import does with one item: 'create', 'update' (with the keys that differ) or 'unchanged'."""

    action: str
    key: TermKey | RecordKey | ItemKey
    fields: list = field(default_factory=list)

    @property
    def label(self):
        return str(self.key)

    def __str__(self):
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.action:9} {self.label}{detail}"
