"""Everything a set of record files defines, by key, with where each item was defined."""

from portal.exchange import FORMAT, FORMATS, kinds
from portal.exchange.files import Problem
from portal.exchange.keys import Entry, ItemKey, RecordKey, TermKey
from portal.exchange.serialize import TAXONOMY_LAYOUT, in_layout


class Catalogue:
    def __init__(self, documents):
        self.documents = documents
        #: relation -> {TermKey: Entry}, relations in file order
        self.terms = {relation.relation: {} for relation in in_layout(TAXONOMY_LAYOUT)}
        #: RecordKey -> Entry
        self.records = {}
        #: section name -> {ItemKey: Entry}, for each registered section (e.g. crosswalks)
        self.sections = {name: {} for name in kinds.sections()}
        self.problems = []

    def problem(self, doc, where, message):
        self.problems.append(Problem(doc.path, where_text(where), message, doc.line(*where)))

    def collect(self):
        relations = in_layout(TAXONOMY_LAYOUT)
        for doc in self.documents:
            if doc.data.get("format") not in FORMATS:
                older = " or ".join(f"'format: {name}'" for name in FORMATS if name != FORMAT)
                self.problem(doc, ("format",), f"the file must start with 'format: {FORMAT}' (or the older {older})")
                continue
            older = doc.data["format"] != FORMAT
            for relation in relations:
                section = relation.relation
                for i, item in enumerate(doc.data.get(section) or []):
                    if isinstance(item, dict):
                        key = TermKey(section, item.get(relation.key))
                        self._add(self.terms[section], key, Entry(doc, (section, i), item))
            for i, record in enumerate(doc.data.get("records") or []):
                if isinstance(record, dict):
                    key = RecordKey(record.get("kind"), record.get("slug"))
                    self._add(self.records, key, Entry(doc, ("records", i), record))
            for name, section in kinds.sections().items():
                for i, item in enumerate(doc.data.get(name) or []):
                    if isinstance(item, dict):
                        if older and section.from_v1:
                            section.from_v1(item)
                        key = ItemKey(name, item.get("slug"), section.label)
                        self._add(self.sections[name], key, Entry(doc, (name, i), item))
        return self

    def _add(self, table, key, entry):
        if key in table:
            other = table[key]
            self.problem(
                entry.doc,
                entry.where,
                f"{key.quoted()} is already defined in {other.doc.path}:{other.doc.line(*other.where)}",
            )
        else:
            table[key] = entry

    def has_term(self, relation, value):
        return TermKey(relation, value) in self.terms[relation]

    def term(self, relation, value):
        """The term of ``relation`` as the files define it (a dict), or None."""
        entry = self.terms[relation].get(TermKey(relation, value))
        return entry.item if entry else None

    def record(self, kind, slug):
        """The record as the files define it (a dict), or None."""
        entry = self.records.get(RecordKey(kind, slug))
        return entry.item if entry else None


def where_text(where):
    """A place in a file as people read it: ``records[3].links[0].target``."""
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
