"""Every list endpoint runs a fixed number of queries, whatever the page size."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    CrossLinkFactory,
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    ProvisionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(indexes):
    """Records of every kind, each with terms, links both ways and (frameworks) provisions."""
    topic = TopicFactory()
    frameworks = []
    for i in range(4):
        framework = FrameworkFactory(parent=indexes["framework"], title=f"Framework {i}", topics=[topic])
        provisions = [ProvisionFactory(framework=framework, code=f"F{i}.{n}", sort_order=n) for n in range(3)]
        frameworks.append((framework, provisions))
    for i in range(4):
        finding = FindingFactory(parent=indexes["finding"], title=f"Safety finding {i}", topics=[topic])
        lesson = LessonFactory(parent=indexes["lesson"], title=f"Safety lesson {i}", topics=[topic])
        framework, provisions = frameworks[i]
        CrossLinkFactory(source=finding, target=framework, target_provision=provisions[0])
        CrossLinkFactory(source=lesson, target=finding, link_type="cites")
    crosswalk = CrosswalkFactory(source_framework=frameworks[0][0], target_framework=frameworks[1][0])
    for n in range(3):
        CrosswalkMappingFactory(
            crosswalk=crosswalk, source_provision=frameworks[0][1][n], target_provision=frameworks[1][1][n]
        )
    return frameworks


def count(client, url):
    client.get(url)  # warm the per-process caches (content types, site roots)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries.captured_queries)


#: list -> queries, whatever the page size
RECORD_LISTS = {
    # the page of records, their stored representations, their links and their backlinks (each
    # through the sharing rule); Last-Modified is read from the page's records
    "/api/v1/records/?": 4,
    "/api/v1/frameworks/?": 4,
    "/api/v1/findings/?": 4,
    "/api/v1/lessons/?": 4,
    # change log and the records (as in records/; a signed-in caller's organisations add one),
    # and when the page holds tombstones one more: which of the records named still exist
    # (Last-Modified is the newest entry the answer holds)
    "/api/v1/changes/?": 5,
    # plus the search: how many queries it takes depends on the search backend
    "/api/v1/records/?q=safety&": None,
}


def test_record_lists_run_a_fixed_number_of_queries(client, many):
    for path, expected in RECORD_LISTS.items():
        # Ordered by title, the first page of two holds frameworks: every kind of query runs.
        small = count(client, f"{path}page_size=2&ordering=title")
        assert small == count(client, f"{path}page_size=100&ordering=title"), path
        assert small == expected or (expected is None and small <= 8), path


def test_search_runs_a_fixed_number_of_queries(client, many):
    # the search (two queries on the database backend), the page of records and their organisations,
    # 7 facet counts, autocomplete (two); Last-Modified is read from the records shown
    # (the search and autocomplete take one or two queries each, depending on the backend)
    small = count(client, "/api/v1/search/?q=safety&page_size=2")
    assert small == count(client, "/api/v1/search/?q=safety&page_size=100") <= 13


def test_taxonomy_and_crosswalk_lists_run_a_fixed_number_of_queries(client, many):
    for path in ["topics", "sectors", "jurisdictions", "languages", "organisations", "crosswalks"]:
        assert count(client, f"/api/v1/{path}/") <= 3, path


def test_detail_runs_a_fixed_number_of_queries(client, many):
    # the record, its stored representation, links, backlinks, and its newest change (Last-Modified)
    framework = many[0][0]
    assert count(client, f"/api/v1/records/{framework.translation_key}/") == 5


def test_records_without_a_stored_representation_cost_a_fixed_number_of_queries_more(client, many):
    """Records loaded without publishing (or stored in an older format) have theirs produced by
    the first reader, for the whole page at once."""
    from portal.models import RecordRepresentation

    def first(size):
        RecordRepresentation.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/records/?page_size={size}&ordering=title").status_code == 200
        return len(queries.captured_queries)

    first(1)  # warm the per-process caches
    # the four of a list; the records' rows, 5 term kinds, tags, identifiers, and a framework's
    # provisions, versions and provision changes; and storing them (a savepoint around removing
    # older formats and inserting the new rows)
    assert first(2) == first(100) == 4 + 11 + 4
