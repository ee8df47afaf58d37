"""Soak benchmark of deliveries (not a test): ``python bench/deliveries.py`` (``make bench-deliveries``).

On a PostgreSQL database of its own (``portal_bench_deliveries``, made and dropped; the server of
``DATABASE_URL``, by default ``postgres://postgres@127.0.0.1:5432/``) and a Whoosh index in a
temporary folder, with the curated dataset loaded:

- ``--partners`` accounts with an e-mail address follow ``--follows`` random topics each, e-mail
  "at once"; some are members of four organisations, so that TLP:AMBER and TLP:RED records reach
  some of them and not others;
- ``--writers`` processes (``bench/delivery_writer.py``) publish ``--records`` records (TLP:CLEAR
  to TLP:RED, one or two topics each) and publish ``--edits`` edits per record on average;
- the background worker (``manage.py task_worker``, ``PORTAL_TASK_WORKER=1``) runs the index
  updates and the alerts; it is killed with SIGKILL ``--kills`` times while the writers run (each
  time as soon as an alert task runs, or after 20 s) and started again with ``--recover-all``;
- a real SMTP server in this process (aiosmtpd) receives the e-mails;
- two mirrors (anonymous, and a partner's token) poll ``/api/v1/changes/`` on a served site
  (gunicorn) throughout and apply what it says.

Then it reports deliveries per second and the delay from each change's commit to its e-mail (p50,
p95, max), and checks: every follower received exactly the expected alerts (none missing, none
twice, none of a record they may not see), computed from the writers' plan and the sharing rule
(``RecordPage.objects.visible_to``); each mirror equals ``/api/v1/records/`` for its caller;
``manage.py search_index_drift`` is clean; no task failed. It exits 1 if a check fails.

    python bench/deliveries.py [--records 500] [--partners 200] [--writers 4] [--edits 1]
                               [--follows 1] [--kills 2] [--seed N] [--keep] [--no-write]

The summary goes into docs/performance.md between the BENCH-DELIVERIES markers (unless --no-write).
"""

import argparse
import collections
import datetime
import email
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from email import policy
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import ROOT  # noqa: E402
from bench.serving import free_port, serve  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
DATABASE = "portal_bench_deliveries"
LEVELS = [("TLP:CLEAR", 55), ("TLP:GREEN", 15), ("TLP:AMBER", 15), ("TLP:AMBER+STRICT", 5), ("TLP:RED", 10)]
SEND_ALERTS = "portal.services.alerts.send_alerts"


# The database, the environment and the processes.


def database_urls():
    base = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/")
    if base.scheme not in ("postgres", "postgresql"):
        base = urlsplit("postgres://postgres@127.0.0.1:5432/")
    server = base._replace(path="/postgres").geturl()
    return server, base._replace(path=f"/{DATABASE}").geturl()


def recreate_database(server_url, drop_only=False):
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')


def environment(work, database_url, smtp_port, settle):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.base",
        DJANGO_SECRET_KEY="bench-only-not-secret",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        PORTAL_VAR_DIR=str(work),
        SEARCH_BACKEND="portal.search.whoosh",
        SEARCH_INDEX_PATH=str(work / "search-index"),
        PORTAL_SAMPLE_DATA="",
        API_THROTTLE_ANON="",
        API_THROTTLE_USER="",
        API_CHANGES_SETTLE_SECONDS=str(settle),
        PORTAL_TASK_WORKER="1",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(smtp_port),
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, **kwargs)


class Worker:
    """``manage.py task_worker --recover-all``, killed and started again on demand."""

    def __init__(self, env, log_path):
        self.env, self.log = env, open(log_path, "ab")
        self.process, self.kills = None, []
        self.start()

    def start(self):
        command = [sys.executable, "manage.py", "task_worker", "--recover-all", "--interval", "0.2"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)

    def kill_while_sending(self, wait=20):
        """SIGKILL the worker while it runs an alert task (or after ``wait`` seconds), restart it."""
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        deadline = time.time() + wait
        while time.time() < deadline and not running.filter(task_path=SEND_ALERTS).exists():
            time.sleep(0.05)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills.append(list(running.values_list("task_path", flat=True)))
        time.sleep(1)
        self.start()

    def stop(self):
        if self.log.closed:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# What arrives: e-mail (webhook deliveries, issue 17 part 4, would be a second receiver here, checked
