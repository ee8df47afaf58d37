"""Phrases on the Whoosh backend: word positions read from posting blocks, and the cache of
decoded blocks that later phrases with the same words reuse."""

import random

import pytest

from modelsearch.query import Phrase

from portal.models import Topic
from portal.search.rebuild import rebuild_backend
from portal.search.whoosh_internals import BlockCache

pytestmark = pytest.mark.django_db

WORDS = ["zorb", "quix", "flam", "trel", "vond", "gaspo", "mirk", "tundel"]


@pytest.fixture
def topics(whoosh_backend):
    """400 topics whose descriptions use a few made-up words, so each word has hundreds of
    postings (several posting blocks) and phrases have many candidates."""
    rng = random.Random(7)
    Topic.objects.bulk_create(
        Topic(name=f"Topic {i}", slug=f"topic-{i}", description=" ".join(rng.choices(WORDS, k=12))) for i in range(400)
    )
    rebuild_backend(whoosh_backend, out=None)
    return {topic.pk: topic.description.split() for topic in Topic.objects.all()}


def _expected(descriptions, first, second):
    return {pk for pk, words in descriptions.items() if any(words[i : i + 2] == [first, second] for i in range(11))}


def test_phrases_match_consecutive_words_the_same_with_cold_and_warm_blocks(whoosh_backend, topics):
    for first, second in [("zorb", "quix"), ("quix", "zorb"), ("tundel", "mirk"), ("flam", "flam")]:
        expected = _expected(topics, first, second)
        assert expected  # the corpus holds each phrase somewhere
        for _ in range(2):  # decoded blocks come from disk, then from the cache
            found = {t.pk for t in whoosh_backend.search(Phrase(f"{first} {second}"), Topic.objects.all())}
            assert found == expected


class FakeMatcher:
    """What BlockCache reads of Whoosh's block matcher: the block's offset and its data."""

    def __init__(self, offset):
        self._dataoffset = offset
        self._data = None
        self._ids = None
        self.reads = 0

    def _read_data(self):
        self.reads += 1
        self._data = ((5, 1, 2), None, ())  # document ids as deltas, weights, values


def test_block_cache_keeps_the_most_recently_used_blocks():
    cache = BlockCache(size=2)
    first, second, again, third = FakeMatcher(10), FakeMatcher(20), FakeMatcher(10), FakeMatcher(30)
    for matcher in (first, second, again, third):
        cache.load(matcher)
    assert again.reads == 0  # block 10 came from the cache
    assert again._ids == (5, 6, 8)
    assert list(cache.blocks) == [10, 30]  # block 20 was the least recently used
