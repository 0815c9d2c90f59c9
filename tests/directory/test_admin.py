"""Every admin page a curator uses answers, without N+1 queries."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from directory.models import DueForVerification, Feedback, PublicationStatus, Resource
from tests.admin_forms import change_form_data
from tests.factories import (
    AuditEventFactory,
    ContactChannelFactory,
    LinkCheckFactory,
    LocationFactory,
    ProblemReportFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
)

DIRECTORY_MODELS = [
    model for model in admin.site._registry if model._meta.app_label == "directory"
]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


# Records without seed rows, made for the pages that show one.
MAKERS = {
    "location": LocationFactory,
    "feedback": ProblemReportFactory,
    "linkcheck": LinkCheckFactory,
    "auditevent": AuditEventFactory,
}


@pytest.mark.parametrize("model", DIRECTORY_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_add_and_change_pages_answer_for_a_curator(
    seeded, curator_client, rf, curator, model
):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = curator
    assert curator_client.get(admin_url(model, "changelist")).status_code == 200
    # Queues and records (feedback, audit, link checks) are never added by hand.
    expected_add = 200 if model_admin.has_add_permission(request) else 403
    assert curator_client.get(admin_url(model, "add")).status_code == expected_add
    if maker := MAKERS.get(model._meta.model_name):
        maker()
    obj = model_admin.get_queryset(request).first()
    assert isinstance(obj, model)
    assert curator_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "status=published",
        "kind=crisis-line",
        "topic=suicide-prevention",
        "audience=veterans",
        "urgency=crisis",
        "needs_verification__exact=1",
        "verified=stale",
        "verified=never",
        "q=741741",
    ],
)
def test_resource_changelist_filters_answer(seeded, curator_client, query):
    response = curator_client.get(admin_url(Resource, "changelist") + "?" + query)
    assert response.status_code == 200


def test_resource_changelist_search_finds_a_listing_by_number(seeded, curator_client):
    response = curator_client.get(admin_url(Resource, "changelist") + "?q=741741")
    names = {r.name for r in response.context["cl"].result_list}
    assert names == {"Crisis Text Line", "The Steve Fund crisis text keyword"}


def _add_resources(count: int) -> None:
    for _ in range(count):
        resource = ResourceFactory()
        ContactChannelFactory(resource=resource)
        ScheduleFactory(resource=resource)
        ServiceAreaFactory(resource=resource)
        LocationFactory(resource=resource)


@pytest.mark.parametrize("model", DIRECTORY_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_query_count_does_not_grow_with_rows(curator_client, model, settings):
    _add_resources(2)
    url = admin_url(model, "changelist")
    curator_client.get(url)  # warm the session and content-type caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert curator_client.get(url).status_code == 200
    _add_resources(6)
    with CaptureQueriesContext(connection) as many:
        assert curator_client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_resource_changelist_query_count_is_pinned(curator_client, django_assert_num_queries):
    _add_resources(8)
    url = admin_url(Resource, "changelist")
    curator_client.get(url)
    # session, user, user and group permissions, the kind/topic/audience
    # filter choices (3), total and filtered counts (2), the page of rows with
    # organization and kind joined, the date hierarchy's range and its days.
    with django_assert_num_queries(12):
        curator_client.get(url)


def test_publish_and_archive_actions_change_status(curator_client):
    draft = ResourceFactory(status=PublicationStatus.DRAFT)
    url = admin_url(Resource, "changelist")
    curator_client.post(url, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.PUBLISHED
    curator_client.post(url, {"action": "archive", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.ARCHIVED


def test_verified_today_records_who_and_how_and_clears_the_flag(curator, curator_client):
    resource = ResourceFactory(needs_verification=True)
    curator_client.post(
        admin_url(Resource, "changelist"),
        {"action": "verified_by_calling", "_selected_action": [resource.pk]},
    )
    resource.refresh_from_db()
    assert resource.last_verified_on == timezone.localdate()
    assert resource.last_verified_by == curator
    assert resource.last_verified_how == "called"
    assert resource.needs_verification is False


def test_a_staff_user_without_permissions_cannot_open_the_directory(db, client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        "visitor", password="x-long-password", is_staff=True
    )
    client.force_login(user)
    assert client.get(admin_url(Resource, "changelist")).status_code == 403


# --- Review and publish, history, queues ---------------------------------------


def test_a_curator_proposes_edits_and_submits_a_change_an_editor_publishes(
    curator_member_client, editor_member_client
):
    live = ResourceFactory(name="Warmline", summary="Talk to a peer.")
    ContactChannelFactory(resource=live, value="1-202-555-0100")

    response = curator_member_client.post(admin_url(Resource, "propose_change", live.pk))
    draft = Resource.objects.get(draft_of=live)
    assert response.url == admin_url(Resource, "change", draft.pk)

    draft_url = response.url
    data = change_form_data(curator_member_client.get(draft_url))
    data["summary"] = "Talk to a trained peer, free."
    response = curator_member_client.post(draft_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    live.refresh_from_db()
    assert live.summary == "Talk to a peer."

    curator_member_client.post(admin_url(Resource, "submit", draft.pk))
    draft.refresh_from_db()
    assert draft.review_state == "submitted"
    # Handed in, the draft is the editors' until returned.
    assert curator_member_client.get(draft_url).context["has_change_permission"] is False

    review_page = editor_member_client.get(admin_url(Resource, "change", draft.pk)).content
    assert b"<del>Talk to a peer.</del>" in review_page
    assert b"<ins>Talk to a trained peer, free.</ins>" in review_page
    editor_member_client.post(admin_url(Resource, "publish", draft.pk))
    live.refresh_from_db()
    assert live.summary == "Talk to a trained peer, free."
    assert not Resource.objects.filter(pk=draft.pk).exists()


def test_a_new_listing_saved_by_a_curator_is_a_draft(curator_member_client):
    org = ResourceFactory().organization
    kind = Resource.objects.get().kind
    page = curator_member_client.get(admin_url(Resource, "add"))
    data = change_form_data(page)
    data.update(
        name="New group",
        slug="new-group",
        organization=org.pk,
        summary="A weekly group.",
        kind=kind.pk,
        urgency="soon",
        time_zone="America/Chicago",
    )
    response = curator_member_client.post(admin_url(Resource, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Resource.objects.get(slug="new-group").status == PublicationStatus.DRAFT


def test_history_shows_a_readable_diff_and_reverts_in_one_click(admin_client):
    resource = ResourceFactory(summary="Before.")
    first = resource.history.first()
    resource.summary = "After."
    resource.save()

    page = admin_client.get(admin_url(Resource, "history", resource.pk)).content.decode()
    assert "Before." in page and "After." in page
    assert "Revert to this version" in page

    response = admin_client.post(
        admin_url(Resource, "history_revert", resource.pk, first.history_id)
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.summary == "Before."
    assert resource.history.count() == 3


def test_a_curator_cannot_revert_a_published_listing(curator_member_client):
    resource = ResourceFactory(summary="Before.")
    first = resource.history.first()
    resource.summary = "After."
    resource.save()
    url = admin_url(Resource, "history_revert", resource.pk, first.history_id)
    assert curator_member_client.post(url).status_code == 403


def test_the_admin_index_shows_open_work_counts(curator_member_client):
    ProblemReportFactory()
    ProblemReportFactory(status=Feedback.Status.REJECTED)
    ResourceFactory(status=PublicationStatus.DRAFT, review_state="submitted")
    response = curator_member_client.get(reverse("admin:index"))
    page = response.content.decode()
    assert "Open suggestions and problem reports" in page
    rows = dict(re.findall(r'<a href="[^"]*">([^<]+)</a></th><td>(\d+)</td>', page))
    assert rows["Open suggestions and problem reports"] == "1"
    assert rows["Drafts awaiting review"] == "1"


def test_moderation_actions_accept_reject_and_mark_spam(curator_member_client):
    url = admin_url(Feedback, "changelist")
    report, rejected, spam = ProblemReportFactory(), ProblemReportFactory(), ProblemReportFactory()

    response = curator_member_client.post(
        url, {"action": "accept", "_selected_action": [report.pk]}
    )
    report.refresh_from_db()
    assert report.status == Feedback.Status.ACCEPTED
    assert response.url == admin_url(Resource, "change", report.draft_id)

    curator_member_client.post(url, {"action": "reject", "_selected_action": [rejected.pk]})
    rejected.refresh_from_db()
    assert rejected.status == Feedback.Status.OPEN  # a reason is required
    curator_member_client.post(
        url,
        {"action": "reject", "note": "Hours are correct.", "_selected_action": [rejected.pk]},
    )
    rejected.refresh_from_db()
    assert rejected.status == Feedback.Status.REJECTED
    curator_member_client.post(url, {"action": "mark_spam", "_selected_action": [spam.pk]})
    spam.refresh_from_db()
    assert spam.status == Feedback.Status.SPAM


def test_the_verification_queue_lists_due_listings_and_verifies_with_a_note(
    curator_member_client, curator_member
):
    due = ResourceFactory(name="Due", needs_verification=True)
    ResourceFactory(name="Fresh", last_verified_on=timezone.localdate())
    url = admin_url(DueForVerification, "changelist")
    response = curator_member_client.get(url)
    assert [r.name for r in response.context["cl"].result_list] == ["Due"]

    curator_member_client.post(
        url,
        {
            "action": "verified_by_organization",
            "note": "Confirmed by email with the program lead.",
            "_selected_action": [due.pk],
        },
    )
    due.refresh_from_db()
    assert due.last_verified_how == "organization"
    assert due.last_verified_by == curator_member
    assert due.verification_source == "Confirmed by email with the program lead."
    assert not curator_member_client.get(url).context["cl"].result_list
