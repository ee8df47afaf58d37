"""What the portal does, above what it knows (``portal/models``) and below what people and tools
see (views, template tags, the API, feeds, exports): search and listings, similar records, the
relationship map, the record pages' panels and what the public pages keep in the cache."""
