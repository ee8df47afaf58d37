"""Organisation boundaries in the whole admin: staff of one organisation never meet another's records.

Organisation A owns restricted records; an Editor and a Publisher of organisation B walk every
admin surface that lists, searches, reports on or acts on pages, and must find neither the titles
nor the body words of A's records, while their own organisation's record is still there (so each
test can fail both ways). A page id they may not see answers 404, as a record that does not exist.
"""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.models import Page, Task, TaskState, WorkflowState

from frameworks.models import Crosswalk
from portal.models import Membership, RecordPage, SharingLevel
from tests.factories import (
    CrosswalkFactory,
    CrosswalkMappingFactory,
    FindingFactory,
    FrameworkFactory,
    OrganisationFactory,
    ProvisionFactory,
)

pytestmark = pytest.mark.django_db

#: Words that only organisation A's restricted records contain.
THEIR_TITLES = ["Zanzibarquagmire", "Obsidianheron"]
#: Their titles in full, for pages that repeat the words searched for.
THEIR_FULL_TITLES = ["Zanzibarquagmire amber finding", "Obsidianheron red framework"]
THEIR_WORDS = ["xylophonicmarker", "pterodactylmarker", "Quasarprovision", "Obsidiancrosswalk"]
OURS = "Bluebelllantern"


@pytest.fixture
def orgs(indexes, editor, publisher, django_user_model):
    """Organisation A's AMBER finding and RED framework (with a provision and a crosswalk), and
    organisation B's own AMBER finding; ``editor`` and ``publisher`` belong to B only."""
    org_a, org_b = OrganisationFactory(slug="org-a"), OrganisationFactory(slug="org-b")
    for user in (editor, publisher):
        Membership.objects.create(user=user, organisation=org_b)
    author_a = django_user_model.objects.create_user("alice", "alice@example.org", "pw")
    author_a.groups.add(Group.objects.get(name="Editors"))
    Membership.objects.create(user=author_a, organisation=org_a)

    amber = FindingFactory(
        parent=indexes["finding"],
        slug="their-amber",
        title="Zanzibarquagmire amber finding",
        summary="Summary of the xylophonicmarker finding.",
        body=[("paragraph", "<p>xylophonicmarker in the body</p>")],
        sharing_level=SharingLevel.AMBER,
        owning_organisation=org_a,
    )
    red = FrameworkFactory(
        parent=indexes["framework"],
        slug="their-red",
        title="Obsidianheron red framework",
        summary="Summary of the pterodactylmarker framework.",
        body=[("paragraph", "<p>pterodactylmarker in the body</p>")],
        sharing_level=SharingLevel.RED,
        owning_organisation=org_a,
    )
    secret_provision = ProvisionFactory(framework=red, code="QP 1", title="Quasarprovision on secrets")
    ours = FindingFactory(
        parent=indexes["finding"],
        slug="our-amber",
        title=f"{OURS} our finding",
        sharing_level=SharingLevel.AMBER,
        owning_organisation=org_b,
    )
    shared = FrameworkFactory(parent=indexes["framework"], slug="shared-framework", title="Sharedframework common")
    shared_provision = ProvisionFactory(framework=shared, code="DF 1", title="Daffodilprovision in common")
    other_shared = FrameworkFactory(parent=indexes["framework"], slug="other-shared", title="Othershared common")
    their_crosswalk = CrosswalkFactory(
        title="Obsidiancrosswalk to common", source_framework=red, target_framework=shared
    )
    CrosswalkMappingFactory(
        crosswalk=their_crosswalk, source_provision=secret_provision, target_provision=shared_provision
    )
    common_crosswalk = CrosswalkFactory(
        title="Commoncrosswalk between shared", source_framework=shared, target_framework=other_shared
    )
    # Published by an editor of A, so that history and reports have something to show.
    for page in (ours, shared, amber, red):
        page.save_revision(user=author_a, log_action=True).publish(user=author_a, skip_permission_checks=True)
    return {
        "a": org_a,
        "b": org_b,
        "author_a": author_a,
        "amber": amber,
        "red": red,
        "ours": ours,
        "their_crosswalk": their_crosswalk,
        "common_crosswalk": common_crosswalk,
        "shared_provision": shared_provision,
    }


