"""The relevance benchmark (``bench/relevance.py``): its metrics on small rankings worked out by
hand, and its judged queries (``bench/relevance_judgments.yaml``) against the curated dataset they
grade. These tests read files only; they need no database and run no search."""

import re
from pathlib import Path

import pytest
import yaml

from bench import relevance

CURATED = Path(relevance.ROOT) / "data" / "curated"

#: The queries of the bug report (issue 14) that the judgments must keep.
BUG_REPORT_QUERIES = [
    "evaluating",
    "evaluate",
    "evaluation",
    "jailbroken",
    "hallucinated",
    "hallucination",
    "hiring",
    "data poisoning",
    "incident reporting",
    "human oversight",
    "jailbrake attacks",
    "self-driving car crash",
    "hiring algorithm discrimination",
    "Tramer",
    "how do I evaluate an LLM for prompt injection?",
]


# Metrics


def test_the_gain_of_a_grade_is_two_to_the_grade_minus_one():
    assert [relevance.gain(grade) for grade in (0, 1, 2, 3)] == [0, 1, 3, 7]


def test_a_ranking_in_the_ideal_order_has_ndcg_one():
    judged = {"finding/a": 3, "lesson/b": 2, "framework/c": 1}
    assert relevance.ndcg(["finding/a", "lesson/b", "framework/c", "finding/x"], judged) == pytest.approx(1.0)


def test_ndcg_of_a_known_ranking():
    # DCG = (2^2-1)/log2(2) + 0/log2(3) + (2^3-1)/log2(4) = 3 + 0 + 3.5 = 6.5
    # ideal = 7/log2(2) + 3/log2(3) = 7 + 1.892789 = 8.892789; 6.5 / 8.892789 = 0.730930
    judged = {"finding/a": 3, "finding/b": 2}
    assert relevance.ndcg(["finding/b", "finding/x", "finding/a"], judged) == pytest.approx(0.730930, abs=1e-6)


def test_ndcg_counts_only_the_first_ten_results():
    judged = {"finding/a": 3}
    ranked = [f"finding/x{n}" for n in range(10)] + ["finding/a"]
    assert relevance.ndcg(ranked, judged) == 0.0
    assert relevance.ndcg(ranked[1:], judged) == pytest.approx(1 / 3.4594316, abs=1e-6)  # 1 / log2(11)


def test_ideal_ndcg_uses_only_the_best_ten_judged_records():
    judged = {f"finding/j{n}": 3 for n in range(12)}
    assert relevance.ndcg([f"finding/j{n}" for n in range(10)], judged) == pytest.approx(1.0)


def test_a_query_whose_judged_records_are_absent_scores_zero_everywhere():
    judged = {"finding/a": 3, "lesson/b": 1}
    ranked = ["finding/x", "finding/y"]
    assert relevance.ndcg(ranked, judged) == 0.0
    assert relevance.precision(ranked, judged) == 0.0
    assert relevance.reciprocal_rank(ranked, judged) == 0.0
    assert relevance.recall(ranked, judged) == 0.0
    assert relevance.ndcg([], judged) == 0.0


def test_reciprocal_rank_is_that_of_the_first_result_graded_two_or_more():
    judged = {"finding/marginal": 1, "finding/relevant": 2, "finding/exact": 3}
    assert relevance.reciprocal_rank(["finding/x", "finding/marginal", "finding/relevant"], judged) == pytest.approx(
        1 / 3
    )
    assert relevance.reciprocal_rank(["finding/exact", "finding/relevant"], judged) == 1.0
    assert relevance.reciprocal_rank(["finding/marginal"], judged) == 0.0


def test_precision_at_five_counts_results_graded_two_or_more_over_five_places():
    judged = {"finding/a": 3, "finding/b": 2, "finding/c": 1, "finding/d": 2, "finding/e": 3}
    ranked = ["finding/a", "finding/x", "finding/b", "finding/c", "finding/d", "finding/e"]
    assert relevance.precision(ranked, judged) == pytest.approx(3 / 5)
    assert relevance.precision(["finding/a"], judged) == pytest.approx(1 / 5)  # empty places count as misses


