"""records/ and the typed lists: fields, visibility, filters, ordering and cursor paging."""

import datetime

import pytest

from django.utils import timezone

from tests.factories import FindingFactory, TopicFactory

pytestmark = pytest.mark.django_db


def by_title(items):
    return {item["title"]: item for item in items}


def test_records_lists_every_kind_the_anonymous_caller_may_see(api, corpus):
    titles = set(by_title(api.all("/api/v1/records/")))
    assert titles == {"NIST AI RMF", "Zulu jailbreaks GPT-4", "Airline chatbot promised a refund"}


def test_signed_in_partner_also_sees_green_records(api, client, corpus, partner):
    client.force_login(partner)
    assert "Partner-only evaluation" in by_title(api.all("/api/v1/records/"))


def test_record_detail_shows_common_fields_links_backlinks_and_kind_fields(api, corpus):
    zulu = corpus["zulu"]
    record = api.get(f"/api/v1/records/{zulu.translation_key}/")
    assert record["uuid"] == str(zulu.translation_key)
    assert record["kind"] == "finding"
    assert record["summary"] == "Translating harmful requests into Zulu bypasses safety training."
    assert record["publication_date"] == "2023-10-01"
    assert record["web_url"] == f"http://testserver{zulu.url}"  # the host the API was asked on
    assert record["api_url"].endswith(f"/api/v1/records/{zulu.translation_key}/")
    assert record["topics"] == [{"slug": "jailbreak", "name": "Jailbreaks"}]
    assert record["languages"] == [{"code": "zu", "slug": "zulu", "name": "Zulu"}]
    assert record["jurisdictions"] == [{"code": "SG", "slug": "singapore", "name": "Singapore"}]
    assert record["sharing"] == {"level": "TLP:CLEAR", "owning_organisation": None}
    assert record["finding"]["authors"] == ["Zheng-Xin Yong", "Cristina Menghini"]
    assert record["finding"]["severity"] == "high"
    assert record["finding"]["severity_label"] == "High"
    assert "framework" not in record and "lesson" not in record
    # The link to the draft is left out; the link to the framework names the provision.
    (link,) = record["links"]
    assert link["type"] == "addresses"
    assert link["label"] == "addresses"
    assert link["inverse_label"] == "is addressed by"
    assert link["record"]["uuid"] == str(corpus["rmf"].translation_key)
    assert link["record"]["kind"] == "framework"
    assert link["provision"] == {"code": "GOVERN", "title": "Govern"}
    (backlink,) = record["backlinks"]
    assert backlink["label"] == "is cited by"
    assert backlink["record"]["title"] == "Airline chatbot promised a refund"


def test_backlinks_from_records_the_caller_may_not_see_are_left_out(api, client, corpus, partner):
    rmf = corpus["rmf"].translation_key
    anonymous = api.get(f"/api/v1/records/{rmf}/")
    assert [b["record"]["title"] for b in anonymous["backlinks"]] == ["Zulu jailbreaks GPT-4"]
    client.force_login(partner)
    signed_in = api.get(f"/api/v1/records/{rmf}/")
    assert {b["record"]["title"] for b in signed_in["backlinks"]} == {
        "Zulu jailbreaks GPT-4",
        "Partner-only evaluation",
    }


def test_framework_detail_shows_provisions_as_a_tree(api, corpus):
    framework = api.get(f"/api/v1/frameworks/{corpus['rmf'].translation_key}/")
    tree = framework["framework"]["provisions"]
    assert [p["code"] for p in tree] == ["GOVERN", "MAP"]
    assert [p["code"] for p in tree[0]["children"]] == ["GOVERN 1.1"]
    assert tree[0]["children"][0]["anchor"] == "govern-1-1"
    assert framework["framework"]["issuing_body"]["slug"] == "nist"
    provisions = api.get(f"/api/v1/frameworks/{corpus['rmf'].translation_key}/provisions/")
    assert provisions == tree


def test_lesson_detail_shows_recommendations_as_a_list(api, corpus):
    lesson = api.get(f"/api/v1/lessons/{corpus['chatbot'].translation_key}/")
    assert lesson["lesson"]["recommendations"] == ["Check what the bot says.", "Own its answers."]