# by ``check_deliveries`` against the same expectation).


class Inbox:
    """aiosmtpd handler: keeps (arrival time, recipients, raw message)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((time.time(), list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


SLUG = re.compile(r"soak-\d{4}")


def read_inbox(inbox, uuid_of):
    """[(arrival, address, record uuid or None, 'New'/'Updated')] of the received messages."""
    found = []
    for at, recipients, content in inbox.messages:
        message = email.message_from_bytes(content, policy=policy.default)
        match = SLUG.search(message.get_body(("plain",)).get_content())
        what = str(message["Subject"]).split(":", 1)[0]
        for address in recipients:
            found.append((at, address, uuid_of.get(match.group(0)) if match else None, what))
    return found


class Mirror(threading.Thread):
    """Polls the change feed as ``token``'s owner (or anonymously) and applies every item."""

    def __init__(self, port, token=None, interval=1.0):
        super().__init__(daemon=True)
        self.port, self.token, self.interval = port, token, interval
        self.records, self.cursor, self.polls, self.items, self.errors = {}, None, 0, 0, []
        self.halt = threading.Event()

    def get(self, path):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Host": "127.0.0.1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
        return json.loads(body)

    def poll(self):
        while True:
            path = "/api/v1/changes/?page_size=100"
            if self.cursor:
                path += f"&cursor={quote(self.cursor)}"
            page = self.get(path)
            for item in page["results"]:
                if item["state"] == "present":
                    self.records[item["uuid"]] = item["record"]
                else:
                    self.records.pop(item["uuid"], None)
                self.items += 1
            self.cursor = page["next_cursor"]
            self.polls += 1
            if not page["has_more"]:
                return

    def run(self):
        while not self.halt.is_set():
            try:
                self.poll()
            except Exception as error:  # noqa: BLE001 (reported in the summary)
                self.errors.append(repr(error))
            self.halt.wait(self.interval)

    def listing(self):
        found, path = {}, "/api/v1/records/?page_size=100"
        while path:
            page = self.get(path)
            found.update({item["uuid"]: item for item in page["results"]})
            path = page["next"] and urlsplit(page["next"])._replace(scheme="", netloc="").geturl()
        return found


# Partners, follows and the writers' plan.


def make_partners(rng, args):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from portal.models import Follow, Membership, Organisation, RecordChange, Topic
    from portal.services import follows
    from portal.tokens import create_token

    user_model = get_user_model()
    organisations = list(Organisation.objects.order_by("pk").values_list("pk", flat=True)[:4])
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"soak{i:03}", email=f"soak{i:03}@example.org", password=make_password(None))
            for i in range(args.partners)
        ]
    )
    memberships = []
    for n, user in enumerate(users):
        if n == 0 or rng.random() < 0.6:
            mine = rng.sample(organisations, 2 if rng.random() < 0.15 else 1) if n else organisations[:1]
            memberships += [Membership(user=user, organisation_id=pk) for pk in mine]
    Membership.objects.bulk_create(memberships)
    topics = list(Topic.objects.order_by("slug").values_list("slug", flat=True))
    for user in users:
        for slug in rng.sample(topics, args.follows):
            follows.follow(user, "topic", slug)
    Follow.objects.filter(user__in=users).update(delivery=Follow.Delivery.IMMEDIATE)
    _, token = create_token(users[0], "soak mirror")
    mark = RecordChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return users, organisations, topics, token, mark


