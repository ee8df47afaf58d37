"""What the record files need to know about each kind of record, registered by the apps.

``portal`` never imports an app. Each app's ``exchange`` module registers here, when the app is
ready (``apps.py``), the file form of its kinds (``ExchangeKind``: the kind's own fields, and
the provisions links can point at) and any section of the files of its own (``ExchangeSection``,
e.g. ``crosswalks``). Reading, checking, importing and exporting then work for every kind that
was registered, in registration order.
"""

from collections.abc import Callable
from dataclasses import dataclass

#: How a kind's own field is held in a file: plain text, an ISO date, a list of lines (one text
#: field in the database, one item a line), or an organisation slug.
FIELD_TYPES = ("text", "date", "lines", "org")


@dataclass(frozen=True)
class Provisions:
    """A kind whose records hold provisions that links (and sections such as crosswalks) point
    at by code. The file form lists them under the kind's fields, as ``provisions``."""

    #: ``to_file(content)``: the provisions of a record version, in file form and reading order.
    to_file: Callable
    #: ``codes_in_file(fields)``: the codes of the provisions a record's kind fields list.
    codes_in_file: Callable
    #: ``stored(page)``: the stored provisions of a record (objects with a ``code``).
    stored: Callable
    #: ``check(checker, doc, where, items)``: report what is wrong with a file's provision list.
    check: Callable
    #: ``write(page, items)``: make the record's stored provisions those of the file, before
    #: any record is saved (so that links can point at them).
    write: Callable
    #: ``attach(content, page)``: put the stored provisions on the version about to be saved.
    attach: Callable


@dataclass(frozen=True)
class Part:
    """A list of a kind's own that is saved with the record's versions (e.g. a framework's
    versions), listed under the kind's fields as ``name``."""

    #: The key under the kind's fields ('versions').
    name: str
    #: ``to_file(content)``: the items of a record version, in file form and order.
    to_file: Callable
    #: ``attach(content, items)``: put the file's items on the version about to be saved.
    attach: Callable
    #: Where it is listed: before the kind's provisions, or after them.
    before_provisions: bool = False


@dataclass(frozen=True)
class ExchangeKind:
    #: 'framework', 'finding' or 'lesson': the record's ``kind`` and the key of its own fields
    kind: str
    #: The kind in the plural: the export's folder for it, and in messages ('frameworks').
    plural: str
    #: The kind's own fields: file key -> one of FIELD_TYPES, in file order.
    fields: dict
    #: Pairs of date fields that must be in order, e.g. (("effective_date", "end_date"),).
    date_order: tuple = ()
    #: ``check(checker, doc, where, fields)``: more checks of the kind's own fields.
    check: Callable | None = None
    provisions: Provisions | None = None
    #: Lists of the kind's own besides its provisions, in file order (``Part``); the kind's
    #: ``check`` checks them.
    parts: tuple = ()
    #: Title and introduction of the kind's index page on a new site (``site.py``).
    index_title: str = ""
    index_intro: str = ""


@dataclass(frozen=True)
class ExchangeSection:
    """A top-level section of the files besides terms and records, whose items have a slug."""

    #: The key in the files, also the export's file name ('crosswalks' -> crosswalks.yaml).
    name: str
    #: One item, in messages and in the import's report ('crosswalk').
    label: str
    #: ``check(checker, doc, where, item)``: report what is wrong with one item.
    check: Callable
    #: ``stored(slug)``: the file form of the stored item, or None if there is none.
    stored: Callable
    #: ``save(slug, item, db)``: create or update the stored item from its file form, after
    #: every record was saved.
    save: Callable
    #: ``export(pages)``: the file forms of the stored items among the exported record pages,
    #: in a fixed order.
    export: Callable
    #: ``from_v1(item)``: bring an item of a ``portal-records/1`` file to the current form, in
    #: place, as it is read (None if the form did not change).
    from_v1: Callable | None = None


_kinds = {}
_sections = {}


def register(exchange_kind):
    unknown = set(exchange_kind.fields.values()) - set(FIELD_TYPES)
    if unknown:
        raise ValueError(f"{exchange_kind.kind}: unknown field types {sorted(unknown)}")
    _kinds[exchange_kind.kind] = exchange_kind
    return exchange_kind


def register_section(section):
    _sections[section.name] = section
    return section


def registered():
    """{kind: ExchangeKind} in registration order."""
    return dict(_kinds)


def get(kind):
    return _kinds[kind]


def sections():
    """{name: ExchangeSection} in registration order."""
    return dict(_sections)


def with_provisions():
    """The kinds whose records hold provisions."""
    return [kind for kind in _kinds.values() if kind.provisions is not None]