def test_records_the_caller_may_not_see_answer_404_everywhere(api, corpus):
    for record in (corpus["green"], corpus["draft"]):
        for path in ("records", "findings"):
            body = api.get(f"/api/v1/{path}/{record.translation_key}/", status=404)
            assert body["error"]["status"] == 404
    api.get(f"/api/v1/frameworks/{corpus['zulu'].translation_key}/", status=404)  # not a framework


def test_typed_lists_hold_one_kind(api, corpus):
    assert {r["kind"] for r in api.all("/api/v1/findings/")} == {"finding"}
    assert [r["title"] for r in api.all("/api/v1/frameworks/")] == ["NIST AI RMF"]
    assert [r["title"] for r in api.all("/api/v1/lessons/")] == ["Airline chatbot promised a refund"]


FILTER_CASES = [
    ({"kind": "framework"}, {"NIST AI RMF"}),
    ({"kind": "finding,lesson"}, {"Zulu jailbreaks GPT-4", "Airline chatbot promised a refund"}),
    ({"kind": ["finding", "lesson"]}, {"Zulu jailbreaks GPT-4", "Airline chatbot promised a refund"}),
    ({"topic": "safety"}, {"NIST AI RMF", "Zulu jailbreaks GPT-4"}),  # jailbreak sits under safety
    ({"topic": "jailbreak"}, {"Zulu jailbreaks GPT-4"}),
    ({"topic": "jailbreak,privacy"}, {"Zulu jailbreaks GPT-4", "Airline chatbot promised a refund"}),
    ({"sector": "finance"}, {"Zulu jailbreaks GPT-4"}),
    ({"jurisdiction": "SG"}, {"Zulu jailbreaks GPT-4"}),
    ({"language": "zu"}, {"Zulu jailbreaks GPT-4"}),
    ({"organisation": "nist"}, {"NIST AI RMF"}),
    ({"published_after": "2023-10-01"}, {"Zulu jailbreaks GPT-4", "Airline chatbot promised a refund"}),
    ({"published_before": "2023-10-01"}, {"NIST AI RMF", "Zulu jailbreaks GPT-4"}),
    ({"topic": "privacy", "kind": "lesson"}, {"Airline chatbot promised a refund"}),
    ({"topic": "privacy", "kind": "finding"}, set()),
    ({"q": "zulu"}, {"Zulu jailbreaks GPT-4"}),
    ({"q": "evaluation"}, set()),  # matches the green record only, which anonymous callers cannot see
]


def test_records_filters_combine_any_value_within_and_every_filter_across(api, corpus):
    for params, titles in FILTER_CASES:
        assert set(by_title(api.all("/api/v1/records/", **params))) == titles, params


def test_modified_since_lists_records_published_at_or_after_that_time(api, corpus):
    start = timezone.now()
    corpus["zulu"].save_revision().publish()
    assert set(by_title(api.all("/api/v1/records/", modified_since=start.isoformat()))) == {"Zulu jailbreaks GPT-4"}
    assert api.all("/api/v1/records/", modified_since="2100-01-01T00:00:00Z") == []
    titles = [r["title"] for r in api.all("/api/v1/records/", ordering="-modified", page_size=1)]
    assert titles[0] == "Zulu jailbreaks GPT-4" and len(titles) == 3


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"topic": "no-such-topic"}, "topic"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"kind": "memo"}, "kind"),
        ({"published_after": "yesterday"}, "published_after"),
        ({"published_after": "2024-01-02", "published_before": "2024-01-01"}, "published_before"),
        ({"modified_since": "2024-13-01"}, "modified_since"),
        ({"ordering": "size"}, "ordering"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"cursor": "forged"}, "cursor"),
    ],
)
def test_invalid_parameters_are_400_naming_the_parameter(api, db, params, parameter):
    body = api.get("/api/v1/records/", status=400, **params)
    assert body["error"]["code"] == "invalid"
    assert parameter in body["error"]["parameters"]
    assert parameter in body["error"]["message"]


