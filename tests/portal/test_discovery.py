"""Discovery on record pages: similar records with reasons, the relationship map, the evidence
map and the framework comparison picker."""

import pytest

from tests.factories import (
    CrossLinkFactory,
    FindingFactory,
    FrameworkFactory,
    LessonFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rmf(indexes):
    framework = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="AI RMF")
    govern = ProvisionFactory(framework=framework, code="GOVERN 1.1", sort_order=0)
    measure = ProvisionFactory(framework=framework, code="MEASURE 2.7", sort_order=1)
    ProvisionFactory(framework=framework, code="MAP 1", sort_order=2)
    return framework, govern, measure


def test_similar_records_explain_why_they_are_suggested(client, indexes, rmf):
    framework, govern, _ = rmf
    injection = TopicFactory(name="Prompt injection", slug="prompt-injection")
    finding = FindingFactory(parent=indexes["finding"], slug="f", title="Indirect injection study")
    CrossLinkFactory(source=finding, target=framework, target_provision=govern)
    also = LessonFactory(parent=indexes["lesson"], title="Support bot leak")
    CrossLinkFactory(source=also, target=framework, target_provision=govern)
    same_topic = FindingFactory(parent=indexes["finding"], title="Another study", topics=[injection])
    finding.topics.add(injection)
    finding.save()
    unrelated = FindingFactory(parent=indexes["finding"], title="Unrelated", sectors=[SectorFactory()])

    content = client.get("/findings/f/").content.decode()
    similar = content[content.index('id="similar-heading"') :]
    assert "Support bot leak" in similar and "Also addresses GOVERN 1.1" in similar
    assert "Another study" in similar and "Same topic: Prompt injection" in similar
    assert unrelated.title not in similar
    assert same_topic.title in similar


def test_similar_records_leave_out_records_the_visitor_may_not_see(client, indexes, rmf):
    framework, govern, _ = rmf
    finding = FindingFactory(parent=indexes["finding"], slug="f")
    CrossLinkFactory(source=finding, target=framework, target_provision=govern)
    hidden = FindingFactory(parent=indexes["finding"], title="Hidden neighbour", sharing_level="TLP:GREEN")
    CrossLinkFactory(source=hidden, target=framework, target_provision=govern)
    assert "Hidden neighbour" not in client.get("/findings/f/").content.decode()


def test_relationship_map_draws_each_linked_record_as_a_link(client, indexes, rmf):
    framework, govern, _ = rmf
    finding = FindingFactory(parent=indexes["finding"], slug="f", title="Jailbreak study")
    lesson = LessonFactory(parent=indexes["lesson"], slug="l", title="Telecom incident")
    CrossLinkFactory(source=finding, target=framework, target_provision=govern)
    CrossLinkFactory(source=lesson, target=finding, link_type="supports")
    content = client.get("/findings/f/").content.decode()
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert 'href="/frameworks/rmf/"' in svg and 'href="/lessons/l/"' in svg
    assert "is supported by" in svg and "addresses" in svg
    assert 'role="group"' in svg


def test_record_without_links_has_no_map(client, indexes):
    FindingFactory(parent=indexes["finding"], slug="alone")
    assert "<svg" not in client.get("/findings/alone/").content.decode()


def test_evidence_map_counts_findings_and_lessons_per_provision_and_marks_gaps(client, indexes, rmf):
    framework, govern, measure = rmf
    for _ in range(2):
        CrossLinkFactory(source=FindingFactory(parent=indexes["finding"]), target=framework, target_provision=govern)
    CrossLinkFactory(source=LessonFactory(parent=indexes["lesson"]), target=framework, target_provision=govern)
    hidden = FindingFactory(parent=indexes["finding"], sharing_level="TLP:RED")
    CrossLinkFactory(source=hidden, target=framework, target_provision=measure)
    response = client.get("/frameworks/rmf/evidence/")
    assert response.status_code == 200
    rows = {row["provision"].code: (row["findings"], row["lessons"]) for row in response.context["rows"]}
    assert rows == {"GOVERN 1.1": (2, 1), "MEASURE 2.7": (0, 0), "MAP 1": (0, 0)}
    assert response.context["gaps"] == 2
    assert response.content.decode().count('class="gap"') == 2
    assert "/frameworks/rmf/evidence/" in client.get("/frameworks/rmf/").content.decode()


def test_evidence_map_query_count_does_not_grow_with_links(client, indexes, rmf, django_assert_max_num_queries):
    framework, govern, _ = rmf

    def add(n):
        for _ in range(n):
            CrossLinkFactory(
                source=FindingFactory(parent=indexes["finding"]), target=framework, target_provision=govern
            )

    add(2)
    client.get("/frameworks/rmf/evidence/")
    with django_assert_max_num_queries(40) as few:
        client.get("/frameworks/rmf/evidence/")
    add(10)
    with django_assert_max_num_queries(len(few)):
        client.get("/frameworks/rmf/evidence/")


def test_compare_picker_goes_to_the_chosen_comparison(client, indexes, rmf):
    FrameworkFactory(parent=indexes["framework"], slug="iso-42001", title="ISO/IEC 42001")
    FrameworkFactory(parent=indexes["framework"], slug="quoted", title='A "quoted" <b>code</b> & more')
    page = client.get("/frameworks/rmf/").content.decode()
    assert 'action="/frameworks/rmf/compare/"' in page and 'value="iso-42001"' in page
    assert '<option value="quoted">A &quot;quoted&quot; &lt;b&gt;code&lt;/b&gt; &amp; more</option>' in page
    response = client.get("/frameworks/rmf/compare/?with=iso-42001")
    assert response.status_code == 302 and response["Location"] == "/frameworks/rmf/compare/iso-42001/"
    comparison = client.get("/frameworks/rmf/compare/iso-42001/").content.decode()
    assert "no crosswalk between these two frameworks yet" in comparison
    assert "0 of 3 provisions of AI RMF relate to ISO/IEC 42001 (0%)" in comparison
    for bad in ("", "?with=", "?with=rmf", "?with=nope", "?with=%00"):
        assert client.get(f"/frameworks/rmf/compare/{bad}").status_code == 404


def test_record_page_query_count_with_similar_records_and_map_stays_bounded(
    client, indexes, rmf, django_assert_max_num_queries, uncached_pages
):
    framework, govern, _ = rmf
    topic = TopicFactory()
    finding = FindingFactory(parent=indexes["finding"], slug="f", topics=[topic])
    CrossLinkFactory(source=finding, target=framework, target_provision=govern)

    def add(n):
        for _ in range(n):
            other = FindingFactory(parent=indexes["finding"], topics=[topic])
            CrossLinkFactory(source=other, target=framework, target_provision=govern)
            CrossLinkFactory(source=other, target=finding, link_type="cites")

    add(2)
    client.get("/findings/f/")
    with django_assert_max_num_queries(45) as few:
        client.get("/findings/f/")
    add(12)
    with django_assert_max_num_queries(len(few)):
        client.get("/findings/f/")
