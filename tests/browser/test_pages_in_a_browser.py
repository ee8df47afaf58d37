"""The site in a real browser: navigation, the compare picker, a phone-sized screen, no CSP
errors, and axe-core finding no serious or critical accessibility violations."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import (
    CrossLinkFactory,
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    JurisdictionFactory,
    LanguageFactory,
    LessonFactory,
    OrganisationFactory,
    ProvisionFactory,
    SectorFactory,
    TopicFactory,
)

# Transactional: the browser talks to a live server thread. serialized_rollback restores what
# migrations created (the root page, groups, workflow) after each test flushes the tables.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(indexes):
    topic = TopicFactory(name="Prompt injection", slug="prompt-injection")
    rmf = FrameworkFactory(parent=indexes["framework"], slug="rmf", title="NIST AI RMF", topics=[topic])
    iso = FrameworkFactory(parent=indexes["framework"], slug="iso", title="ISO/IEC 42001")
    govern = ProvisionFactory(framework=rmf, code="GOVERN 1.1", title="Legal requirements", sort_order=0)
    ProvisionFactory(framework=rmf, code="MAP 1", title="Context", sort_order=1)
    clause = ProvisionFactory(framework=iso, code="A.2.2", title="AI policy", sort_order=0)
    crosswalk = CrosswalkFactory(source_framework=rmf, target_framework=iso, title="RMF to 42001")
    CrosswalkMappingFactory(crosswalk=crosswalk, source_provision=govern, target_provision=clause)
    finding = FindingFactory(
        parent=indexes["finding"],
        slug="injection-study",
        title="Indirect prompt injection study",
        topics=[topic],
        authors="Kai Greshake",
        venue="AISec",
        doi="10.1145/3605764.3623985",
    )
    lesson = LessonFactory(parent=indexes["lesson"], slug="support-bot", title="Support bot leaked data")
    CrossLinkFactory(source=finding, target=rmf, target_provision=govern)
    CrossLinkFactory(source=lesson, target=finding, link_type="supports")
    return {"finding": finding, "lesson": lesson, "topic": topic}


@pytest.fixture
def faceted(site, indexes):
    """Two more records matching "injection", with a term of every kind and another year, so that
    every facet group of the search page shows."""
    LessonFactory(
        parent=indexes["lesson"],
        slug="help-desk",
        title="Help desk assistant followed hidden instructions",
        summary="A prompt injection in a ticket leaked customer data.",
        publication_date=datetime.date(2023, 9, 1),
        topics=[site["topic"]],
        sectors=[SectorFactory(name="Health", slug="health")],
        jurisdictions=[JurisdictionFactory(code="SG")],
        languages=[LanguageFactory(code="ta")],
        organisations=[OrganisationFactory(name="AI Verify Foundation", slug="aivf")],
    )
    FindingFactory(
        parent=indexes["finding"],
        slug="multilingual-injection",
        title="Prompt injection across languages",
        sectors=[SectorFactory(name="Finance", slug="finance")],
        jurisdictions=[JurisdictionFactory(code="EU")],
        languages=[LanguageFactory(code="ms")],
    )
    return site


PAGES = [
    "/",
    "/findings/",
    "/frameworks/rmf/",
    "/findings/injection-study/",
    "/lessons/support-bot/",
    "/frameworks/rmf/compare/iso/",
    "/frameworks/rmf/evidence/",
    "/topics/",
    "/account/login/",
    "/search/?q=injection",
]


def serious(results):
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_accessibility_violations_and_no_csp_errors(page, site, path):
    response = page.goto(page.base + path)
    assert response.status == 200
    assert serious(Axe().run(page)) == []
    assert page.problems == [], page.problems


@pytest.mark.parametrize(
    "path", ["/", "/frameworks/rmf/", "/findings/", "/frameworks/rmf/compare/iso/", "/search/?q=injection"]
)
def test_pages_fit_a_320_pixel_wide_screen(browser, live_server, site, path):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    context.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"


def test_visitor_filters_opens_a_record_and_follows_a_link(page, site):
    page.goto(page.base + "/findings/")
    page.locator("summary", has_text="Topic").click()
    page.get_by_label("Prompt injection").check()
    page.get_by_role("button", name="Apply").click()
    assert "topic=prompt-injection" in page.url
    page.get_by_role("link", name="Indirect prompt injection study").first.click()
    assert page.url.endswith("/findings/injection-study/")
    page.locator("section.links").get_by_role("link", name="GOVERN 1.1 Legal requirements — NIST AI RMF").click()
    assert page.url.endswith("/frameworks/rmf/#govern-1-1")
    assert page.locator("#govern-1-1").is_visible()


def test_visitor_searches_applies_a_facet_and_opens_a_result(page, site):
    page.goto(page.base + "/")
    page.get_by_label("Search the portal").fill("injection")
    page.get_by_role("button", name="Search").click()
    assert "/search/?q=injection" in page.url
    assert page.locator("mark").count() >= 1
    page.locator("summary", has_text="Kind").click()
    page.get_by_label("Finding (1)").check()
    page.get_by_role("button", name="Apply").click()
    assert "kind=finding" in page.url and "q=injection" in page.url
    assert page.get_by_role("heading", name="1 result for “injection”").is_visible()
    page.locator("section.results").get_by_role("link").first.click()
    assert page.url.endswith("/findings/injection-study/")


def test_search_box_suggests_titles_as_the_visitor_types(page, site):
    page.goto(page.base + "/search/")
    page.get_by_label("Search frameworks, findings and lessons").press_sequentially("Indir", delay=50)
    page.locator("#search-suggestions option").first.wait_for(state="attached", timeout=5000)
    assert page.locator("#search-suggestions option").first.get_attribute("value") == "Indirect prompt injection study"


def test_visitor_compares_two_frameworks_with_the_picker(page, site):
    page.goto(page.base + "/frameworks/rmf/")
    page.get_by_label("Compare side by side with").select_option("iso")
    page.get_by_role("button", name="Compare").click()
    assert page.url.endswith("/frameworks/rmf/compare/iso/")
    assert "1 of 2 provisions of NIST AI RMF relate to ISO/IEC 42001 (50%)" in page.content()
    assert page.locator("tr.unmapped").count() == 1


def test_keyboard_users_can_skip_to_the_content(page, site):
    page.goto(page.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


PHONE = {"width": 390, "height": 844}
FACET_GROUPS = ["Kind", "Topic", "Sector", "Jurisdiction", "Language", "Organisation", "Year"]


@pytest.fixture
def phone(browser, live_server):
    """A page on a 390 × 844 screen, a common phone's."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