def make_plan(rng, args, users, organisations, topics):
    """{writer: ops}, and {slug: record} (see bench/delivery_writer.py)."""
    records = {}
    levels, weights = zip(*LEVELS, strict=True)
    for i in range(args.records):
        level = rng.choices(levels, weights)[0]
        restricted = level not in ("TLP:CLEAR", "TLP:GREEN")
        owner = rng.choice(organisations) if restricted else None
        shared = (
            [rng.choice([o for o in organisations if o != owner])]
            if level == "TLP:AMBER" and rng.random() < 0.5
            else []
        )
        people = [u.pk for u in rng.sample(users, min(3, len(users)))] if level == "TLP:RED" else []
        if level == "TLP:RED" and rng.random() < 0.3:
            people.append(users[0].pk)  # the mirror's partner
        slug = f"soak-{i:04d}"
        records[slug] = {
            "slug": slug,
            "kind": ("finding", "lesson")[i % 2],
            "title": f"Soak record {i}",
            "topics": rng.sample(topics, rng.randint(1, 2)),
            "level": level,
            "owner": owner,
            "organisations": shared,
            "people": sorted(set(people)),
        }
    edits = collections.Counter(rng.choice(list(records)) for _ in range(round(args.records * args.edits)))
    plans = {}
    for w in range(args.writers):
        ops, pending, made = [], [], collections.Counter()

        def emit(slug, ops=ops, made=made):
            made[slug] += 1
            ops.append(["edit", slug, records[slug]["kind"], made[slug]])

        for slug in list(records)[w :: args.writers]:
            ops.append(["create", records[slug]])
            pending += [slug] * edits[slug]
            rng.shuffle(pending)
            keep = []
            for waiting in pending:
                if rng.random() < 0.3:
                    emit(waiting)
                else:
                    keep.append(waiting)
            pending = keep
        for waiting in pending:
            emit(waiting)
        plans[w] = ops
    return plans, records


# The checks.


def expected_alerts(records, mark):
    """Counter of (address, uuid, 'New'/'Updated'): for each change logged after ``mark`` (a
    record's own, not a linked record's), each person with an "at once" follow of one of the
    record's topics (or a topic above it) who may see the record."""
    from django.contrib.auth import get_user_model

    from portal.models import Follow, RecordChange, RecordPage, Topic

    parent = dict(Topic.objects.values_list("slug", "parent__slug"))

    def with_ancestors(slug):
        while slug:
            yield slug
            slug = parent.get(slug)

    followers = collections.defaultdict(set)  # topic slug -> addresses
    for address, slug in Follow.objects.filter(delivery="immediate", subject="topic").values_list("user__email", "key"):
        followers[slug].add(address)
    uuids = dict(RecordPage.objects.filter(slug__in=list(records)).values_list("slug", "translation_key"))
    visible = collections.defaultdict(set)  # address -> uuids they may see
    for user in get_user_model().objects.filter(username__startswith="soak"):
        for uuid in (
            RecordPage.objects.visible_to(user)
            .filter(slug__startswith="soak-")
            .values_list("translation_key", flat=True)
        ):
            visible[user.email].add(str(uuid))
    audience = {}
    for slug, record in records.items():
        uuid = str(uuids[slug])
        wanted = set().union(*(followers[t] for topic in record["topics"] for t in with_ancestors(topic)))
        audience[uuid] = {address for address in wanted if uuid in visible[address]}
    expected = collections.Counter()
    changes = RecordChange.objects.filter(id__gt=mark, cause_uuid__isnull=True).values_list("record_uuid", "action")
    for uuid, action in changes:
        what = "New" if action == RecordChange.Action.CREATED else "Updated"
        for address in audience.get(str(uuid), ()):
            expected[(address, str(uuid), what)] += 1
    return expected, visible, {slug: str(uuid) for slug, uuid in uuids.items()}, len(changes)


def check_deliveries(expected, received, visible):
    """Missing, doubled and forbidden deliveries (each a list of (address, uuid, what, count))."""
    got = collections.Counter((address, uuid, what) for _, address, uuid, what in received)
    missing = [(*key, n - got[key]) for key, n in expected.items() if got[key] < n]
    twice = [(*key, n - expected[key]) for key, n in got.items() if n > expected[key] and key in expected]
    other = [(*key, n) for key, n in got.items() if key not in expected]
    forbidden = [row for row in other if row[1] not in visible[row[0]]]
    unexpected = [row for row in other if row[1] in visible[row[0]]]
    return missing, twice, forbidden, unexpected