def test_ordering_by_title_and_published(api, corpus):
    titles = [r["title"] for r in api.all("/api/v1/records/", ordering="title")]
    assert titles == sorted(titles)
    dates = [r["publication_date"] for r in api.all("/api/v1/records/", ordering="-published")]
    assert dates == sorted(dates, reverse=True)
    assert [r["title"] for r in api.all("/api/v1/records/", ordering="-title")] == titles[::-1]


def test_cursor_from_one_ordering_is_refused_for_another(api, corpus):
    page = api.get("/api/v1/records/", page_size=1, ordering="title")
    cursor = page["next"].split("cursor=")[1].split("&")[0]
    from urllib.parse import unquote

    body = api.get("/api/v1/records/", status=400, cursor=unquote(cursor), ordering="published")
    assert "cursor" in body["error"]["parameters"]


def test_cursor_paging_is_stable_under_concurrent_inserts(api, indexes):
    topic = TopicFactory()
    for i in range(7):
        FindingFactory(parent=indexes["finding"], title=f"Old {i}", publication_date=datetime.date(2020, 1, 1 + i))
    first = api.get("/api/v1/records/", page_size=3, ordering="published")
    # Records added before and after the cursor position while a client pages through.
    FindingFactory(parent=indexes["finding"], title="Inserted early", publication_date=datetime.date(2019, 1, 1))
    FindingFactory(parent=indexes["finding"], title="Inserted late", publication_date=datetime.date(2030, 1, 1))
    FindingFactory(
        parent=indexes["finding"], title="Same day", publication_date=datetime.date(2020, 1, 3), topics=[topic]
    )
    seen = [r["title"] for r in first["results"]]
    page = first
    while page["next"]:
        page = api.client.get(page["next"]).json()
        seen += [r["title"] for r in page["results"]]
    old = [f"Old {i}" for i in range(7)]
    assert [t for t in seen if t.startswith("Old")] == old  # each old record once, in order
    assert "Inserted late" in seen and "Inserted early" not in seen


def test_default_page_size_is_20(api, indexes):
    for i in range(21):
        FindingFactory(parent=indexes["finding"], title=f"F{i}")
    page = api.get("/api/v1/records/")
    assert len(page["results"]) == 20 and page["page_size"] == 20 and page["next"]


def test_body_is_shown_as_html_and_as_plain_text(api, indexes):
    finding = FindingFactory(
        parent=indexes["finding"],
        body=[
            ("heading", {"text": "Method", "level": "h2"}),
            ("paragraph", "<p>We tested <b>twelve</b> languages &amp; dialects.</p>"),
        ],
    )
    record = api.get(f"/api/v1/records/{finding.translation_key}/")
    assert "<b>twelve</b>" in record["body_html"]
    assert record["body_text"] == "Method\nWe tested twelve languages & dialects."


def test_every_declared_record_field_is_in_the_answer_and_nothing_else(api, corpus):
    from portal.api.serializers import RecordSerializer

    declared = set(RecordSerializer().fields)
    kinds = {"framework", "finding", "lesson"}
    for record in api.all("/api/v1/records/"):
        assert set(record) == declared - (kinds - {record["kind"]})


def test_web_url_uses_the_host_the_api_was_asked_on(client, corpus):
    """Issue 16: under `make run` web_url said http://localhost/… (Wagtail's default site) while
    the site is served at 127.0.0.1:8000; sitemap, feeds and JSON-LD already used the request's host."""
    zulu = corpus["zulu"]
    record = client.get(f"/api/v1/records/{zulu.translation_key}/", HTTP_HOST="127.0.0.1:8000").json()
    assert record["web_url"] == f"http://127.0.0.1:8000{zulu.url}"
    listed = client.get("/api/v1/findings/", HTTP_HOST="127.0.0.1:8000").json()["results"]
    assert all(item["web_url"].startswith("http://127.0.0.1:8000/") for item in listed)
    hit = client.get("/api/v1/search/", {"q": "zulu"}, HTTP_HOST="127.0.0.1:8000").json()["results"][0]
    assert hit["web_url"].startswith("http://127.0.0.1:8000/")