def first_title_bottom(page):
    title = page.locator("section.results .card-title").first.bounding_box()
    return title["y"] + title["height"]


@pytest.mark.parametrize("path", ["/search/?q=injection", "/findings/"])
def test_first_result_is_on_a_phone_s_first_screen(phone, faceted, path):
    phone.goto(phone.base + path)
    if path.startswith("/search/"):
        assert phone.locator(".filter-group > summary").all_text_contents() == FACET_GROUPS
    bottom = first_title_bottom(phone)
    assert bottom <= PHONE["height"], f"the first result's title ends {bottom:.0f}px down"


def test_phone_visitor_opens_the_filters_with_the_keyboard_and_chooses_a_facet(phone, faceted):
    phone.goto(phone.base + "/search/?q=injection")
    filters = phone.locator(".filter-panel > summary")
    kind = phone.locator("summary", has_text="Kind")
    assert filters.inner_text() == "Filters"  # nothing chosen, nothing counted
    assert not kind.is_visible()  # folded into the one "Filters" disclosure
    phone.get_by_label("Sort by").focus()
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Filters"
    phone.keyboard.press("Enter")
    kind.click()
    phone.get_by_label("Finding (2)").check()
    phone.get_by_role("button", name="Apply").click()
    assert "kind=finding" in phone.url and "q=injection" in phone.url
    assert filters.inner_text() == "Filters (1)"
    assert not kind.is_visible()  # the results come first again
    assert first_title_bottom(phone) <= PHONE["height"]
    assert serious(Axe().run(phone)) == []
    phone.goto(phone.base + "/search/?q=injection&sector=health&sector=finance")
    assert filters.inner_text() == "Filters (2)"


def test_desktop_visitor_sees_sort_and_every_facet_group_beside_the_results(page, faceted):
    page.goto(page.base + "/search/?q=injection")
    assert not page.locator(".filter-panel > summary").is_visible()
    assert page.get_by_label("Sort by").is_visible()
    for group in FACET_GROUPS:
        assert page.locator("summary", has_text=group).is_visible()
    filters = page.locator(".filters").bounding_box()
    results = page.locator("section.results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"]  # on the left
    assert abs(filters["y"] - results["y"]) < 5  # level with the results
