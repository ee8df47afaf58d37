"""Editors' controls of search (issue 14, part 5): synonym groups and promoted results.

The models refuse what would make them wrong (portal/models/search_terms.py); staff keep both
under Settings in the admin, Publishers too, Editors not; ``alternatives`` rewrites a query with
synonyms and ``promoted`` gives the records promoted for a query that the visitor may see, never
another; both move in and out with the record files (portal/exchange/search_controls.py).
"""

import importlib
import io
import itertools
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from wagtail.admin.menu import settings_menu

from portal.exchange.importer import Importer
from portal.models import Membership, PromotedRecord, RecordPage, SearchPromotion, SharingLevel, SynonymGroup
from portal.services.promotions import promoted
from portal.services.synonyms import MAX_ALTERNATIVES, alternatives, synonym_groups
from tests.factories import FindingFactory, FrameworkFactory, OrganisationFactory
from tests.sharing.leak_world import FACTORIES, VISITORS, may_see, record_specs, settle

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "records"
CURATED = Path(django_settings.BASE_DIR) / "data" / "curated"


def group(*terms, slug=""):
    created = SynonymGroup(terms="\n".join(terms), slug=slug)
    created.full_clean()
    created.save()
    return created


def promotion(query, *records, slug=""):
    created = SearchPromotion(query=query, slug=slug)
    created.full_clean()
    created.save()
    for position, (record, note) in enumerate(records):
        PromotedRecord.objects.create(promotion=created, record=record, note=note, sort_order=position)
    return created


def errors_of(instance):
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return " ".join(raised.value.message_dict.get("terms", []) + raised.value.message_dict.get("query", []))


# -- The models ------------------------------------------------------------------------------------


def test_synonym_terms_are_trimmed_lower_cased_and_kept_in_order_with_a_slug_from_the_first():
    made = group("  Self-Driving ", "", "Automated   Vehicle", "autonomous vehicle")
    assert made.terms == "self-driving\nautomated vehicle\nautonomous vehicle"
    assert made.term_list == ["self-driving", "automated vehicle", "autonomous vehicle"]
    assert made.slug == "self-driving"
    assert group("Self driving cars", "robocars").slug == "self-driving-cars"
    assert group("self  driving", "robotaxi").slug == "self-driving-2"


def test_a_synonym_group_needs_two_different_terms():
    assert "at least two different terms" in errors_of(SynonymGroup(terms="hiring"))
    message = errors_of(SynonymGroup(terms="Hiring\nhiring "))
    assert "'hiring' is listed twice" in message and "at least two different terms" in message
    assert not SynonymGroup.objects.exists()


def test_a_term_already_in_another_group_is_refused_naming_that_group():
    group("recruiting", "hiring", "recruitment", slug="recruiting")
    message = errors_of(SynonymGroup(terms="HIRING\nemployment"))
    assert "'hiring' is already in the synonym group 'recruiting, hiring, recruitment' (recruiting)" in message
    # Editing a group keeps its own terms.
    own = SynonymGroup.objects.get(slug="recruiting")
    own.terms = "recruiting\nhiring\nrecruitment\ntalent acquisition"
    own.full_clean()


def test_a_promoted_query_is_normalised_and_promoted_once():
    made = promotion("  EU   AI Act ")
    assert (made.query, made.slug) == ("eu ai act", "eu-ai-act")
    assert "already promoted for this query" in errors_of(SearchPromotion(query="eu ai ACT"))
    assert "Type the query" in errors_of(SearchPromotion(query="   "))


# -- The admin -------------------------------------------------------------------------------------


def synonyms_url(action="list", *args):
    return reverse(f"wagtailsnippets_portal_synonymgroup:{action}", args=args)


def promotions_url(action="list", *args):
    return reverse(f"wagtailsnippets_portal_searchpromotion:{action}", args=args)