def assert_nothing_of_theirs(response, *, words=True, searched=False):
    """No title or body word of organisation A's records in ``response``; after a search, which
    repeats the words searched for, no title in full."""
    content = response.content.decode()
    markers = THEIR_FULL_TITLES if searched else THEIR_TITLES + (THEIR_WORDS if words else [])
    for marker in markers:
        assert marker not in content, f"{marker} leaked at {response.request['PATH_INFO']}"
    return content


def get(client, url, **params):
    return client.get(url, params)


def assert_refused(client, response):
    """Refused as a page that does not exist (404), or as Wagtail refuses a right: 403, or a
    redirect to the dashboard saying so; nothing of theirs on the way."""
    assert_nothing_of_theirs(response)
    for _ in range(3):  # e.g. a page's revisions redirect to its history, which refuses
        if response.status_code != 302 or response["Location"] == reverse("wagtailadmin_home"):
            break
        response = client.get(response["Location"])
        assert_nothing_of_theirs(response)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")
        assert_nothing_of_theirs(client.get(response["Location"]))
    else:
        assert response.status_code in (403, 404)


# -- Page search, choosers, admin API, explorer -------------------------------------------------


@pytest.mark.parametrize("query", ["Zanzibarquagmire", "Obsidianheron", "xylophonicmarker", "pterodactylmarker"])
def test_admin_page_search_keeps_to_own_organisations_records(client, orgs, editor, query):
    client.force_login(editor)
    for name in ("wagtailadmin_pages:search", "wagtailadmin_pages:search_results"):
        response = get(client, reverse(name), q=query)
        assert response.status_code == 200
        assert_nothing_of_theirs(response, searched=True)
    assert OURS in get(client, reverse("wagtailadmin_pages:search"), q=OURS).content.decode()


def test_page_chooser_browse_and_search_keep_to_own_organisations_records(client, orgs, editor, indexes):
    client.force_login(editor)
    browse = get(client, reverse("wagtailadmin_choose_page_child", args=(indexes["finding"].pk,)))
    assert browse.status_code == 200
    assert OURS in assert_nothing_of_theirs(browse)
    for query in THEIR_TITLES:
        found = get(client, reverse("wagtailadmin_choose_page_search"), q=query)
        assert found.status_code == 200
        assert_nothing_of_theirs(found, searched=True)
    assert OURS in get(client, reverse("wagtailadmin_choose_page_search"), q=OURS).content.decode()


def test_page_chooser_answers_404_for_a_record_of_another_organisation(client, orgs, editor):
    client.force_login(editor)
    for record in ("amber", "red"):
        response = get(client, reverse("wagtailadmin_choose_page_child", args=(orgs[record].pk,)))
        assert response.status_code == 404
        assert_nothing_of_theirs(response)
    assert get(client, reverse("wagtailadmin_choose_page_child", args=(orgs["ours"].pk,))).status_code == 200


def test_admin_api_keeps_to_own_organisations_records(client, orgs, editor, indexes):
    client.force_login(editor)
    api = "/admin/api/main/pages/"
    for query in THEIR_TITLES + ["xylophonicmarker"]:
        response = get(client, api, search=query)
        assert response.status_code == 200
        assert response.json()["meta"]["total_count"] == 0
        assert_nothing_of_theirs(response, searched=True)
    listing = get(client, api, child_of=indexes["finding"].pk, for_explorer="1")
    assert OURS in assert_nothing_of_theirs(listing)
    assert OURS in get(client, api, search=OURS).content.decode()
    for record in ("amber", "red"):
        detail = get(client, f"{api}{orgs[record].pk}/")
        assert detail.status_code == 404
        assert_nothing_of_theirs(detail)
    assert get(client, f"{api}{orgs['ours'].pk}/").status_code == 200


