"""Moving records in and out of the portal as files (format: docs/data-format.md).

``files`` reads YAML/JSON with line numbers, ``serialize`` turns a record into the file form and
back, ``catalogue`` collects what a set of files defines under the typed ``keys``, ``validate``
checks all of it before anything is written, ``importer`` plans and applies it in one
transaction, ``exporter`` writes files out deterministically. What each kind of record adds
(its own fields, its provisions, crosswalks) the apps register in ``kinds``.
"""

FORMAT = "portal-records/1"
