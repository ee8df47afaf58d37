"""The worlds the generated leak test (test_generated_leaks.py) builds, and who may see what in them.

A world is a ``Graph`` of record ``Spec``s (kind, sharing level, owner, shared-with organisations,
named people, state), links and crosswalks; ``graphs()`` draws random ones, and two are written
out. Who may see, could ever have seen, or may manage a record is worked out here from the table
in docs/sharing.md, independently of the code under test.
"""

from dataclasses import dataclass, field

from hypothesis import strategies as st

from portal.models import RecordPage
from tests.factories import FindingFactory, FrameworkFactory, LessonFactory

CLEAR, GREEN, AMBER, STRICT, RED = "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"
LEVELS = [CLEAR, GREEN, AMBER, STRICT, RED]
FACTORIES = {"finding": FindingFactory, "lesson": LessonFactory, "framework": FrameworkFactory}
LINK_TYPES = ["cites", "addresses", "supports", "related"]
ORGANISATIONS = ("a", "b")


@dataclass(frozen=True)
class Visitor:
    name: str
    organisations: frozenset = frozenset()
    signed_in: bool = True
    superuser: bool = False
    staff: bool = False


VISITORS = [
    Visitor("anonymous", signed_in=False),
    Visitor("partner"),
    Visitor("member_a", frozenset("a")),
    Visitor("member_b", frozenset("b")),
    Visitor("named"),
    Visitor("editor_b", frozenset("b"), staff=True),
    Visitor("publisher_b", frozenset("b"), staff=True),
    Visitor("superuser", superuser=True, staff=True),
]
#: People a TLP:RED record can name.
NAMEABLE = ["named", "member_a", "editor_b"]


@dataclass(frozen=True)
class Spec:
    kind: str
    level: str
    owner: str | None
    shared_with: frozenset
    people: frozenset
    topic: int
    #: "live", "draft" (never published) or "unpublished" (published once, then withdrawn)
    state: str
    #: a wider level the record was published at before it was narrowed to ``level`` (or None;
    #: always None for a draft)
    was: str | None


@dataclass
class Graph:
    records: list
    links: list = field(default_factory=list)  # (source, target, type, to a provision?)
    crosswalks: list = field(default_factory=list)  # (source framework, target framework)


def admits(visitor, level, spec):
    """The sharing table of docs/sharing.md, for one level."""
    if level == CLEAR or visitor.superuser:
        return True
    if not visitor.signed_in:
        return False
    if level == GREEN:
        return True
    if level in (AMBER, STRICT) and spec.owner in visitor.organisations:
        return True
    if level == AMBER and visitor.organisations & spec.shared_with:
        return True
    return level == RED and visitor.name in spec.people


def may_see(visitor, spec):
    return spec.state == "live" and admits(visitor, spec.level, spec)


def could_ever_see(visitor, spec):
    """Whether the record was ever visible to the visitor (the change feed may name it as a tombstone)."""
    if spec.state == "draft":
        return False
    return admits(visitor, spec.level, spec) or (spec.was is not None and admits(visitor, spec.was, spec))


def may_manage(visitor, spec):
    """Staff work in the admin on their organisations' records and on records no organisation owns."""
    return visitor.superuser or (visitor.staff and (spec.owner is None or spec.owner in visitor.organisations))


def settle(page, spec, organisations, users):
    """Share ``page`` (made with ``spec.was or spec.level``, live unless a draft) as ``spec`` says
    and bring it to its state: published, then narrowed to ``spec.level`` if it ``was`` wider,
    then unpublished; or a draft never published. Returns the record as stored."""
    page.shared_with_organisations.set([organisations[name] for name in spec.shared_with])
    page.shared_with_people.set([users[name] for name in spec.people])
    if spec.state == "draft":
        page.save_revision()
    else:
        page.save_revision().publish()
    page = RecordPage.objects.get(pk=page.pk).specific
    if spec.was:
        page.sharing_level = spec.level
        page.save_revision().publish()
    if spec.state == "unpublished":
        page.unpublish()
    return page


@st.composite
def record_specs(draw):
    level = draw(st.sampled_from(LEVELS))
    state = draw(st.sampled_from(["live", "live", "live", "draft", "unpublished"]))
    # A draft was never published, so it never had a wider level anyone saw.
    wider = LEVELS[: LEVELS.index(level)] if state != "draft" else []
    return Spec(
        kind=draw(st.sampled_from(sorted(FACTORIES))),
        level=level,
        owner=draw(st.sampled_from([None, *ORGANISATIONS])),
        shared_with=frozenset(draw(st.sets(st.sampled_from(ORGANISATIONS)))),
        people=frozenset(draw(st.sets(st.sampled_from(NAMEABLE)))),
        topic=draw(st.integers(0, 1)),
        state=state,
        was=draw(st.none() | st.sampled_from(wider)) if wider else None,
    )


@st.composite
def graphs(draw):
    records = draw(st.lists(record_specs(), min_size=2, max_size=6))
    n = len(records)
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    links = [
        (a, b, kind, provision)
        for (a, b), kind, provision in draw(
            st.lists(st.tuples(pairs, st.sampled_from(LINK_TYPES), st.booleans()), max_size=10)
        )
        if a != b
    ]
    frameworks = [i for i, spec in enumerate(records) if spec.kind == "framework"]
    crosswalks = []
    if len(frameworks) >= 2:
        crosswalks = draw(st.lists(st.permutations(frameworks).map(lambda p: tuple(p[:2])), max_size=2))
    return Graph(records, sorted(set(links)), sorted(set(crosswalks)))


def _public(kind="finding", **fields):
    values = dict(kind=kind, level=CLEAR, owner=None, shared_with=frozenset(), people=frozenset(), topic=0)
    values.update(state="live", was=None)
    values.update(fields)
    return Spec(**values)


#: Finding 1 of the trust review: two public findings that both cite a TLP:RED finding and address
#: a provision of a TLP:AMBER+STRICT framework; their "similar records" panels quoted both.
SHARED_HIDDEN_TARGETS = Graph(
    records=[
        _public(),
        _public(),
        _public(level=RED, owner="a", people=frozenset({"named"})),
        _public(kind="framework", level=STRICT, owner="a"),
    ],
    links=[(0, 2, "cites", False), (1, 2, "cites", False), (0, 3, "addresses", True), (1, 3, "addresses", True)],
)

#: Narrowed, unpublished and draft records, linked and crosswalked to public ones.
NARROWED_AND_WITHDRAWN = Graph(
    records=[
        _public(kind="framework"),
        _public(kind="framework", level=AMBER, owner="a", shared_with=frozenset("b"), was=CLEAR),
        _public(kind="lesson", level=GREEN, state="unpublished"),
        _public(level=RED, owner="b", people=frozenset({"editor_b"}), state="draft"),
    ],
    links=[(2, 0, "addresses", True), (3, 1, "addresses", True), (3, 0, "cites", False), (0, 1, "related", False)],
    crosswalks=[(0, 1)],
)