def test_recall_at_ten_is_the_share_of_records_graded_one_or_more_in_the_first_ten():
    judged = {"finding/a": 3, "finding/b": 1, "finding/c": 2, "finding/d": 1}
    assert relevance.recall(["finding/b", "finding/x", "finding/a"], judged) == pytest.approx(2 / 4)
    ranked = [f"finding/x{n}" for n in range(10)] + ["finding/a", "finding/b", "finding/c", "finding/d"]
    assert relevance.recall(ranked, judged) == 0.0


def test_summary_averages_over_queries_and_lists_the_queries_without_results():
    queries = [
        relevance.Query("alpha", "short", {"finding/a": 3}),
        relevance.Query("beta", "typo", {"finding/b": 2}),
    ]
    found = {
        "alpha": {"total": 1, "top": ["finding/a"], "message": "", "spelling": None},
        "beta": {"total": 0, "top": [], "message": "", "spelling": None},
    }
    summary = relevance.summarise(relevance.score(queries, found))
    assert summary["ndcg@10"] == pytest.approx(0.5)
    assert summary["p@5"] == pytest.approx(0.1)
    assert summary["mrr"] == pytest.approx(0.5)
    assert summary["zero_hits"] == ["beta"]
    assert summary["ndcg@10_by_kind"] == {"short": 1.0, "typo": 0.0}


def test_a_judgments_file_with_an_unknown_kind_is_refused(tmp_path):
    path = tmp_path / "judgments.yaml"
    path.write_text("queries:\n  - query: x\n    kind: slang\n    grades: {finding/a: 3}\n")
    with pytest.raises(ValueError, match="unknown kind"):
        relevance.load_judgments(path)


# The judgments against the dataset


def _curated_records():
    """{"kind/slug": record} of every record in data/curated."""
    records = {}
    for path in sorted(CURATED.rglob("*.yaml")):
        for record in yaml.safe_load(path.read_text(encoding="utf-8")).get("records", []):
            records[f"{record['kind']}/{record['slug']}"] = record
    return records


@pytest.fixture(scope="module")
def queries():
    return relevance.load_judgments()


@pytest.fixture(scope="module")
def records():
    return _curated_records()


def test_the_judgments_hold_at_least_55_queries_of_the_known_kinds(queries):
    assert len(queries) >= 55
    assert {query.kind for query in queries} <= set(relevance.KINDS)


def test_the_judgments_keep_the_queries_of_the_bug_report(queries):
    texts = {query.text for query in queries}
    assert [text for text in BUG_REPORT_QUERIES if text not in texts] == []


def test_every_query_has_a_record_graded_two_or_more(queries):
    assert [query.text for query in queries if max(query.grades.values(), default=0) < 2] == []


def test_every_graded_record_exists_in_the_curated_dataset(queries, records):
    missing = [(query.text, key) for query in queries for key in query.grades if key not in records]
    assert missing == []


def test_every_provision_named_exists_in_its_framework_and_the_framework_is_graded(queries, records):
    wrong = []
    for query in queries:
        for slug, code in query.provisions.items():
            framework = records.get(f"framework/{slug}")
            codes = {p["code"] for p in framework["framework"]["provisions"]} if framework else set()
            if code not in codes or f"framework/{slug}" not in query.grades:
                wrong.append((query.text, slug, code))
    assert wrong == []


def test_identifier_queries_name_an_identifier_or_uuid_their_best_record_carries(queries, records):
    wrong = []
    for query in (q for q in queries if q.kind == "identifier"):
        asked = re.sub(r"^(doi|arxiv)[: ]", "", query.text.strip().lower())
        for key in (key for key, grade in query.grades.items() if grade == 3):
            record = records[key]
            carried = [record["uuid"]] + [identifier["value"] for identifier in record["identifiers"]]
            if not any(asked in str(value).lower() for value in carried):
                wrong.append((query.text, key))
    assert wrong == []
