"""One writer of the delivery soak (``bench/deliveries.py``): a separate process that publishes and
edits its share of the records, as an editor would (a draft, then a revision published), and notes
when each change committed.

    python bench/delivery_writer.py PLAN_JSON LOG_JSONL

The plan lists its operations in order: ``["create", record]`` or ``["edit", slug, kind, n]``. A record
is a dict with ``slug``, ``kind``, ``title``, ``topics`` (slugs), ``level``, ``owner`` (an
organisation's pk or None), ``organisations`` and ``people`` (pks). The log gets one JSON line per
committed operation: ``{"slug", "op", "t"}``, ``t`` the time (``time.time()``) right after the commit.

Writers add pages under the same index page side by side; Wagtail's tree then sometimes gives two
of them the same path, and the database refuses the second (IntegrityError). The writer tries that
operation again, as an editor would, and counts it (``retries`` in the last log line).
"""

import datetime
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(plan_path, log_path):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import IntegrityError, transaction

    from portal.exchange.site import index_page_models
    from portal.models import RecordPage

    plan = json.loads(Path(plan_path).read_text())
    models = RecordPage.kind_models()
    retries = 0

    def create(record):
        model = models[record["kind"]]
        fields = {
            "title": record["title"],
            "slug": record["slug"],
            "summary": f"Summary of {record['title']}.",
            "publication_date": datetime.date(2026, 11, 1),
            "sharing_level": record["level"],
            "owning_organisation_id": record["owner"],
            "live": False,
        }
        if record["kind"] == "lesson":
            fields.update(context="A soak test deployed a model.", what_happened="It was edited many times.")
        with transaction.atomic():
            parent = index_page_models()[record["kind"]].objects.get()
            page = model(**fields)
            parent.add_child(instance=page)
            page.topics.set(record["topics_ids"])
            page.shared_with_organisations.set(record["organisations"])
            page.shared_with_people.set(record["people"])
            page.save_revision().publish()

    def edit(slug, kind, n):
        with transaction.atomic():
            page = models[kind].objects.get(slug=slug)
            page.title = f"{page.title.split(' (edit')[0]} (edit {n})"
            page.summary = f"Summary of {page.title}, edited {n} times."
            page.save_revision().publish()

    from portal.models import Topic

    topic_ids = dict(Topic.objects.values_list("slug", "pk"))
    with open(log_path, "a") as log:
        for op in plan["ops"]:
            slug = op[1]["slug"] if op[0] == "create" else op[1]
            for attempt in range(20):
                try:
                    if op[0] == "create":
                        create(dict(op[1], topics_ids=[topic_ids[s] for s in op[1]["topics"]]))
                    else:
                        edit(slug, op[2], op[3])
                    break
                except IntegrityError:
                    retries += 1
                    time.sleep(0.05 * (attempt + 1))
            else:
                raise RuntimeError(f"{op[0]} {slug}: refused 20 times")
            log.write(json.dumps({"slug": slug, "op": op[0], "t": time.time()}) + "\n")
            log.flush()
        log.write(json.dumps({"done": True, "retries": retries}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