def test_explorer_of_a_record_of_another_organisation_answers_404(client, orgs, editor, publisher):
    for user in (editor, publisher):
        client.force_login(user)
        for record in ("amber", "red"):
            response = get(client, reverse("wagtailadmin_explore", args=(orgs[record].pk,)))
            assert response.status_code == 404
            assert_nothing_of_theirs(response)
        own = get(client, reverse("wagtailadmin_explore", args=(orgs["ours"].pk,)))
        assert own.status_code == 200 and OURS in own.content.decode()


def test_a_superuser_still_sees_every_organisations_records(admin_client, orgs):
    response = get(admin_client, reverse("wagtailadmin_pages:search"), q="Zanzibarquagmire")
    assert "Zanzibarquagmire amber finding" in response.content.decode()
    assert get(admin_client, reverse("wagtailadmin_explore", args=(orgs["red"].pk,))).status_code == 200


# -- The moderation workflow ----------------------------------------------------------------------


@pytest.fixture
def in_moderation(orgs, editor):
    """A's draft and B's draft, each submitted for moderation by its own organisation's editor."""
    states = {}
    for key, author in (("amber", orgs["author_a"]), ("ours", editor)):
        page = orgs[key]
        page.title = page.title + " revised"
        page.save_revision(user=author)
        states[key] = page.get_workflow().start(page, author)
    return states


def test_the_default_workflow_uses_the_organisation_aware_task(db):
    from portal.models import OrganisationApprovalTask

    task = Task.objects.get(name="Publisher approval")
    assert isinstance(task.specific, OrganisationApprovalTask)
    assert list(task.specific.groups.values_list("name", flat=True)) == ["Publishers"]


def test_publisher_is_not_asked_to_review_another_organisations_draft(client, orgs, publisher, in_moderation):
    assert set(TaskState.objects.reviewable_by(publisher)) == {in_moderation["ours"].current_task_state}
    client.force_login(publisher)
    dashboard = client.get(reverse("wagtailadmin_home"))
    assert dashboard.status_code == 200
    assert OURS in assert_nothing_of_theirs(dashboard)
    for name in ("workflow", "workflow_tasks"):
        report = client.get(reverse(f"wagtailadmin_reports:{name}"))
        assert report.status_code == 200
        assert OURS in assert_nothing_of_theirs(report)


def test_publisher_cannot_preview_approve_or_reject_another_organisations_draft(client, orgs, publisher, in_moderation):
    client.force_login(publisher)
    page, state = orgs["amber"], in_moderation["amber"]
    task_state = state.current_task_state
    assert_refused(
        client, client.get(reverse("wagtailadmin_pages:workflow_preview", args=(page.pk, task_state.task_id)))
    )
    for action in ("approve", "reject"):
        url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))
        assert_refused(client, client.get(url))
        assert_refused(client, client.post(url, {"comment": "looks fine"}))
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.status == TaskState.STATUS_IN_PROGRESS

    # Their own organisation's draft: previewed and approved as before.
    own_state = in_moderation["ours"]
    own_task_state = own_state.current_task_state
    own_preview = reverse("wagtailadmin_pages:workflow_preview", args=(orgs["ours"].pk, own_task_state.task_id))
    assert client.get(own_preview).status_code == 200
    approve = reverse("wagtailadmin_pages:workflow_action", args=(orgs["ours"].pk, "approve", own_task_state.pk))
    client.post(approve, {"comment": ""})
    own_state.refresh_from_db()
    assert own_state.status == WorkflowState.STATUS_APPROVED


def test_publishers_of_another_organisation_are_not_told_about_a_submission(
    orgs, publisher, django_user_model, mailoutbox
):
    colleague = django_user_model.objects.create_user("paula", "paula@example.org", "pw")
    colleague.groups.add(Group.objects.get(name="Publishers"))
    Membership.objects.create(user=colleague, organisation=orgs["a"])
    page = orgs["amber"]
    page.save_revision(user=orgs["author_a"])
    page.get_workflow().start(page, orgs["author_a"])
    recipients = {address for message in mailoutbox for address in message.to}
    assert "paula@example.org" in recipients
    assert "pablo@example.org" not in recipients


# -- Crosswalks and the provision chooser ---------------------------------------------------------