def delays(received, commits, uuid_of):
    """Seconds from each change's commit to its e-mail: the n-th message a person received about a
    record is paired with that record's n-th change."""
    slug_of = {uuid: slug for slug, uuid in uuid_of.items()}
    arrivals = collections.defaultdict(list)
    for at, address, uuid, _ in received:
        if uuid:
            arrivals[(address, uuid)].append(at)
    found = []
    for (_, uuid), times in arrivals.items():
        found += [a - c for a, c in zip(sorted(times), sorted(commits[slug_of[uuid]]), strict=False)]
    return found


def index_drift_by_origin():
    """What ``search_index_drift`` found, counted apart for the records the soak wrote and for
    the rest (which the soak never wrote): {"missing/stale/extra, soak/other": count}."""
    from modelsearch.backends import get_search_backend
    from wagtail.models import Page

    from portal.search.drift import backend_drift

    soak = set(Page.objects.filter(slug__startswith="soak-").values_list("pk", flat=True))
    found = collections.Counter()
    for _, report in backend_drift(get_search_backend()):
        for name in ("missing", "stale"):
            for item in getattr(report, name):
                found[f"{name}, {'soak' if item.pk in soak and report.index.endswith('page') else 'other'}"] += 1
        if report.extra:
            found["extra"] += len(report.extra)
    return dict(found)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


# The run.


