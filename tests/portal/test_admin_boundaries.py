"""Organisation boundaries in the whole admin: staff of one organisation never meet another's records.

Organisation A owns restricted records; an Editor and a Publisher of organisation B walk every
admin surface that lists, searches, reports on or acts on pages, and must find neither the titles
nor the body words of A's records, while their own organisation's record is still there (so each
test can fail both ways). A page id they may not see answers 404, as a record that does not exist.

This file: page search, the page chooser, the admin API, the explorer, the people picker and
cross-link targets. The workflow, crosswalks, and reports and history are in
``test_admin_boundaries_*.py``; the organisations and the checks they share are in ``conftest.py``
and ``admin_boundaries.py``.
"""

import pytest

from django.urls import reverse

from portal.models import Membership, RecordPage
from tests.factories import FindingFactory
from tests.portal.admin_boundaries import (
    OURS,
    THEIR_TITLES,
    assert_nothing_of_theirs,
    get,
)

pytestmark = pytest.mark.django_db


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


def test_the_page_chooser_names_only_pages_it_offers(client, orgs, editor):
    client.force_login(editor)
    ids = [orgs["amber"].pk, orgs["red"].pk, orgs["ours"].pk, "not-a-number"]
    response = client.get(reverse("wagtailadmin_choose_page_chosen_multiple"), {"id": ids})
    assert response.status_code == 200
    content = assert_nothing_of_theirs(response)
    assert OURS in content
