"""A separate process that saves and deletes topics through the Whoosh backend (used by
test_whoosh_writes.py). Usage: writer_process.py INDEX_PATH PLAN_JSON

The plan lists topics as field values (the process never touches the database) and the
operations to perform on them, in order.
"""

import json
import os
import sys


def main():
    index_path, plan_path = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from portal.models import Topic
    from portal.search.whoosh import WhooshSearchBackend

    plan = json.loads(open(plan_path).read())
    backend = WhooshSearchBackend({"PATH": index_path, "WRITE_TIMEOUT": plan.get("timeout", 5)})
    for op, fields in plan["ops"]:
        topic = Topic(**fields)
        if op == "save":
            backend.add(topic)
        else:
            backend.delete(topic)
    if plan.get("die_in_commit"):
        # Queue one more change, then die in the middle of Whoosh's commit: after the new segment
        # is written, before the table of contents that would make it visible.
        from whoosh.writing import SegmentWriter

        def die(self, segments):
            os._exit(17)

        SegmentWriter._commit_toc = die
        backend.add(Topic(**plan["die_in_commit"]))


if __name__ == "__main__":
    main()