def test_crosswalks_of_frameworks_out_of_reach_are_neither_listed_nor_editable(client, orgs, editor):
    client.force_login(editor)
    listing = client.get(reverse("wagtailsnippets_frameworks_crosswalk:list"))
    assert listing.status_code == 200
    assert "Commoncrosswalk" in assert_nothing_of_theirs(listing)
    theirs = orgs["their_crosswalk"]
    edit = reverse("wagtailsnippets_frameworks_crosswalk:edit", args=(theirs.pk,))
    response = client.get(edit)
    assert response.status_code == 404
    assert_nothing_of_theirs(response)
    client.post(edit, {"title": "Renamed by B", "slug": theirs.slug})
    assert Crosswalk.objects.get(pk=theirs.pk).title == "Obsidiancrosswalk to common"
    for action in ("delete", "history", "usage"):
        url = reverse(f"wagtailsnippets_frameworks_crosswalk:{action}", args=(theirs.pk,))
        response = client.get(url)
        assert response.status_code == 404
        assert_nothing_of_theirs(response)
    common = reverse("wagtailsnippets_frameworks_crosswalk:edit", args=(orgs["common_crosswalk"].pk,))
    assert client.get(common).status_code == 200


def crosswalk_form(title, slug, source, target, *mappings):
    data = {
        "title": title,
        "slug": slug,
        "source_framework": source.pk,
        "target_framework": target.pk,
        "description": "",
        "source_title": "",
        "source_url": "",
        "mappings-TOTAL_FORMS": len(mappings),
        "mappings-INITIAL_FORMS": 0,
        "mappings-MIN_NUM_FORMS": 0,
        "mappings-MAX_NUM_FORMS": 1000,
    }
    for index, (left, right) in enumerate(mappings):
        data |= {
            f"mappings-{index}-source_provision": left.pk,
            f"mappings-{index}-target_provision": right.pk,
            f"mappings-{index}-relation": "related",
            f"mappings-{index}-note": "",
            f"mappings-{index}-source": "",
            f"mappings-{index}-ORDER": index + 1,
            f"mappings-{index}-id": "",
            f"mappings-{index}-DELETE": "",
        }
    return data


def test_a_crosswalk_may_join_only_frameworks_in_reach(client, orgs, editor, indexes):
    client.force_login(editor)
    add = reverse("wagtailsnippets_frameworks_crosswalk:add")
    ours = FrameworkFactory(parent=indexes["framework"], slug="our-framework", owning_organisation=orgs["b"])
    own_provision = ProvisionFactory(framework=ours, code="OF 1")
    shared = orgs["shared_provision"].framework
    secret = orgs["red"].provisions.get()
    client.post(add, crosswalk_form("Into theirs", "into-theirs", ours, orgs["red"]))
    client.post(add, crosswalk_form("Their provision", "their-provision", ours, shared, (own_provision, secret)))
    assert not Crosswalk.objects.filter(slug__in=["into-theirs", "their-provision"]).exists()
    response = client.post(add, crosswalk_form("Ours", "ours", ours, shared, (own_provision, orgs["shared_provision"])))
    assert response.status_code == 302
    assert Crosswalk.objects.get(slug="ours").mappings.count() == 1


def test_crosswalk_search_and_chooser_find_only_crosswalks_in_reach(client, orgs, editor):
    client.force_login(editor)
    listing = reverse("wagtailsnippets_frameworks_crosswalk:list")
    chooser = reverse("wagtailsnippetchoosers_frameworks_crosswalk:choose")
    for url in (listing, chooser):
        for query in ("Obsidiancrosswalk", "crosswalk"):
            response = client.get(url, {"q": query})
            assert response.status_code == 200
            assert "Obsidiancrosswalk to common" not in response.content.decode()
        assert "Commoncrosswalk" in client.get(url, {"q": "crosswalk"}).content.decode()
    assert "Commoncrosswalk" in client.get(chooser).content.decode()
    assert "Obsidiancrosswalk" not in client.get(chooser).content.decode()
    chosen = reverse("wagtailsnippetchoosers_frameworks_crosswalk:chosen", args=(orgs["their_crosswalk"].pk,))
    assert client.get(chosen).status_code == 404