def promotion_form(query, *records, slug="", stored=()):
    """The promotion form as a browser sends it: ``records`` are (record, note) pairs; ``stored``
    the ids of the rows the form was drawn with, in the same order."""
    data = {
        "query": query,
        "slug": slug,
        "records-TOTAL_FORMS": len(records),
        "records-INITIAL_FORMS": len(stored),
        "records-MIN_NUM_FORMS": 0,
        "records-MAX_NUM_FORMS": 1000,
    }
    for index, (record, note) in enumerate(records):
        data |= {
            f"records-{index}-record": record.pk,
            f"records-{index}-note": note,
            f"records-{index}-ORDER": index + 1,
            f"records-{index}-id": stored[index] if index < len(stored) else "",
            f"records-{index}-DELETE": "",
        }
    return data


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw")


@pytest.mark.parametrize("who", ["superuser", "publisher"])
def test_superusers_and_publishers_add_and_edit_synonyms_in_the_admin(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(synonyms_url("add")).status_code == 200
    response = client.post(synonyms_url("add"), {"terms": "Deepfake\nsynthetic media", "slug": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    made = SynonymGroup.objects.get()
    assert (made.slug, made.term_list) == ("deepfake", ["deepfake", "synthetic media"])
    assert "deepfake, synthetic media" in client.get(synonyms_url()).content.decode()

    response = client.post(
        synonyms_url("edit", made.pk), {"terms": "deepfake\nsynthetic media\ndeep fake", "slug": made.slug}
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.term_list == ["deepfake", "synthetic media", "deep fake"]

    # Mistakes come back as errors on the form, in words.
    response = client.post(synonyms_url("add"), {"terms": "Synthetic Media\ngenerated imagery", "slug": ""})
    assert response.status_code == 200
    assert "is already in the synonym group" in response.content.decode()
    response = client.post(synonyms_url("add"), {"terms": "only one", "slug": ""})
    assert "at least two different terms" in response.content.decode()
    assert SynonymGroup.objects.count() == 1


def settings_menu_names(rf, user):
    request = rf.get("/admin/")
    request.user = user
    return {item.name for item in settings_menu.menu_items_for_request(request)}


def test_search_controls_are_under_settings_for_publishers_and_not_for_editors(rf, editor, publisher, superuser):
    controls = {"search-synonyms", "promoted-search-results"}
    assert controls <= settings_menu_names(rf, superuser)
    assert controls <= settings_menu_names(rf, publisher)
    assert not controls & settings_menu_names(rf, editor)


def test_an_editor_can_neither_see_nor_change_search_controls(client, editor, indexes):
    existing = group("recruiting", "hiring")
    record = FindingFactory(parent=indexes["finding"])
    kept = promotion("hiring", (record, ""))
    client.force_login(editor)
    for url in (synonyms_url(), synonyms_url("add"), synonyms_url("edit", existing.pk), promotions_url("add")):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")
    client.post(synonyms_url("add"), {"terms": "a\nb", "slug": ""})
    client.post(synonyms_url("edit", existing.pk), {"terms": "x\ny", "slug": existing.slug})
    client.post(promotions_url("add"), promotion_form("new query", (record, "")))
    client.post(promotions_url("delete", kept.pk))
    assert list(SynonymGroup.objects.values_list("terms", flat=True)) == ["recruiting\nhiring"]
    assert list(SearchPromotion.objects.values_list("query", flat=True)) == ["hiring"]


def test_a_superuser_promotes_records_in_order_with_notes(client, superuser, indexes):
    first = FindingFactory(parent=indexes["finding"], title="First finding")
    second = FrameworkFactory(parent=indexes["framework"], title="Second framework")
    client.force_login(superuser)
    assert client.get(promotions_url("add")).status_code == 200
    response = client.post(promotions_url("add"), promotion_form("  EU AI  Act", (second, "The law."), (first, "")))
    assert response.status_code == 302, response.content.decode()[:3000]
    made = SearchPromotion.objects.get()
    assert (made.query, made.slug) == ("eu ai act", "eu-ai-act")
    rows = list(made.records.order_by("sort_order").values_list("record_id", "note"))
    assert rows == [(second.pk, "The law."), (first.pk, "")]
    listing = client.get(promotions_url()).content.decode()
    assert "eu ai act" in listing and "Second framework, First finding" in listing

    # Reordered and one removed, through the edit form.
    stored = list(made.records.order_by("sort_order").values_list("pk", flat=True))
    data = promotion_form("eu ai act", (second, "The law."), (first, ""), slug="eu-ai-act", stored=stored)
    data |= {"records-0-ORDER": 2, "records-1-ORDER": 1, "records-0-DELETE": "1"}
    assert client.post(promotions_url("edit", made.pk), data).status_code == 302
    assert list(made.records.values_list("record_id", flat=True)) == [first.pk]


def test_a_promotion_form_refuses_no_record_a_record_twice_and_a_taken_query(client, superuser, indexes):
    record = FindingFactory(parent=indexes["finding"])
    promotion("taken", (record, ""))
    client.force_login(superuser)
    for data, message in (
        (promotion_form("no records"), "Choose at least one record"),
        (promotion_form("twice", (record, ""), (record, "again")), "already promoted above"),
        (promotion_form(" TAKEN ", (record, "")), "already promoted for this query"),
    ):
        response = client.post(promotions_url("add"), data)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert SearchPromotion.objects.count() == 1


def test_a_publisher_promotes_only_records_in_reach_and_never_meets_a_promotion_out_of_reach(client, publisher, orgs):
    """B's publisher may promote records they manage or may see on the site; a promotion of A's
    restricted record is, for them, one that does not exist."""
    ours, shared = orgs["ours"], RecordPage.objects.get(slug="shared-framework")
    theirs = promotion("secret query", (orgs["amber"], "Zanzibar note"), (shared, ""))
    client.force_login(publisher)

    response = client.post(promotions_url("add"), promotion_form("their record", (orgs["red"], "")))
    assert response.status_code == 200
    assert "Obsidianheron" not in response.content.decode()
    assert not SearchPromotion.objects.filter(query="their record").exists()
    response = client.post(promotions_url("add"), promotion_form("our records", (ours, ""), (shared, "Common.")))
    assert response.status_code == 302, response.content.decode()[:3000]
    mine = SearchPromotion.objects.get(query="our records")

    listing = client.get(promotions_url()).content.decode()
    assert "our records" in listing
    assert "secret query" not in listing and "Zanzibarquagmire" not in listing
    searched = client.get(promotions_url(), {"q": "secret"}).content.decode()
    assert "secret query" not in searched and "Zanzibarquagmire" not in searched
    for action in ("edit", "copy", "delete", "history", "usage"):
        response = client.get(promotions_url(action, theirs.pk))
        assert response.status_code == 404, action
        assert "Zanzibar" not in response.content.decode()
    client.post(promotions_url("delete", theirs.pk))
    assert SearchPromotion.objects.filter(pk=theirs.pk).exists()
    chooser = reverse("wagtailsnippetchoosers_portal_searchpromotion:choose")
    assert "secret query" not in client.get(chooser).content.decode()
    assert client.get(promotions_url("edit", mine.pk)).status_code == 200
    assert client.get(promotions_url("copy", mine.pk)).status_code == 200


# -- The permissions the migration grants ----------------------------------------------------------

SEARCH_CONTROL_PERMISSIONS = {
    f"{action}_{model}"
    for model in ("synonymgroup", "searchpromotion")
    for action in ("add", "change", "delete", "view")
}


def group_codenames(name):
    return set(
        Group.objects.get(name=name)
        .permissions.filter(content_type__app_label="portal")
        .values_list("codename", flat=True)
    )


def test_the_migration_gives_publishers_the_search_controls_and_editors_nothing():
    assert SEARCH_CONTROL_PERMISSIONS <= group_codenames("Publishers")
    assert not SEARCH_CONTROL_PERMISSIONS & group_codenames("Editors")
    publishers = Group.objects.get(name="Publishers")
    publishers.permissions.remove(*Permission.objects.filter(codename__in=SEARCH_CONTROL_PERMISSIONS))
    assert not SEARCH_CONTROL_PERMISSIONS & group_codenames("Publishers")
    migration = importlib.import_module("portal.migrations.0012_search_controls")
    migration.publishers_maintain_search_controls(django_apps, None)
    assert SEARCH_CONTROL_PERMISSIONS <= group_codenames("Publishers")
    assert not SEARCH_CONTROL_PERMISSIONS & group_codenames("Editors")


# -- alternatives() --------------------------------------------------------------------------------


@pytest.fixture
def synonyms():
    group("recruiting", "hiring", "recruitment", slug="recruiting")
    group("self-driving", "automated vehicle", "autonomous vehicle", slug="self-driving")
    group("vehicle", "car", slug="vehicle")
    return synonym_groups()


def test_a_term_is_replaced_by_each_of_its_synonyms_keeping_the_rest_of_the_query(synonyms):
    assert alternatives("Hiring bias in AI") == ["recruiting bias in AI", "recruitment bias in AI"]
    assert alternatives("hiring and HIRING again") == [
        "recruiting and recruiting again",
        "recruitment and recruitment again",
    ]


def test_phrases_match_whatever_their_case_spaces_or_hyphens(synonyms):
    expected = ["self-driving rules", "autonomous vehicle rules"]
    assert alternatives("Automated  Vehicle rules") == expected
    assert alternatives("automated\nvehicle rules") == expected
    assert alternatives("SELF DRIVING rules") == ["automated vehicle rules", "autonomous vehicle rules"]


def test_terms_match_whole_words_only(synonyms):
    assert alternatives("rehiring") == []
    assert alternatives("hirings") == []
    assert alternatives("vehicles and carts") == []
    assert alternatives("(hiring)") == ["(recruiting)", "(recruitment)"]


def test_the_longest_term_wins_where_terms_overlap(synonyms):
    assert alternatives("automated vehicle") == ["self-driving", "autonomous vehicle"]
    assert alternatives("a vehicle") == ["a car"]


def test_alternatives_are_bounded_and_distinct(synonyms):
    group(*[f"term{n}" for n in range(12)], slug="many")
    assert len(alternatives("term0 hiring")) == MAX_ALTERNATIVES
    found = alternatives("term0 hiring")
    assert len(set(found)) == len(found) and "term0 hiring" not in found
    assert alternatives("") == [] and alternatives("   ") == [] and alternatives("unrelated words") == []


def test_alternatives_read_the_groups_in_one_query_or_none_when_given(synonyms, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert alternatives("hiring")
    with django_assert_num_queries(0):
        assert alternatives("hiring", groups=synonyms) == ["recruiting", "recruitment"]
    with django_assert_num_queries(0):
        assert alternatives(" ") == []


def test_a_changed_group_is_used_by_the_next_call(synonyms):
    assert alternatives("hiring") == ["recruiting", "recruitment"]
    changed = SynonymGroup.objects.get(slug="recruiting")
    changed.terms = "hiring\nemployment"
    changed.save()
    assert alternatives("hiring") == ["employment"]


# -- promoted() ------------------------------------------------------------------------------------


def test_promoted_records_come_in_order_with_notes_for_the_query_as_typed(indexes, django_assert_num_queries):
    first = FindingFactory(parent=indexes["finding"])
    second = FrameworkFactory(parent=indexes["framework"])
    promotion("eu ai act", (second, "The regulation."), (first, ""))
    visible = RecordPage.objects.visible_to(AnonymousUser())
    with django_assert_num_queries(2):
        found = promoted("  EU   AI  act ", visible)
    assert [(record.pk, note) for record, note in found] == [(second.pk, "The regulation."), (first.pk, "")]
    assert isinstance(found[0][0], RecordPage)
    with django_assert_num_queries(1):
        assert promoted("eu ai", visible) == []
    with django_assert_num_queries(0):
        assert promoted("", visible) == []


def test_a_promotion_of_records_the_visitor_may_not_see_shows_nothing(indexes, django_user_model):
    secret = FindingFactory(parent=indexes["finding"], sharing_level=SharingLevel.RED)
    promotion("red query", (secret, "Secret note"))
    assert promoted("red query", RecordPage.objects.visible_to(AnonymousUser())) == []
    assert promoted("red query", RecordPage.objects.visible_to(django_user_model.objects.create_user("x"))) == []
    root = django_user_model.objects.create_superuser("boss", "boss@example.org", "pw")
    assert [(r.pk, n) for r, n in promoted("red query", RecordPage.objects.visible_to(root))] == [
        (secret.pk, "Secret note")
    ]


@pytest.fixture
def visitors(indexes, django_user_model):
    """The organisations and an account for each visitor of the sharing proofs (leak_world.py)."""
    organisations = {name: OrganisationFactory(slug=f"org-{name}") for name in "ab"}
    users = {"anonymous": AnonymousUser()}
    for visitor in VISITORS:
        if not visitor.signed_in:
            continue
        if visitor.superuser:
            users[visitor.name] = django_user_model.objects.create_superuser(
                visitor.name, f"{visitor.name}@x.org", "pw"
            )
        else:
            users[visitor.name] = django_user_model.objects.create_user(visitor.name)
        for organisation in visitor.organisations:
            Membership.objects.create(organisation=organisations[organisation], user=users[visitor.name])
    return {"organisations": organisations, "users": users, "indexes": indexes}


examples = itertools.count(1)


@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(record_specs(), min_size=1, max_size=6))
def test_promoted_never_gives_a_visitor_a_record_they_may_not_see(visitors, specs):
    """Random records at random sharing levels, owners, shared-with organisations, named people and
    states, all promoted for one query: each visitor gets exactly the ones the sharing table
    (leak_world.may_see, written independently of the code) lets them see, in order."""
    number = next(examples)
    organisations, users, indexes = visitors["organisations"], visitors["users"], visitors["indexes"]
    not_indexed = {"default": {"BACKEND": "modelsearch.backends.database", "AUTO_UPDATE": False}}
    with transaction.atomic(), override_settings(WAGTAILSEARCH_BACKENDS=not_indexed):
        pages = []
        for i, spec in enumerate(specs):
            page = FACTORIES[spec.kind](
                parent=indexes[spec.kind],
                slug=f"promoted-{number}-{i}",
                sharing_level=spec.was or spec.level,
                owning_organisation=organisations[spec.owner] if spec.owner else None,
                live=spec.state != "draft",
            )
            pages.append(settle(page, spec, organisations, users))
        promotion(f"query {number}", *[(page, f"note {i}") for i, page in enumerate(pages)])
        for visitor in VISITORS:
            found = promoted(f"Query  {number}", RecordPage.objects.visible_to(users[visitor.name]))
            expected = [
                (page.pk, f"note {i}")
                for i, (page, spec) in enumerate(zip(pages, specs, strict=True))
                if may_see(visitor, spec)
            ]
            assert [(record.pk, note) for record, note in found] == expected, (visitor.name, specs)
        transaction.set_rollback(True)


# -- The record files ------------------------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, verbosity=1)
    return out.getvalue() + err.getvalue()


def refused(*paths):
    """The report of an import that is refused."""
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_records", *map(str, paths), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


SEARCH_FILE = """format: portal-records/1
synonyms:
  - slug: recruiting
    terms: [recruiting, hiring, recruitment]
  - slug: jailbreak
    terms: [jailbreak, guardrail bypass]
search_promotions:
  - slug: jailbreaks
    query: jailbreaks in low-resource languages
    records:
      - {kind: finding, slug: low-resource-languages-jailbreak-gpt-4, note: The study that found it.}
      - {kind: finding, slug: multilingual-jailbreak-challenges}
  - slug: rmf
    query: rmf
    records:
      - {kind: framework, slug: nist-ai-rmf}
"""


def test_the_portal_registers_its_two_sections_of_the_record_files():
    from portal.exchange import kinds

    sections = kinds.sections()
    assert [sections[name].label for name in ("synonyms", "search_promotions")] == [
        "synonym group",
        "search promotion",
    ]


@pytest.fixture
def imported(tmp_path):
    path = tmp_path / "search.yaml"
    path.write_text(SEARCH_FILE)
    run("import_records", str(DEMO), str(path))
    return path


def test_import_creates_synonyms_and_promotions_and_a_second_import_changes_nothing(imported):
    assert alternatives("hiring rules") == ["recruiting rules", "recruitment rules"]
    jailbreaks = SearchPromotion.objects.get(slug="jailbreaks")
    rows = [(row.record.slug, row.note) for row in jailbreaks.records.order_by("sort_order")]
    assert rows == [
        ("low-resource-languages-jailbreak-gpt-4", "The study that found it."),
        ("multilingual-jailbreak-challenges", ""),
    ]
    assert "0 to create, 0 to update" in run("import_records", "--dry-run", str(DEMO), str(imported))
    importer = Importer([imported])
    assert importer.check() == []
    assert {str(change) for change in importer.plan()} == {
        "unchanged synonym group recruiting",
        "unchanged synonym group jailbreak",
        "unchanged search promotion jailbreaks",
        "unchanged search promotion rmf",
    }


def test_export_then_import_into_an_empty_database_then_export_gives_identical_files(imported, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    run("export_records", str(first))
    assert (first / "synonyms.yaml").exists() and (first / "search_promotions.yaml").exists()
    text = (first / "search_promotions.yaml").read_text()
    assert text.index("slug: jailbreaks") < text.index("slug: rmf")
    assert text.index("low-resource-languages-jailbreak-gpt-4") < text.index("multilingual-jailbreak-challenges")

    from wagtail.models import Page

    SearchPromotion.objects.all().delete()
    SynonymGroup.objects.all().delete()
    for page in RecordPage.objects.all():
        Page.objects.filter(pk=page.pk).delete()
    run("import_records", str(first))
    run("export_records", str(second))
    files = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert sorted(p.relative_to(second) for p in second.rglob("*.yaml")) == files
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_an_export_holds_only_promotions_whose_records_it_holds(imported, tmp_path):
    secret = RecordPage.objects.get(slug="multilingual-jailbreak-challenges").specific
    secret.sharing_level = SharingLevel.RED
    secret.save_revision().publish()
    run("export_records", "--sharing-level", "TLP:CLEAR", str(tmp_path / "clear"))
    text = (tmp_path / "clear" / "search_promotions.yaml").read_text()
    assert "slug: rmf" in text
    assert "jailbreaks" not in text and "multilingual-jailbreak-challenges" not in text
    run("export_records", "--kind", "lesson", str(tmp_path / "lessons"))
    assert not (tmp_path / "lessons" / "search_promotions.yaml").exists()
    assert (tmp_path / "lessons" / "synonyms.yaml").exists()  # synonyms name no record


def test_two_promotions_may_swap_their_queries_in_one_import(imported, tmp_path):
    swapped = tmp_path / "swapped.yaml"
    swapped.write_text(
        SEARCH_FILE.replace("query: jailbreaks in low-resource languages", "query: SWAP")
        .replace("query: rmf", "query: jailbreaks in low-resource languages")
        .replace("query: SWAP", "query: rmf")
    )
    run("import_records", str(DEMO), str(swapped))
    assert SearchPromotion.objects.get(slug="jailbreaks").query == "rmf"
    assert SearchPromotion.objects.get(slug="rmf").query == "jailbreaks in low-resource languages"


BAD_SEARCH_FILE = """format: portal-records/1
synonyms:
  - slug: lonely
    terms: [hiring]
  - slug: employment
    terms: [employment, hiring]
  - slug: shouting
    terms: [DEEPFAKE, synthetic media]
  - slug: twice
    terms: [llm, llm]
  - slug: stored-term
    terms: [talent acquisition, headhunting]
search_promotions:
  - slug: nowhere
    query: nowhere
    records:
      - {kind: finding, slug: no-such-finding}
      - {kind: framework, slug: nist-ai-rmf}
      - {kind: framework, slug: nist-ai-rmf}
  - slug: capitals
    query: EU AI Act
    records: [{kind: framework, slug: eu-ai-act}]
  - slug: empty
    query: empty
    records: []
  - slug: stored-query
    query: stored query
    records: [{kind: framework, slug: eu-ai-act}]
  - slug: again
    query: nowhere
    records: [{kind: framework, slug: eu-ai-act}]
"""


def test_bad_search_controls_are_reported_with_file_line_and_place_and_nothing_changes(tmp_path):
    run("import_records", str(DEMO))
    group("talent acquisition", "recruiting", slug="talent")
    promotion("stored query", (RecordPage.objects.get(slug="eu-ai-act"), ""), slug="stored")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SEARCH_FILE)
    report = refused(DEMO, bad)
    for message in (
        f"{bad}:4: synonyms[0].terms: a synonym group needs at least two different terms",
        f"{bad}:6: synonyms[1].terms[1]: 'hiring' is already in the synonym group 'lonely' (in {bad}:3)",
        f"{bad}:8: synonyms[2].terms[0]: write the term as it is matched, in lower case: 'deepfake'",
        f"{bad}:10: synonyms[3].terms: 'llm' is listed twice",
        f"{bad}:12: synonyms[4].terms[0]: 'talent acquisition' is already in the synonym group 'talent' "
        "(on this portal)",
        f"{bad}:17: search_promotions[0].records[0].slug: there is no finding 'no-such-finding'",
        f"{bad}:19: search_promotions[0].records[2]: this record is listed twice",
        f"{bad}:21: search_promotions[1].query: write the query as it is matched, in lower case: 'eu ai act'",
        f"{bad}:25: search_promotions[2].records: name at least one record to show first",
        f"{bad}:27: search_promotions[3].query: 'stored query' is already promoted by 'stored' on this portal",
        f"{bad}:30: search_promotions[4].query: 'nowhere' is already promoted by 'nowhere' in {bad}:14",
    ):
        assert message in report, f"{message}\n--- not in ---\n{report}"
    assert list(SynonymGroup.objects.values_list("slug", flat=True)) == ["talent"]
    assert list(SearchPromotion.objects.values_list("slug", flat=True)) == ["stored"]


def test_the_schema_refuses_search_controls_of_the_wrong_shape(tmp_path):
    bad = tmp_path / "shape.yaml"
    bad.write_text(
        "format: portal-records/1\nsynonyms:\n  - {slug: x, terms: [a, b], colour: red}\n"
        "search_promotions:\n  - {slug: y, query: q, records: [{kind: poem, slug: z}]}\n"
    )
    report = refused(bad)
    assert "synonyms[0]: Additional properties are not allowed ('colour' was unexpected)" in report
    assert "search_promotions[0].records[0].kind: 'poem' is not one of" in report


def test_load_demo_loads_the_curated_synonyms_and_no_promotions(settings, tmp_path):
    curated = CURATED / "synonyms.yaml"
    assert (Path(settings.PORTAL_DEMO_DATA) / "synonyms.yaml").resolve() == curated.resolve()
    assert "search_promotions" not in yaml.safe_load(curated.read_text())  # an editor's choice, not data
    demo = tmp_path / "demo"
    demo.mkdir()
    shutil.copy(curated, demo)
    settings.PORTAL_DEMO_DATA, settings.PORTAL_SAMPLE_DATA = str(demo), ""
    groups = len(yaml.safe_load(curated.read_text())["synonyms"])
    assert f"{demo}: {groups} item(s) added." in run("load_demo")
    assert alternatives("hiring") == ["recruiting", "recruitment"]
    assert "automated vehicle rules" in alternatives("self-driving rules")
    assert alternatives("deepfakes") == []  # terms match as written; stemming is the search index's work
    assert f"{demo}: 0 item(s) added." in run("load_demo")
