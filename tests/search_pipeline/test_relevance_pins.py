"""A few rankings of the judged relevance set (``bench/relevance_judgments.yaml``), pinned: the
curated dataset is loaded and the public search must put a record graded 3 among its first three
results for each of these queries. The whole set is measured by ``bench/relevance.py``."""

from io import StringIO
from pathlib import Path

import pytest
import yaml

from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from portal.models import RecordPage
from portal.services import search

JUDGMENTS = Path(__file__).resolve().parents[2] / "bench" / "relevance_judgments.yaml"

#: The queries of the bug report that the relevance work answered (word forms, tags, typos,
#: identifiers, provisions, synonyms, accents, questions).
PINNED = [
    "evaluating",
    "jailbroken",
    "hallucinated",
    "hiring",
    "data poisoning",
    "jailbrake attacks",
    "incident reporting",
    "self-driving car crash",
    "hiring algorithm discrimination",
    "Tramer",
    "CVE-2025-32711",
    "what does the EU AI Act require for high-risk AI systems?",
]


def _graded():
    queries = yaml.safe_load(JUDGMENTS.read_text())["queries"]
    return {item["query"]: item for item in queries}


@pytest.mark.django_db
def test_pinned_queries_put_a_record_graded_3_among_the_first_three(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    # A fresh index: documents other tests of this process left in the shared one would change
    # the statistics that ranking reads (the database rolls back; an index folder does not).
    backend = settings.WAGTAILSEARCH_BACKENDS["default"]
    settings.WAGTAILSEARCH_BACKENDS = {"default": {**backend, "PATH": str(tmp_path / "index")}}
    settings.PORTAL_SAMPLE_DATA = ""
    # As the site loads it: the index written once the import commits, one write per model.
    settings.TASKS_AFTER_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=StringIO())
    settings.TASKS_AFTER_COMMIT = False
    records = RecordPage.objects.visible_to(AnonymousUser())
    graded = _graded()
    missed = {}
    for query in PINNED:
        best = {key.split("/", 1)[1] for key, grade in graded[query]["grades"].items() if grade == 3}
        first = [record.slug for record in search.search(records, query).records[:3]]
        if not best & set(first):
            missed[query] = first
    assert not missed, missed

    # The EU AI Act is found through its article on incident reports, and the result says so.
    outcome = search.search(records, "incident reporting")
    act = next(record for record in outcome.records if record.slug == "eu-ai-act")
    assert str(act.matched_part) == "Art. 73 Reporting of serious incidents"
    # A misspelt word is searched as the closest word the visitor can find, and the outcome says so.
    assert search.search(records, "jailbrake attacks").corrected == "jailbreak attacks"
