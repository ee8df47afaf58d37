"""Our backend's results give their primary keys alone (``pks()``), as the search service uses
them to count facets over every match, in the same order as the objects and with the same
last word of the database."""

import pytest

from portal.models import RecordPage
from portal.search.rebuild import rebuild_backend

pytestmark = pytest.mark.django_db


def test_pks_are_the_objects_keys_in_order_filtered_and_sliced(whoosh_backend, records):
    rebuild_backend(whoosh_backend)
    live = RecordPage.objects.live()
    for results in (
        whoosh_backend.search("chatbot", live),
        whoosh_backend.search("chatbot", live)[1:3],
        whoosh_backend.search("chatbot", live.filter(publication_date__year=2024)),
    ):
        assert results.pks() == [record.pk for record in results._clone()]
    assert records["draft"].pk not in whoosh_backend.search("chatbot", live).pks()
    assert len(whoosh_backend.search("chatbot", live).pks()) == 4  # every live record saying "chatbot"


def test_pks_leave_out_what_the_database_no_longer_holds(whoosh_backend, records):
    rebuild_backend(whoosh_backend)  # the index still lists the lesson after the rows go
    RecordPage.objects.filter(pk=records["lesson"].pk).delete()
    keys = whoosh_backend.search("chatbot", RecordPage.objects.all()).pks()
    assert records["lesson"].pk not in keys
    assert records["jailbreak"].pk in keys
    # Unchecked, the keys are the index's, for a caller that checks them itself.
    unchecked = whoosh_backend.search("chatbot", RecordPage.objects.all()).pks(check=False)
    assert records["lesson"].pk in unchecked
    assert [key for key in unchecked if key != records["lesson"].pk] == keys


def test_the_search_service_finds_the_same_keys_through_objects_or_pks(backend, indexed, settings):
    """On our backend the service reads ``pks()``; on the database backend, the objects' keys."""
    from portal.search.whoosh import WhooshSearchBackend
    from portal.services.search import matching_ids

    if isinstance(backend, WhooshSearchBackend):
        settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "portal.search.whoosh", "PATH": str(backend.path)}}
    else:
        settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    found = set(matching_ids(RecordPage.objects.live(), "chatbot"))
    assert found == {indexed[key].pk for key in ("jailbreak", "poisoning", "framework", "lesson")}


def test_the_search_service_keeps_only_the_given_records_in_rank_and_date_order(backend, indexed, settings):
    """The backend ranks every match; the service keeps the keys of the set it was given."""
    from portal.search.whoosh import WhooshSearchBackend
    from portal.services.search import matching_ids

    if isinstance(backend, WhooshSearchBackend):
        settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "portal.search.whoosh", "PATH": str(backend.path)}}
    else:
        settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    left_out = indexed["jailbreak"].pk
    narrower = RecordPage.objects.live().exclude(pk=left_out)
    for order in ("relevance", "-published", "published"):
        everything = matching_ids(RecordPage.objects.live(), "chatbot", order)
        assert left_out in everything
        assert matching_ids(narrower, "chatbot", order) == [pk for pk in everything if pk != left_out], order


def test_a_query_class_the_backend_does_not_know_is_refused_by_name(whoosh_backend, records):
    from modelsearch.query import SearchQuery

    class Regex(SearchQuery):
        pass

    with pytest.raises(TypeError, match="`Regex` is not a modelsearch query class"):
        list(whoosh_backend.search(Regex(), RecordPage.objects.all()))
