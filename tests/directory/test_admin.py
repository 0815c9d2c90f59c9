"""Every admin page a curator uses answers, without N+1 queries."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from directory.models import PublicationStatus, Resource
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
