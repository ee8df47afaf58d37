"""Writing from many processes: no lock error, no lost update, crash safety, merging."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings as django_settings

from portal.models import Topic
from portal.search.drift import index_drift
from portal.search.rebuild import Rebuild
from portal.search.storage import IndexStore
from portal.search.whoosh import WhooshSearchBackend

pytestmark = pytest.mark.django_db
ROOT = Path(django_settings.BASE_DIR)
WRITER = Path(__file__).with_name("writer_process.py")


def _fields(topic, **changes):
    fields = {"id": topic.id, "name": topic.name, "slug": topic.slug, "description": topic.description}
    fields.update(changes)
    return fields


def _start(index_path, plan, tmp_path, name):
    plan_file = tmp_path / f"{name}.json"
    plan_file.write_text(json.dumps(plan))
    return subprocess.Popen([sys.executable, str(WRITER), index_path, str(plan_file)], cwd=ROOT)  # noqa: S603


def _names(backend):
    return sorted(t.name for t in backend.search("topic", Topic))


def test_four_processes_saving_and_deleting_at_once_lose_nothing(tmp_path):
    index_path = str(tmp_path / "index")
    backend = WhooshSearchBackend({"PATH": index_path})
    topics = Topic.objects.bulk_create(
        [Topic(name=f"topic {n} v0", slug=f"topic-{n}", description="") for n in range(100)]
    )
    plans = []
    for worker in range(4):
        mine = topics[worker * 25 : (worker + 1) * 25]
        ops = [("save", _fields(t, name=f"topic {t.slug} v1")) for t in mine]
        for n, t in enumerate(mine):
            ops.append(("delete", _fields(t)) if n % 3 == 0 else ("save", _fields(t, name=f"topic {t.slug} v2")))
        plans.append({"ops": ops})
    processes = [_start(index_path, plan, tmp_path, f"w{n}") for n, plan in enumerate(plans)]
    assert [p.wait(timeout=300) for p in processes] == [0, 0, 0, 0]

    # The database gets the same final state; the index must hold exactly that.
    for n, topic in enumerate(topics):
        if n % 25 % 3 == 0:
            topic.delete()
        else:
            Topic.objects.filter(pk=topic.pk).update(name=f"topic {topic.slug} v2")
    report = index_drift(backend.get_index_for_model(Topic))
    assert (report.missing, report.stale, report.extra) == ([], [], [])
    assert report.indexed == 64


def test_a_write_in_another_process_is_visible_to_the_next_search(tmp_path, whoosh_backend):
    topic = Topic.objects.create(name="Before the change", slug="visible", description="")
    whoosh_backend.add(topic)
    assert [t.name for t in whoosh_backend.search("before", Topic)] == ["Before the change"]
    Topic.objects.filter(pk=topic.pk).update(name="After the change")
    plan = {"ops": [("save", _fields(topic, name="After the change"))]}
    assert _start(str(whoosh_backend.path), plan, tmp_path, "one").wait(timeout=120) == 0
    assert [t.name for t in whoosh_backend.search("after", Topic)] == ["After the change"]


def test_process_killed_mid_commit_leaves_the_previous_version_and_no_lost_update(tmp_path, whoosh_backend):
    first = Topic.objects.create(name="topic committed", slug="committed", description="")
    second = Topic.objects.create(name="topic in flight", slug="in-flight", description="")
    whoosh_backend.add(first)
    plan = {"ops": [], "die_in_commit": _fields(second)}
    assert _start(str(whoosh_backend.path), plan, tmp_path, "dies").wait(timeout=120) == 17

    store = whoosh_backend.get_index_for_model(Topic).store
    gen_dir = store.gen_dir(store.current())
    segment_files = lambda: {p.name for p in gen_dir.iterdir() if p.suffix == ".seg"}  # noqa: E731
    assert len(segment_files()) == 2  # the committed segment and the orphan of the killed commit
    assert len(list(store.queue_dir(store.current()).iterdir())) == 1  # the change survived

    # The index still answers at its previous version ...
    searcher = store.open(store.current()).searcher()
    assert searcher.doc_count() == 1
    # ... and the next write applies the queued change and deletes the orphaned segment.
    third = Topic.objects.create(name="topic after", slug="after", description="")
    whoosh_backend.add(third)
    assert _names(whoosh_backend) == ["topic after", "topic committed", "topic in flight"]
    assert len(segment_files()) <= 2
    assert list(store.queue_dir(store.current()).iterdir()) == []


def test_thousands_of_one_document_commits_do_not_pile_up_segments(whoosh_backend):
    topic = Topic.objects.create(name="topic merged", slug="merged", description="")
    index = whoosh_backend.get_index_for_model(Topic)
    for n in range(300):
        topic.name = f"topic merged {n}"
        index.add_item(topic)
    assert index.searcher().doc_count() == 1
    segments = index.store.open(index.store.current())._segments()
    assert len(segments) < 20


def test_backend_construction_touches_no_disk_and_first_use_creates_the_folder(tmp_path):
    path = tmp_path / "not" / "yet"
    backend = WhooshSearchBackend({"PATH": str(path)})
    assert not path.exists()
    assert list(backend.search("anything", Topic)) == []
    assert (path / "portal_topic" / "CURRENT").exists()


def test_rebuild_keeps_saves_made_while_it_runs(whoosh_backend):
    old = Topic.objects.create(name="topic old", slug="old", description="")
    index = whoosh_backend.get_index_for_model(Topic)
    rebuilder = whoosh_backend.rebuilder_class(index)
    target = rebuilder.start()
    target.add_items(Topic, [old])
    # An editor saves while the rebuild runs: the live index and the new one both get it.
    new = Topic.objects.create(name="topic saved during rebuild", slug="during", description="")
    index.add_item(new)
    assert _names(whoosh_backend) == ["topic saved during rebuild"]
    rebuilder.finish()
    assert _names(whoosh_backend) == ["topic old", "topic saved during rebuild"]
    assert len([p for p in index.store.folder.iterdir() if p.name.startswith("g")]) == 1


def test_store_reports_a_dead_rebuild_as_not_running(tmp_path):
    store = IndexStore(tmp_path / "idx")
    store.ensure()
    store.marker_file.write_text("g99")
    assert store.live_rebuild() is None


@pytest.mark.parametrize("ending", ["finish", "abort"])
def test_a_rebuild_is_running_until_it_finishes_or_aborts_and_then_leaves_one_generation(tmp_path, ending):
    store = IndexStore(tmp_path / "idx")
    rebuild = Rebuild(store).start()
    assert store.live_rebuild() == rebuild.gen  # saves are queued for it too
    getattr(rebuild, ending)()
    assert store.live_rebuild() is None
    with store.rebuild_lock(blocking=False) as free:
        assert free  # the next rebuild can start
    assert [p.name for p in store.folder.iterdir() if p.name.startswith("g")] == [store.current()]


def test_a_table_of_contents_replaced_while_opening_is_read_again():
    from portal.search.storage import _reading_again

    calls = []

    def read():
        calls.append(1)
        if len(calls) == 1:  # another process committed and removed the file we were about to open
            raise FileNotFoundError("_MAIN_139.toc")
        return "index at the newer commit"

    assert _reading_again(read) == "index at the newer commit"

    def gone():
        raise FileNotFoundError("generation removed by a rebuild")

    with pytest.raises(FileNotFoundError):
        _reading_again(gone, attempts=2)


def test_a_queue_file_taken_by_another_process_between_listing_and_reading_it_is_no_error(tmp_path, monkeypatch):
    """A search drains stale queued changes; another process may consume a queued file after the
    search listed the queue and before it looked at the file's age."""
    store = IndexStore(tmp_path / "idx")
    store.ensure()
    gen = store.current()
    taken = store.queue_dir(gen) / "0001-taken-by-another-process.json"  # listed, then gone
    monkeypatch.setattr(IndexStore, "_queued", staticmethod(lambda queue: [taken]))
    store._drain_stale(gen)  # raised FileNotFoundError (a search failed with SearchError)
