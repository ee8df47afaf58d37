"""Search for the portal: the Whoosh backend for modelsearch (``portal.search.whoosh``) and its parts."""