def run(args, work):
    import django

    server_url, database_url = database_urls()
    recreate_database(server_url)
    from aiosmtpd.controller import Controller

    inbox, smtp_port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = environment(work, database_url, smtp_port, args.settle)
    plain = {k: v for k, v in env.items() if k != "PORTAL_TASK_WORKER"}  # set-up indexes at once
    started = time.time()
    manage(plain, "migrate", "--noinput", "-v0", check=True)
    manage(plain, "load_demo", check=True, stdout=subprocess.DEVNULL)
    # The index as load_demo left it: drift found here is not the soak's; repaired so the final
    # check sees only what the soak did.
    baseline = manage(plain, "search_index_drift", capture_output=True, text=True)
    if baseline.returncode:
        manage(plain, "search_index_drift", "--repair", check=True, stdout=subprocess.DEVNULL)
    os.environ.update(env)
    django.setup()
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from django.db import connections

    rng = random.Random(args.seed)
    users, organisations, topics, token, mark = make_partners(rng, args)
    plans, records = make_plan(rng, args, users, organisations, topics)
    total_ops = sum(len(ops) for ops in plans.values())
    print(f"set up in {time.time() - started:.0f} s: {len(users)} partners, {total_ops} writes planned", flush=True)

    stale = re.findall(r"(\S+): .*?stale (\d+)", baseline.stdout)
    summary = {"kills": [], "retries": 0, "baseline": [(index, int(n)) for index, n in stale if n != "0"]}
    with serve("portal.wsgi:application", env) as port:
        mirrors = [Mirror(port), Mirror(port, token)]
        for mirror in mirrors:
            mirror.start()
        worker = Worker(env, work / "worker.log")
        logs, writers = [], []
        try:
            for w, ops in plans.items():
                plan, log = work / f"plan-{w}.json", work / f"writer-{w}.jsonl"
                plan.write_text(json.dumps({"ops": ops}))
                logs.append(log)
                command = [sys.executable, str(ROOT / "bench" / "delivery_writer.py"), str(plan), str(log)]
                writers.append(subprocess.Popen(command, cwd=ROOT, env=env))
            t0 = time.time()
            kill_at = [total_ops * (k + 1) // (args.kills + 1) for k in range(args.kills)]
            shown = t0
            while any(writer.poll() is None for writer in writers):
                done = sum(log.read_text().count('"op"') for log in logs if log.exists())
                if time.time() - shown > 30:
                    shown = time.time()
                    print(f"  {done} writes, {len(inbox.messages)} e-mails received", flush=True)
                if kill_at and done >= kill_at[0]:
                    kill_at.pop(0)
                    worker.kill_while_sending()
                    print(f"killed the worker after {done} writes (it was running {worker.kills[-1]})", flush=True)
                time.sleep(0.2)
            writes_done = time.time()
            failed_writers = [w for w, writer in enumerate(writers) if writer.returncode]
            queue = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
            print(f"writers done in {writes_done - t0:.0f} s; {queue.count()} tasks waiting", flush=True)
            deadline = time.time() + args.timeout
            shown = time.time()
            while queue.exists() and time.time() < deadline:
                time.sleep(0.5)
                if time.time() - shown > 30:
                    shown = time.time()
                    print(f"  {queue.count()} tasks waiting, {len(inbox.messages)} e-mails received", flush=True)
            drained = not queue.exists()
            queue_done = time.time()
            worker.stop()
            summary["kills"] = worker.kills
            time.sleep(args.settle + 1)
            for mirror in mirrors:
                mirror.halt.set()
                mirror.join()
                mirror.poll()
            listings = [mirror.listing() for mirror in mirrors]
        finally:
            for writer in writers:
                if writer.poll() is None:
                    writer.kill()
            worker.stop()

    drift = manage(env, "search_index_drift", capture_output=True, text=True)
    drifted = index_drift_by_origin() if drift.returncode else {}
    failed_tasks = list(DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).values_list("task_path", flat=True))
    commits = collections.defaultdict(list)
    for log in logs:
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            if "slug" in entry:
                commits[entry["slug"]].append(entry["t"])
            else:
                summary["retries"] += entry["retries"]
    expected, visible, uuid_of, logged = expected_alerts(records, mark)
    received = read_inbox(inbox, uuid_of)
    missing, twice, forbidden, unexpected = check_deliveries(expected, received, visible)
    unread = sum(1 for row in received if row[2] is None)
    waits = delays(received, commits, uuid_of)
    first_commit = min(t for times in commits.values() for t in times)
    last_arrival = max((row[0] for row in received), default=first_commit)
    controller.stop()
    connections.close_all()

    mirror_rows = []
    for name, mirror, listing in zip(("anonymous", "partner"), mirrors, listings, strict=True):
        differ = sorted(u for u in set(mirror.records) | set(listing) if mirror.records.get(u) != listing.get(u))
        mirror_rows.append((name, mirror, len(listing), differ))
    summary.update(
        records=args.records,
        partners=args.partners,
        writers=args.writers,
        writes=sum(len(times) for times in commits.values()),
        planned=total_ops,
        logged=logged,
        writers_failed=failed_writers,
        write_seconds=writes_done - t0,
        drain_seconds=queue_done - writes_done,
        drained=drained,
        messages=len(received),
        expected=sum(expected.values()),
        rate=len(received) / max(last_arrival - first_commit, 1e-9),
        alone_rate=sum(1 for row in received if row[0] > writes_done) / max(last_arrival - writes_done, 1e-9),
        delay=(percentile(waits, 50), percentile(waits, 95), max(waits, default=float("nan"))),
        missing=missing,
        twice=twice,
        forbidden=forbidden,
        unexpected=unexpected,
        unread=unread,
        mirrors=mirror_rows,
        drift_clean=drift.returncode == 0,
        drift=drift.stdout + drift.stderr,
        drifted=drifted,
        failed_tasks=failed_tasks,
    )
    return summary


def failures(s):
    found = []
    if s["writers_failed"] or s["writes"] != s["planned"]:
        found.append(f"writers: {s['writes']} of {s['planned']} writes committed (failed: {s['writers_failed']})")
    if s["logged"] != s["writes"]:
        found.append(f"change log: {s['logged']} entries for {s['writes']} writes")
    if not s["drained"]:
        found.append("the worker did not empty the queue before --timeout")
    for name in ("missing", "twice", "forbidden", "unexpected"):
        if s[name]:
            found.append(f"alerts {name}: {len(s[name])} (person, record) pairs, e.g. {s[name][:3]}")
    if s["unread"]:
        found.append(f"{s['unread']} messages name no record of the run")
    for name, mirror, _, differ in s["mirrors"]:
        if differ or mirror.errors:
            found.append(f"{name} mirror: {len(differ)} records differ from the listing, errors {mirror.errors[:3]}")
    if not s["drift_clean"]:
        found.append(f"search index drift: {s['drifted']} (search_index_drift's report is printed above)")
    if s["failed_tasks"]:
        found.append(f"failed tasks: {collections.Counter(s['failed_tasks'])}")
    return found