def test_provision_chooser_lists_only_provisions_of_frameworks_in_reach(client, orgs, editor):
    client.force_login(editor)
    for name in ("provision_chooser:choose", "provision_chooser:choose_results"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "Daffodilprovision" in assert_nothing_of_theirs(response)
    search = client.get(reverse("provision_chooser:choose_results"), {"q": "QP 1"})
    assert "Quasarprovision" not in search.content.decode()
    assert (
        "Daffodilprovision" in client.get(reverse("provision_chooser:choose_results"), {"q": "DF 1"}).content.decode()
    )
    chosen = client.get(reverse("provision_chooser:chosen", args=(orgs["red"].provisions.get().pk,)))
    assert chosen.status_code == 404


# -- Reports, history and bulk actions ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/reports/locked/",
        "/admin/pages/usage/findings/findingpage/",
        "/admin/pages/usage/frameworks/frameworkpage/",
    ],
)
def test_reports_keep_to_own_organisations_records(client, orgs, publisher, url):
    records = [orgs[record].pk for record in ("amber", "red", "ours")]
    Page.objects.filter(pk__in=records).update(locked=True, locked_by=orgs["author_a"])
    client.force_login(publisher)
    response = client.get(url)
    assert response.status_code == 200
    content = assert_nothing_of_theirs(response)
    if "frameworkpage" not in url:
        assert OURS in content


def test_page_types_report_names_no_record_of_another_organisation(client, orgs, publisher):
    client.force_login(publisher)
    response = client.get(reverse("wagtailadmin_reports:page_types_usage"))
    assert response.status_code == 200
    assert_nothing_of_theirs(response)
    counts = {row.model: row.count for row in response.context["object_list"]}
    # Their AMBER finding is not counted: only our finding; their RED framework neither.
    assert counts["findingpage"] == 1
    assert counts["frameworkpage"] == 2


@pytest.mark.parametrize("action", ["delete", "move", "publish", "unpublish"])
def test_bulk_action_confirmations_name_no_record_of_another_organisation(client, orgs, publisher, action):
    client.force_login(publisher)
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", action))
    response = client.get(url + f"?id={orgs['amber'].pk}&id={orgs['red'].pk}&id={orgs['ours'].pk}")
    assert response.status_code == 200
    assert OURS in assert_nothing_of_theirs(response)
    alone = client.get(url + f"?id={orgs['amber'].pk}")
    assert alone.status_code == 404
    assert_nothing_of_theirs(alone)


@pytest.mark.parametrize(
    "name",
    ["edit", "history", "revisions_index", "workflow_history", "usage", "delete", "move", "copy", "unpublish"],
)
def test_page_views_of_a_record_of_another_organisation_name_nothing_of_it(client, orgs, publisher, name):
    client.force_login(publisher)
    for record in ("amber", "red"):
        response = client.get(reverse(f"wagtailadmin_pages:{name}", args=(orgs[record].pk,)))
        assert_refused(client, response)
    own = client.get(reverse(f"wagtailadmin_pages:{name}", args=(orgs["ours"].pk,)), follow=True)
    assert own.status_code == 200 and own.request["PATH_INFO"] != reverse("wagtailadmin_home")


# -- The people picker on a record's edit form ------------------------------------------------------


def test_the_people_picker_offers_members_in_reach_not_every_account(client, orgs, editor, django_user_model):
    django_user_model.objects.create_user("stranger-zed", "zed@example.org", "pw")
    colleague = django_user_model.objects.create_user("colleague-cy", "cy@example.org", "pw")
    Membership.objects.create(user=colleague, organisation=orgs["b"])
    client.force_login(editor)
    form = client.get(reverse("wagtailadmin_pages:edit", args=[orgs["ours"].pk])).context["form"]
    offered = set(form.fields["shared_with_people"].queryset.values_list("username", flat=True))
    assert "colleague-cy" in offered and "edna" in offered
    assert "alice" not in offered and "stranger-zed" not in offered
    # Once the record is shared with organisation A, A's members may be named on it.
    ours = orgs["ours"]
    ours.shared_with_organisations.add(orgs["a"])
    ours.save_revision().publish()
    form = client.get(reverse("wagtailadmin_pages:edit", args=[ours.pk])).context["form"]
    offered = set(form.fields["shared_with_people"].queryset.values_list("username", flat=True))
    assert "alice" in offered and "stranger-zed" not in offered


