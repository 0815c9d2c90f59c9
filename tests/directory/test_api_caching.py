"""HTTP validators, 304s, Cache-Control, and the server-side response cache with invalidation."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from config import api_cache
from directory.models import PublicationStatus, Resource
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/resources/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def test_responses_carry_etag_last_modified_and_cache_control(api):
    ResourceFactory()
    response = api.get(LIST)
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    assert response["Last-Modified"].endswith("GMT")
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Accept" in response["Vary"]


def test_if_none_match_gives_304_and_a_changed_etag_gives_200(api):
    ResourceFactory()
    etag = api.get(LIST)["ETag"]
    not_modified = api.get(LIST, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert api.get(LIST, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_if_modified_since_gives_304_unless_the_data_changed_after_it(api):
    ResourceFactory()
    modified = api.get(LIST)["Last-Modified"]
    assert api.get(LIST, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    before = api.get(LIST, HTTP_IF_MODIFIED_SINCE="Thu, 01 Jan 1970 00:00:00 GMT")
    assert before.status_code == 200


def test_a_repeated_request_is_served_from_the_cache_without_queries(
    api, django_assert_num_queries
):
    ResourceFactory()
    first = api.get(LIST)
    with django_assert_num_queries(0):
        second = api.get(LIST)
    assert second.content == first.content
    for header in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary"):
        assert second[header] == first[header]
    assert second["Content-Type"] == "application/json"


def test_a_warm_request_costs_one_redis_round_trip_and_no_query(
    api, shared_redis, django_assert_num_queries, monkeypatch
):
    from redis.connection import Connection

    ResourceFactory()
    first = api.get(LIST, REMOTE_ADDR="192.0.2.1")
    sent = []
    send = Connection.send_packed_command

    def counted_send(self, command, *args, **kwargs):
        sent.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(Connection, "send_packed_command", counted_send)
    with django_assert_num_queries(0):
        second = api.get(LIST, REMOTE_ADDR="192.0.2.2")
    # The throttle's count, the data version and the stored response: one
    # pipelined round trip.
    assert len(sent) == 1
    assert second.content == first.content


def test_a_worker_serves_its_own_copy_while_the_shared_version_holds(
    api, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from config import api_access

    resource = ResourceFactory(name="Old name")
    first = api.get(LIST)
    asked = []
    read = api_access.incr_and_get_many

    def spied(counters, keys=()):
        asked.append(list(keys))
        return read(counters, keys)

    monkeypatch.setattr(api_access, "incr_and_get_many", spied)
    with django_assert_num_queries(0):
        second = api.get(LIST)
    # Only the data version is read: this process kept the body it stored.
    assert asked == [[api_cache.VERSION_KEY]]
    assert second.content == first.content

    with django_capture_on_commit_callbacks(execute=True):
        Resource.objects.filter(pk=resource.pk).update(name="New name")
    assert "New name" in api.get(LIST).content.decode()


def test_an_edit_reaches_every_worker_at_once_through_redis(
    api, shared_redis, settings, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(name="Old name")
    assert "Old name" in api.get(LIST).content.decode()
    settings.CACHES = shared_redis  # another worker, with the same response stored
    assert "Old name" in api.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Resource.objects.filter(pk=resource.pk).update(name="New name")
    settings.CACHES = shared_redis
    assert "New name" in api.get(LIST).content.decode()


def test_different_query_strings_and_formats_are_cached_apart(api):
    ResourceFactory(name="Alpha")
    ResourceFactory(name="Beta")
    one = api.get(LIST, {"page_size": 1}).json()
    two = api.get(LIST, {"page_size": 2}).json()
    assert (len(one["results"]), len(two["results"])) == (1, 2)
    html = api.get(LIST, HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")


def test_an_edit_invalidates_cached_lists_at_once(
    api, curator_client, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(name="Old name")
    assert "Old name" in api.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Resource.objects.filter(pk=resource.pk).update(name="New name")
    body = api.get(LIST).content.decode()
    assert "New name" in body and "Old name" not in body


def test_an_admin_bulk_action_invalidates_cached_lists(api, curator_client):
    resource = ResourceFactory()
    assert api.get(LIST).json()["count"] == 1
    response = curator_client.post(
        "/admin/directory/resource/",
        {"action": "archive", "_selected_action": [str(resource.pk)]},
    )
    assert response.status_code == 302
    assert Resource.objects.get().status == PublicationStatus.ARCHIVED
    assert api.get(LIST).json()["count"] == 0


def test_writes_bump_the_version_when_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    before = api_cache.current_version()
    with django_capture_on_commit_callbacks() as callbacks:
        ResourceFactory()
        ResourceFactory()
    # Bumped at each write, and once more on commit (one callback for the
    # whole transaction however many rows it writes).
    assert api_cache.current_version() != before
    assert callbacks.count(api_cache.bump_version) == 1


def test_reads_and_other_tables_do_not_bump_the_version(admin_user):
    before = api_cache.current_version()
    list(Resource.objects.all())
    admin_user.save()
    assert api_cache.current_version() == before


def test_errors_are_not_stored_and_if_none_match_star_never_hides_a_404(
    api, django_assert_num_queries
):
    assert api.get(f"{LIST}no-such-slug/").status_code == 404
    with django_assert_num_queries(1):
        assert api.get(f"{LIST}no-such-slug/").status_code == 404
    assert api.get(f"{LIST}no-such-slug/", HTTP_IF_NONE_MATCH="*").status_code == 404


def test_hsds_responses_are_cached_and_conditional_too(api):
    ResourceFactory()
    response = api.get("/api/hsds/services")
    assert response["Cache-Control"] == "public, max-age=60"
    assert api.get("/api/hsds/services", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
