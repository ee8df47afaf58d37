"""Exports: records/?format=csv and the JSON Lines export, streamed, visible records only."""

import csv
import io
import json

import pytest

from tests.factories import FindingFactory, FrameworkFactory

pytestmark = pytest.mark.django_db


def body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_csv_export_has_one_row_per_visible_record(client, indexes):
    FindingFactory(parent=indexes["finding"], title="Public, with a comma", severity="high")
    FrameworkFactory(parent=indexes["framework"], title="=HYPERLINK(evil)")
    FindingFactory(parent=indexes["finding"], title="Partners only", sharing_level="TLP:GREEN")
    response = client.get("/api/v1/records/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert {row["title"] for row in rows} == {"Public, with a comma", "'=HYPERLINK(evil)"}
    finding = next(row for row in rows if row["kind"] == "finding")
    assert finding["finding.severity"] == "high" and finding["sharing_level"] == "TLP:CLEAR"


def test_jsonl_export_streams_every_record_as_records_shows_it(client, indexes, monkeypatch):
    from portal.api import exports

    monkeypatch.setattr(exports, "BATCH", 4)  # several batches
    for i in range(10):
        FindingFactory(parent=indexes["finding"], title=f"Finding {i:03}")
    response = client.get("/api/v1/records/", {"format": "jsonl", "ordering": "title"})
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in body(response).splitlines()]
    assert [r["title"] for r in lines] == [f"Finding {i:03}" for i in range(10)]
    first = client.get("/api/v1/records/", {"ordering": "title", "page_size": 1}).json()["results"][0]
    assert lines[0] == first


def test_exports_apply_the_filters(client, indexes):
    FindingFactory(parent=indexes["finding"], title="Finding")
    FrameworkFactory(parent=indexes["framework"], title="Framework")
    lines = body(client.get("/api/v1/records/", {"format": "jsonl", "kind": "framework"})).splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Framework"]
    assert client.get("/api/v1/records/", {"format": "csv", "topic": "nope"}).status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    "bad, parameter",
    [("published_after=last-week", "published_after"), ("kind=poem", "kind"), ("ordering=nope", "ordering")],
)
def test_a_bad_filter_with_an_export_format_names_the_parameter(client, db, fmt, bad, parameter):
    """Issue 16: with format=csv or jsonl a bad filter answered a generic 400 ("The request is not
    valid."): the error, rendered as CSV, was replaced by the catch-all. It is JSON, as every error."""
    response = client.get(f"/api/v1/records/?format={fmt}&{bad}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert parameter in error["message"] and parameter in error.get("parameters", {}), error
