"""Fixtures for the search tests: our Whoosh backend on a private folder, the database backend,
and a small set of records indexed into whichever backend a contract test runs on."""

import datetime

import pytest

from modelsearch.backends import get_search_backend

from portal.search.rebuild import rebuild_backend
from portal.search.whoosh import WhooshSearchBackend
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory, TopicFactory


@pytest.fixture
def whoosh_backend(tmp_path):
    return WhooshSearchBackend({"PATH": str(tmp_path / "index"), "REBUILD_PROCS": 1})


@pytest.fixture(params=["whoosh", "database"])
def backend(request, tmp_path):
    """Each contract test runs once on our backend and once on modelsearch's database backend
    (SQLite FTS5 or PostgreSQL, whichever database the tests run on)."""
    if request.param == "whoosh":
        return WhooshSearchBackend({"PATH": str(tmp_path / "index"), "REBUILD_PROCS": 1})
    return get_search_backend("modelsearch.backends.database")


@pytest.fixture
def records(indexes):
    """Records of every kind, with distinctive words in known fields."""
    privacy = TopicFactory(name="Membership inference", description="Recovering training data.")
    made = {
        "jailbreak": FindingFactory(
            parent=indexes["finding"],
            title="Multilingual jailbreak attacks on a chatbot",
            summary="Low-resource languages bypass refusal training.",
            finding_type="evaluation",
            status="peer_reviewed",
            methodology="Translated harmful prompts into Zulu and Scots Gaelic.",
            publication_date=datetime.date(2023, 10, 3),
        ),
        "poisoning": FindingFactory(
            parent=indexes["finding"],
            title="Poisoning web-scale training datasets",
            summary="Attackers can cheaply poison the data a chatbot learns from.",
            finding_type="vulnerability",
            status="preliminary",
            publication_date=datetime.date(2024, 2, 20),
            topics=[privacy],
        ),
        "study": FindingFactory(
            parent=indexes["finding"],
            title="Refusal behaviour study",
            summary="How often assistants refuse harmless requests.",
            finding_type="study",
            status="replicated",
            publication_date=datetime.date(2022, 6, 1),
        ),
        "framework": FrameworkFactory(
            parent=indexes["framework"],
            title="Risk management framework for chatbot makers",
            summary="Voluntary guidance on governing generative systems.",
            publication_date=datetime.date(2023, 1, 26),
        ),
        "lesson": LessonFactory(
            parent=indexes["lesson"],
            title="Lesson from a chatbot outage",
            summary="A support chatbot invented a refund policy.",
            publication_date=datetime.date(2024, 4, 1),
        ),
    }
    draft = FindingFactory(
        parent=indexes["finding"],
        title="Unpublished chatbot jailbreak draft",
        summary="Not yet reviewed.",
        live=False,
        publication_date=datetime.date(2024, 5, 5),
    )
    made["draft"] = draft
    return made


@pytest.fixture
def indexed(backend, records):
    """``records`` written into ``backend`` by a full rebuild."""
    rebuild_backend(backend)
    return records