# -- Cross-link targets ------------------------------------------------------------------------------


def test_a_link_may_point_only_at_records_the_editor_may_link_to(client, orgs, editor, indexes):
    from tests.portal.test_admin import _with_link, edit_form

    public_of_a = FindingFactory(
        parent=indexes["finding"], title="Publiccamellia finding", owning_organisation=orgs["a"]
    )
    client.force_login(editor)
    ours = orgs["ours"]
    revisions = ours.revisions.count()
    for target, provision in ((orgs["amber"], None), (orgs["red"], orgs["red"].provisions.first())):
        url, data = edit_form(client, ours)
        data.setlist("shared_with_people", [])
        response = client.post(url, _with_link(data, target, provision=provision) | {"action-publish": "Publish"})
        assert response.status_code == 200, "refused"
        assert_nothing_of_theirs(response)
        assert "Select a valid choice" in response.content.decode()
        assert ours.revisions.count() == revisions
    # A public record of another organisation is a fine target: cross-links join organisations.
    url, data = edit_form(client, ours)
    data.setlist("shared_with_people", [])
    response = client.post(url, _with_link(data, public_of_a) | {"action-publish": "Publish"})
    assert response.status_code == 302
    draft = RecordPage.objects.get(pk=ours.pk).get_latest_revision_as_object()
    assert [link.target_id for link in draft.links.all()] == [public_of_a.pk]


def test_the_page_chooser_offers_public_records_of_other_organisations_for_linking(client, orgs, editor, indexes):
    FindingFactory(parent=indexes["finding"], title="Publiccamellia finding", owning_organisation=orgs["a"])
    client.force_login(editor)
    content = client.get("/admin/choose-page/search/", {"q": "Publiccamellia"}).content.decode()
    assert "Publiccamellia" in content
    content = client.get(f"/admin/choose-page/{indexes['finding'].pk}/").content.decode()
    assert "Publiccamellia" in content and OURS in content
    assert_nothing_of_theirs(client.get(f"/admin/choose-page/{indexes['finding'].pk}/"))


def test_workflow_views_of_a_record_out_of_reach_answer_404_even_when_it_is_not_in_review(client, orgs, publisher):
    client.force_login(publisher)
    task = Task.objects.get(name="Publisher approval")
    for page in (orgs["amber"], orgs["red"]):
        urls = [
            reverse("wagtailadmin_pages:workflow_preview", args=(page.pk, task.pk)),
            reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", 1)),
            reverse("wagtailadmin_pages:history", args=(page.pk,)),
            reverse("wagtailadmin_pages:edit", args=(page.pk,)),
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, url
            assert_nothing_of_theirs(response)


def test_the_page_chooser_names_only_pages_it_offers(client, orgs, editor):
    client.force_login(editor)
    ids = [orgs["amber"].pk, orgs["red"].pk, orgs["ours"].pk, "not-a-number"]
    response = client.get(reverse("wagtailadmin_choose_page_chosen_multiple"), {"id": ids})
    assert response.status_code == 200
    content = assert_nothing_of_theirs(response)
    assert OURS in content


def test_site_history_names_no_deleted_record_and_no_crosswalk_out_of_reach(client, orgs, editor, admin_user):
    from wagtail.log_actions import log

    log(orgs["their_crosswalk"], "wagtail.edit", user=orgs["author_a"])
    log(orgs["common_crosswalk"], "wagtail.edit", user=orgs["author_a"])
    orgs["amber"].delete(user=admin_user)
    client.force_login(editor)
    for url in (reverse("wagtailadmin_reports:site_history"), reverse("wagtailadmin_reports:site_history_results")):
        response = client.get(url)
        assert response.status_code == 200
        content = assert_nothing_of_theirs(response)
        assert OURS in content and "Commoncrosswalk" in content
    # A superuser still sees the whole history.
    client.force_login(admin_user)
    content = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert "Zanzibarquagmire" in content and "Obsidiancrosswalk" in content
