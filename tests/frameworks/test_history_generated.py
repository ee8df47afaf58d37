"""Generated frameworks with random versions, provision dates and changes: where a provision stands
on a random day keeps the rules of docs/data-format.md ("Versions and changes"), and the web page
and the API agree on which provisions apply that day."""

import datetime
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frameworks.models import FrameworkVersion, ProvisionChange, Timeline
from tests.factories import FrameworkFactory, ProvisionFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2024, 1, 1)
days = st.integers(min_value=0, max_value=2000).map(lambda n: START + datetime.timedelta(days=n))
maybe_days = st.none() | days


@st.composite
def histories(draw):
    """(versions, provisions, changes) as plain values that keep the rules of ``history_problems``."""
    versions, previous = [], START
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        adopted = previous + datetime.timedelta(days=draw(st.integers(min_value=0, max_value=400)))
        in_force = draw(st.none() | st.integers(min_value=0, max_value=60)) if i else 20
        in_force = None if in_force is None else adopted + datetime.timedelta(days=in_force)
        applies = None
        if in_force and draw(st.booleans()):
            applies = in_force + datetime.timedelta(days=draw(st.integers(min_value=0, max_value=700)))
        kind = "original" if i == 0 else draw(st.sampled_from(["amendment", "consolidated"]))
        versions.append({"key": f"v{i}", "kind": kind, "adopted": adopted, "in_force": in_force, "applies": applies})
        previous = adopted
    provisions = []
    for i in range(draw(st.integers(min_value=1, max_value=5))):
        start = draw(maybe_days)
        until = draw(maybe_days)
        if start and until and until < start:
            start, until = until, start
        provisions.append({"code": f"Art. {i + 1}", "applies_from": start, "applies_until": until})
    changes = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        changes.append(
            {
                "version": draw(st.sampled_from(versions))["key"],
                "code": draw(st.sampled_from(provisions))["code"],
                "change": draw(st.sampled_from(["introduced", "amended", "repealed", "withdrawn"])),
                "applies_from": draw(maybe_days),
            }
        )
    return versions, provisions, changes


def build(indexes, history):
    versions, provisions, changes = history
    page = FrameworkFactory(parent=indexes["framework"], effective_date=START)
    for i, v in enumerate(versions):
        FrameworkVersion.objects.create(
            framework=page,
            sort_order=i,
            key=v["key"],
            kind=v["kind"],
            title=v["key"],
            adopted=v["adopted"],
            in_force=v["in_force"],
            applies_from=v["applies"],
        )
    for i, p in enumerate(provisions):
        ProvisionFactory(framework=page, sort_order=i, level=1, code=p["code"], **{k: p[k] for k in p if k != "code"})
    for i, c in enumerate(changes):
        ProvisionChange.objects.create(framework=page, sort_order=i, **c)
    page.save_revision().publish()
    return page


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(history=histories(), day=days)
def test_standing_keeps_the_rules_and_web_and_api_agree(client, indexes, history, day):
    page = build(indexes, history)
    versions = {v.key: v for v in page.versions.all()}
    timeline = Timeline(page)
    applying = set()
    for provision in page.provisions.all():
        standing = timeline.standing(provision, day)
        mine = [c for c in page.provision_changes.all() if c.code == provision.code]
        in_force = [c for c in mine if versions[c.version].in_force_on(day)]
        if any(c.change == "introduced" for c in mine) and not any(c.change == "introduced" for c in in_force):
            assert not standing.applies  # introduced by a version not in force that day
        for c in in_force:
            if c.change in ("repealed", "withdrawn"):
                v = versions[c.version]
                if (c.applies_from or v.applies_from or v.in_force) <= day:
                    assert standing.state == "repealed"
        if standing.applies:
            applying.add(provision.code)
            assert standing.applies_from is None or standing.applies_from <= day
            assert provision.applies_until is None or provision.applies_until > day
        if provision.applies_from and provision.applies_from > day and not any(c.applies_from for c in in_force):
            assert not standing.applies
    html = client.get(page.url, {"as_of": day.isoformat()}).content.decode()
    shown = re.findall(
        r'class="provision level-1 state-(\w+)">.*?class="provision-code" href="#[^"]+">([^<]+)</a>', html, re.S
    )
    web = {code for _, code in shown}
    web_applying = {code for state, code in shown if state == "applies"}
    nodes = client.get(f"/api/v1/frameworks/{page.translation_key}/provisions/", {"as_of": day.isoformat()}).json()
    api_applying = {node["code"] for node in nodes if node["state"] == "applies"}
    assert web == applying == web_applying == api_applying
