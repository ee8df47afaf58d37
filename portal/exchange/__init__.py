"""Moving records in and out of the portal as files (format: docs/data-format.md).

``files`` reads YAML/JSON with line numbers, ``serialize`` turns a record into the file form and
back, ``catalogue`` collects what a set of files defines under the typed ``keys``, ``validate``
checks all of it before anything is written, ``importer`` plans and applies it in one
transaction, ``exporter`` writes files out deterministically. What each kind of record adds
(its own fields, its provisions, crosswalks) the apps register in ``kinds``.
"""

#: The format exports write.
FORMAT = "portal-records/2"
#: The formats imports read: each with its JSON Schema (data/schema/). A file of an older format
#: is brought up to the current one as it is read (``kinds.ExchangeSection.from_v1``).
FORMATS = {
    "portal-records/1": "records-1.schema.json",
    "portal-records/2": "records.schema.json",
}