def report(s, args, problems):
    p50, p95, worst = s["delay"]
    mirrors = "; ".join(
        f"{name}: {len(mirror.records)} records after {mirror.polls} polls ({mirror.items} items), "
        f"{'equal to' if not differ and not mirror.errors else 'DIFFERENT from'} records/ ({count})"
        for name, mirror, count, differ in s["mirrors"]
    )
    baseline = ", ".join(f"{n} stale in {index}" for index, n in s["baseline"]) or "clean"
    index_state = "search_index_drift clean" if s["drift_clean"] else f"DRIFT {s['drifted']}"
    kills = "; ".join(f"{len(running)} task(s) running ({', '.join(sorted(set(running)))})" for running in s["kills"])
    lines = [
        f"`python bench/deliveries.py --records {args.records} --partners {args.partners} --writers {args.writers} "
        f"--edits {args.edits:g} --follows {args.follows} --kills {args.kills}`, "
        f"measured {datetime.date.today():%Y-%m-%d} (PostgreSQL, Whoosh, one worker, one gunicorn worker for the "
        "mirrors, all on this 2-core machine).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| writes committed (publications + edits; retried after a tree-path clash) | {s['writes']} "
        f"({s['retries']}) |",
        f"| time the writers took | {s['write_seconds']:.0f} s |",
        f"| time the worker needed after the last write | {s['drain_seconds']:.0f} s |",
        f"| e-mails received (expected) | {s['messages']} ({s['expected']}) |",
        f"| deliveries per second (first commit to last e-mail) | {s['rate']:.1f} |",
        f"| deliveries per second after the last write (the worker alone) | {s['alone_rate']:.1f} |",
        f"| delay from commit to e-mail, p50 / p95 / max | {p50:.1f} / {p95:.1f} / {worst:.1f} s |",
        f"| missing / twice / not theirs to see / other | {len(s['missing'])} / {len(s['twice'])} / "
        f"{len(s['forbidden'])} / {len(s['unexpected'])} |",
        "",
        f"Worker killed {len(s['kills'])} times (each when an alert task ran, or after 20 s): {kills or 'never'}.",
        f"Mirrors: {mirrors}.",
        f"Search index: {index_state} at the end "
        f"(after load_demo, before the soak: {baseline}). "
        f"Failed tasks: {len(s['failed_tasks'])}.",
        "",
        "Checks: " + ("all passed." if not problems else "FAILED: " + " | ".join(problems)),
    ]
    return "\n".join(lines)


def write_doc(text):
    content = DOC.read_text()
    block = f"<!-- BENCH-DELIVERIES -->\n{text}\n<!-- /BENCH-DELIVERIES -->"
    DOC.write_text(
        re.sub(r"<!-- BENCH-DELIVERIES -->.*?<!-- /BENCH-DELIVERIES -->", lambda _m: block, content, flags=re.S)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--edits", type=float, default=1.0, help="edits per record, on average")
    parser.add_argument("--follows", type=int, default=1, help="topics each partner follows")
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--settle", type=float, default=2.0, help="API_CHANGES_SETTLE_SECONDS")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the worker may take after the writers")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder")
    parser.add_argument("--no-write", action="store_true", help="print the summary only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-deliveries-"))
    try:
        summary = run(args, work)
    finally:
        if not args.keep:
            recreate_database(database_urls()[0], drop_only=True)
            subprocess.run(["rm", "-rf", str(work)], check=False)
        else:
            print(f"kept: database {DATABASE}, folder {work}")
    problems = failures(summary)
    if not summary["drift_clean"]:
        print(summary["drift"])
    text = report(summary, args, problems)
    print(text)
    if not args.no_write:
        write_doc(text)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
