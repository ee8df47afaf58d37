"""Organisation boundaries in reports, site history, bulk actions and page views: nothing of
organisation A's records for staff of organisation B (tests/portal/test_admin_boundaries.py
says how these tests work).
"""

import pytest

from django.urls import reverse

from wagtail.models import Page

from tests.portal.admin_boundaries import (
    OURS,
    assert_nothing_of_theirs,
    assert_refused,
)

pytestmark = pytest.mark.django_db


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
