"""Moving records in and out of the portal as files (format: docs/data-format.md).

``files`` reads YAML/JSON with line numbers, ``serialize`` turns a record into the file form and
back, ``validate`` checks a whole set of files before anything is written, ``importer`` applies
them in one transaction, ``exporter`` writes them out deterministically.
"""

FORMAT = "portal-records/1"
