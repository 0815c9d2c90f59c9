"""REST API v1: resources, organizations, taxonomy terms and the changes feed."""

from __future__ import annotations

import datetime
import json
import uuid
from functools import partial

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from directory.models import PublicationStatus, Resource, Taxonomy
from tests.factories import (
    AudienceFactory,
    ContactChannelFactory,
    LanguageFactory,
    LinkCheckFactory,
    LocationFactory,
    OrganizationFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def test_root_lists_the_v1_endpoints(api):
    body = api.get("/api/v1/").json()
    for name in ("resources", "resource-changes", "organizations", "taxonomy-terms"):
        assert body[name].endswith(f"/api/v1/{name}/")


def test_resources_serve_the_published_seed_data(api, seeded):
    body = api.get("/api/v1/resources/", {"page_size": 100}).json()
    names = {r["name"] for r in body["results"]}
    assert body["count"] == Resource.objects.published().count() == len(names)
    assert "988 Suicide & Crisis Lifeline" in names


def test_drafts_and_archived_resources_are_never_listed_or_shown(api):
    draft = ResourceFactory(status=PublicationStatus.DRAFT)
    archived = ResourceFactory(status=PublicationStatus.ARCHIVED)
    published = ResourceFactory()
    ids = [r["id"] for r in api.get("/api/v1/resources/").json()["results"]]
    assert ids == [str(published.id)]
    assert api.get(f"/api/v1/resources/{draft.id}/").status_code == 404
    assert api.get(f"/api/v1/resources/{archived.slug}/").status_code == 404


def test_resource_detail_by_id_or_slug(api):
    resource = ResourceFactory(slug="warm-line")
    by_id = api.get(f"/api/v1/resources/{resource.id}/").json()
    by_slug = api.get("/api/v1/resources/warm-line/").json()
    assert by_id == by_slug
    assert by_id["url"] == f"http://testserver/api/v1/resources/{resource.id}/"
    assert by_id["html_url"] == "http://testserver/resources/warm-line/"


def test_resource_representation_carries_every_public_part(api, curator):
    resource = ResourceFactory(
        url="https://example.org",
        open_24_7=False,
        hours_notes="Closed on holidays.",
        cost="free",
        last_verified_on=datetime.date(2025, 1, 2),
        last_verified_by=curator,
        internal_notes="Curator-only note.",
        topics=[TopicFactory(code="grief", name="Grief")],
        audiences=[AudienceFactory(code="youth", name="Youth")],
    )
    ContactChannelFactory(resource=resource, kind="text", value="741741", keyword="HOME")
    ScheduleFactory(resource=resource, weekday=2)
    ServiceAreaFactory(resource=resource, scope="state", state="CA")
    LocationFactory(resource=resource, name="Clinic")

    body = api.get(f"/api/v1/resources/{resource.id}/").json()
    assert body["website"] == "https://example.org"
    assert body["kind"] == {"id": str(resource.kind_id), "code": "helpline", "name": "Helpline"}
    assert [t["code"] for t in body["topics"]] == ["grief"]
    assert [a["code"] for a in body["audiences"]] == ["youth"]
    (channel,) = body["channels"]
    assert channel["kind"] == "text"
    assert channel["href"] == "sms:741741?&body=HOME"
    assert body["hours"] == {
        "open_24_7": False,
        "time_zone": "America/New_York",
        "notes": "Closed on holidays.",
        "weekly": [
            {"weekday": 2, "weekday_name": "Wednesday", "opens_at": "09:00",
             "closes_at": "17:00"}
        ],
    }  # fmt: skip
    assert body["service_areas"][0]["label"] == "CA"
    assert body["locations"][0]["name"] == "Clinic"
    assert body["last_verified_on"] == "2025-01-02"
    assert body["organization"]["slug"] == resource.organization.slug
    text = json.dumps(body)
    assert "Curator-only note" not in text
    for private in ("internal_notes", "last_verified_by", "seed_values", "is_synthetic"):
        assert private not in body
    assert "curator" not in text


def test_the_fast_representation_equals_the_declared_serializer(rf, curator):
    """The API renders from one query's plain rows (related_rows); the declared
    fields, read from model instances, must say exactly the same."""
    from directory.serializers import ResourceSerializer

    resource = ResourceFactory(
        url="https://example.org",
        email="a@example.org",
        last_verified_on=datetime.date.today(),
        topics=[TopicFactory(position=2, name="B"), TopicFactory(position=1, name="Z")],
        audiences=[AudienceFactory()],
        minimum_age=12,
    )
    resource.languages.set([LanguageFactory(code="es", name="Spanish"), LanguageFactory()])
    LinkCheckFactory(url="https://example.org", result="moved", status_code=301)
    ContactChannelFactory(resource=resource, kind="text", value="741741", keyword="HOME")
    ContactChannelFactory(resource=resource, instructions="Press 1", language=None, position=0)
    ContactChannelFactory(resource=resource, kind="chat", value="https://example.org/chat")
    ScheduleFactory(resource=resource, weekday=4, opens_at="20:00", closes_at="02:00")
    ScheduleFactory(resource=resource, weekday=1, opens_at="09:30", closes_at="17:00")
    ServiceAreaFactory(resource=resource, scope="county", state="CA", name="Alameda")
    ServiceAreaFactory(resource=resource, scope="national", state="")
    ServiceAreaFactory(resource=resource, scope="zip", state="CA", postal_code="94110")
    LocationFactory(resource=resource, name="B", latitude=37.7749295, longitude=-122.4194155)
    LocationFactory(resource=resource, name="A")
    bare = ResourceFactory(url="", email="")
    request = rf.get("/api/v1/resources/")
    objects = Resource.objects.for_detail().with_link_status()
    for obj in objects:
        serializer = ResourceSerializer(context={"request": request})
        fast = serializer.to_representation(obj)
        assert fast == dict(serializer.generic_representation(obj))
    first = ResourceSerializer(objects.get(pk=resource.pk), context={"request": request}).data
    assert first["website_check"]["result"] == "moved"
    assert [t["name"] for t in first["topics"]] == ["Z", "B"]
    assert [row["weekday"] for row in first["hours"]["weekly"]] == [1, 4]
    assert [loc["name"] for loc in first["locations"]] == ["A", "B"]
    assert first["locations"][1]["latitude"] == 37.7749295
    assert bare.url == ""


def test_related_rows_answer_for_the_keys_asked_whatever_their_number():
    first, second, third = (ResourceFactory(topics=[TopicFactory()]) for _ in range(3))
    ContactChannelFactory(resource=second, kind="text", value="741741")
    # Statements are compiled once per number of keys: reuse one with other keys.
    assert set(Resource.objects.related_rows([first.pk])) == {first.pk}
    rows = Resource.objects.related_rows([third.pk, second.pk, third.pk])
    assert set(rows) == {second.pk, third.pk}
    assert [c["value"] for c in rows[second.pk]["channels"]] == ["741741"]
    assert rows[third.pk]["channels"] == []
    assert Resource.objects.related_rows([second.pk])[second.pk] == rows[second.pk]
    assert Resource.objects.related_rows([uuid.uuid4()]) == {}
    assert Resource.objects.related_rows([]) == {}


def test_related_rows_are_the_same_from_the_prepared_statement_and_the_logged_one():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    resources = [ResourceFactory(topics=[TopicFactory()]) for _ in range(3)]
    ScheduleFactory(resource=resources[1], weekday=4, opens_at="20:00", closes_at="02:00")
    keys = [r.pk for r in resources]

    fast = Resource.objects.related_rows(keys)
    with CaptureQueriesContext(connection) as logged:
        assert Resource.objects.related_rows(keys) == fast
    # The query log shows the statement with its keys.
    assert str(keys[0]).replace("-", "") in logged.captured_queries[0]["sql"].replace("-", "")
    if connection.vendor == "postgresql":
        # Unlogged, it ran as a statement the server keeps planned.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%organization_row%"],
            )
            assert cursor.fetchone()[0] >= 1


def test_a_listing_deleted_while_its_page_is_read_is_left_out(rf):
    from directory.serializers import ResourceSerializer

    kept, deleted = ResourceFactory(name="A kept"), ResourceFactory(name="B deleted")
    page = list(Resource.objects.filter(pk__in=[kept.pk, deleted.pk]).order_by("name"))
    Resource.objects.filter(pk=deleted.pk).delete()
    context = {"request": rf.get("/api/v1/resources/")}
    data = ResourceSerializer(page, many=True, context=context).data
    assert [item["id"] for item in data] == [str(kept.pk)]


def test_list_query_count_is_constant_however_many_resources(api, django_assert_num_queries):
    def make(n):
        for _ in range(n):
            resource = ResourceFactory(topics=[TopicFactory()], audiences=[AudienceFactory()])
            ContactChannelFactory(resource=resource)
            ScheduleFactory(resource=resource)
            ServiceAreaFactory(resource=resource)
            LocationFactory(resource=resource)

    make(2)
    # count, page, then one query for every resource's organization, kind,
    # website check, topics, audiences, languages, channels, schedules,
    # service areas and locations.
    with django_assert_num_queries(3):
        assert api.get("/api/v1/resources/").status_code == 200
    make(8)
    with django_assert_num_queries(3):
        assert len(api.get("/api/v1/resources/", {"page": 1, "x": 1}).json()["results"]) == 10


def test_detail_query_count(api, django_assert_num_queries):
    resource = ResourceFactory()
    # the resource, and one query for everything related to it.
    with django_assert_num_queries(2):
        assert api.get(f"/api/v1/resources/{resource.slug}/").status_code == 200


# --- Pagination ---------------------------------------------------------------------


def test_page_number_pagination_reports_totals_and_links(api):
    for _ in range(5):
        ResourceFactory()
    body = api.get("/api/v1/resources/", {"page_size": 2, "page": 2}).json()
    assert (body["count"], body["page"], body["page_size"], body["total_pages"]) == (5, 2, 2, 3)
    assert body["count_exact"] is True
    assert "page=3" in body["next"]
    assert len(body["results"]) == 2


def test_default_page_size_is_twenty(api):
    for _ in range(21):
        ResourceFactory()
    body = api.get("/api/v1/resources/").json()
    assert len(body["results"]) == 20
    assert body["total_pages"] == 2


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"page_size": 101}, "page_size", "max_value"),
        ({"page_size": 0}, "page_size", "invalid"),
        ({"page_size": "ten"}, "page_size", "invalid"),
        ({"page": "-1"}, "page", "invalid"),
        ({"page": "99999999999999999999999"}, "page", "invalid"),
        ({"page": "١"}, "page", "invalid"),
        ({"page": 101, "page_size": 20}, "page", "max_value"),
    ],
)
def test_out_of_range_paging_is_a_400_naming_the_parameter(api, params, field, code):
    response = api.get("/api/v1/resources/", params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)


def test_a_page_past_the_end_is_a_404(api):
    ResourceFactory()
    response = api.get("/api/v1/resources/", {"page": 3})
    assert response.status_code == 404
    assert response.json()["message"] == "Page 3 is past the last result."


# --- Organizations and taxonomy ---------------------------------------------------------


def test_organizations_count_only_their_published_resources(api):
    organization = OrganizationFactory(name="Helpers", slug="helpers")
    ResourceFactory(organization=organization)
    ResourceFactory(organization=organization, status=PublicationStatus.DRAFT)
    body = api.get("/api/v1/organizations/helpers/").json()
    assert body["resource_count"] == 1
    assert body["resources_url"] == "http://testserver/api/v1/resources/?organization=helpers"
    assert api.get(f"/api/v1/organizations/{organization.id}/").json()["slug"] == "helpers"


def test_organizations_filter_by_name(api):
    OrganizationFactory(name="Crisis Text Line")
    OrganizationFactory(name="NAMI")
    body = api.get("/api/v1/organizations/", {"name": "crisis"}).json()
    assert [o["name"] for o in body["results"]] == ["Crisis Text Line"]


def test_organizations_list_query_count(api, django_assert_num_queries):
    for _ in range(3):
        ResourceFactory()
    with django_assert_num_queries(2):  # count, page (with the resource count)
        assert api.get("/api/v1/organizations/").json()["count"] == 3


def test_taxonomy_terms_filter_by_taxonomy_and_count_published_resources(api, seeded):
    body = api.get("/api/v1/taxonomy-terms/", {"taxonomy": "kind", "page_size": 100}).json()
    assert {t["taxonomy"] for t in body["results"]} == {"kind"}
    assert body["count"] == Taxonomy.objects.get(code="kind").terms.count()
    crisis = next(t for t in body["results"] if t["code"] == "crisis-line")
    assert (
        crisis["resource_count"]
        == Resource.objects.published().filter(kind__code="crisis-line").count()
        > 0
    )
    both = api.get("/api/v1/taxonomy-terms/?taxonomy=topic&taxonomy=audience&page_size=100")
    assert {t["taxonomy"] for t in both.json()["results"]} == {"topic", "audience"}


def test_taxonomy_term_counts_topic_and_audience_resources(api):
    topic = TopicFactory(code="grief")
    ResourceFactory(topics=[topic])
    ResourceFactory(topics=[topic], status=PublicationStatus.DRAFT)
    body = api.get(f"/api/v1/taxonomy-terms/{topic.id}/").json()
    assert (body["code"], body["resource_count"]) == ("grief", 1)


def test_an_unknown_taxonomy_is_a_400_naming_the_parameter(api):
    response = api.get("/api/v1/taxonomy-terms/", {"taxonomy": "colour"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "taxonomy"


def test_taxonomy_terms_query_count(api, seeded, django_assert_num_queries):
    with django_assert_num_queries(2):  # count, page (taxonomy and parent joined, counts)
        api.get("/api/v1/taxonomy-terms/", {"page_size": 100})


# --- Changes feed --------------------------------------------------------------------


def test_changes_feed_pages_through_everything_by_cursor_oldest_first(api):
    resources = [ResourceFactory() for _ in range(5)]
    seen, url = [], "/api/v1/resource-changes/?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [entry["id"] for entry in body["results"]]
        url = body["next"]
    assert seen == [str(r.id) for r in sorted(resources, key=lambda r: (r.updated_at, r.id))]


def test_changes_feed_reports_removals_and_filters_by_updated_since(api):
    old = ResourceFactory()
    Resource.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(9))
    archived = ResourceFactory(status=PublicationStatus.ARCHIVED)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    body = api.get("/api/v1/resource-changes/", {"updated_since": since}).json()
    assert [(e["id"], e["status"], e["resource"]) for e in body["results"]] == [
        (str(archived.id), "removed", None)
    ]


def test_changes_feed_rejects_a_forged_cursor_and_a_bad_date(api):
    response = api.get("/api/v1/resource-changes/", {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json()["code"] == "invalid_cursor"
    response = api.get("/api/v1/resource-changes/", {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "updated_since"


# --- Search, filters, facets and suggestions (the search module's FilterSet) -------------


def test_the_list_uses_the_shared_filterset_and_search(api, seeded):
    body = api.get("/api/v1/resources/", {"q": "veterans", "page_size": 3}).json()
    assert body["results"][0]["slug"] == "veterans-crisis-line"
    text = api.get("/api/v1/resources/", {"channel": "text", "page_size": 100}).json()
    assert (
        text["count"]
        == Resource.objects.published().filter(channels__kind="text").distinct().count()
    )
    assert all(any(c["kind"] == "text" for c in r["channels"]) for r in text["results"])
    crisis = api.get("/api/v1/resources/", {"kind": "crisis-line", "urgency": "crisis"}).json()
    assert crisis["count"] > 0
    assert {r["kind"]["code"] for r in crisis["results"]} == {"crisis-line"}


def test_the_organization_filter_matches_the_resources_url(api):
    resource = ResourceFactory()
    ResourceFactory()
    organization = api.get(f"/api/v1/organizations/{resource.organization.slug}/").json()
    body = api.get(organization["resources_url"]).json()
    assert [r["id"] for r in body["results"]] == [str(resource.id)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "no-such-kind"}, "kind"),
        ({"ordering": "price"}, "ordering"),
        ({"near": "00000"}, "near"),
        ({"open_now": "perhaps"}, "open_now"),
        ({"lat": "91", "lon": "0"}, "lat"),
    ],
)
def test_invalid_filters_are_a_400_naming_the_parameter(api, seeded, params, field):
    response = api.get("/api/v1/resources/", params)
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}


def test_near_a_zip_adds_the_distance_in_miles(api):
    LocationFactory(resource=ResourceFactory(), latitude=39.8, longitude=-89.65)
    body = api.get("/api/v1/resources/", {"near": "62701", "ordering": "distance"}).json()
    assert body["results"][0]["distance_miles"] < 5


def test_a_typo_gets_a_did_you_mean(api, seeded):
    body = api.get("/api/v1/resources/", {"q": "depresion"}).json()
    assert body["did_you_mean"] == "depression"
    assert api.get("/api/v1/resources/").json()["did_you_mean"] is None


def test_counts_above_the_exact_bound_are_marked_as_estimates(api, monkeypatch):
    from directory import search

    monkeypatch.setattr(search, "count_results", partial(search.count_results, limit=3))
    for _ in range(5):
        ResourceFactory()
    body = api.get("/api/v1/resources/", {"page_size": 2}).json()
    # Counting stopped after the bound (3) + 1 rows; the estimate never
    # says fewer than that.
    assert (body["count_exact"], body["total_pages"]) == (False, None)
    assert body["count"] >= 4
    assert body["next"]


def test_facets_count_each_value_for_the_query_and_filters(api, seeded):
    body = api.get("/api/v1/facets/", {"urgency": "crisis"}).json()
    assert body["total"] == Resource.objects.published().filter(urgency="crisis").count()
    assert set(body["facets"]) == {
        "kind",
        "topic",
        "audience",
        "urgency",
        "channel",
        "cost",
        "language",
    }
    assert body["facets"]["urgency"] == [
        {"value": "crisis", "label": "Crisis now", "count": body["total"]}
    ]
    for value in body["facets"]["kind"]:
        narrowed = api.get(
            "/api/v1/resources/", {"urgency": "crisis", "kind": value["value"]}
        ).json()
        assert narrowed["count"] == value["count"]


def test_facets_reject_invalid_filters_like_the_list(api, seeded):
    response = api.get("/api/v1/facets/", {"topic": "nope"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "topic"


def test_suggest_completes_names_and_terms(api, seeded):
    body = api.get("/api/v1/suggest/", {"q": "vet"}).json()
    labels = [s["label"] for s in body["suggestions"]]
    assert "Veterans" in labels
    resource = next(s for s in body["suggestions"] if s["kind"] == "resource")
    assert resource["url"].startswith("http://testserver/resources/")


@pytest.mark.parametrize(
    ("params", "field"), [({}, "q"), ({"q": "a", "limit": 500}, "limit"), ({"q": "x" * 101}, "q")]
)
def test_suggest_validates_its_parameters(api, params, field):
    response = api.get("/api/v1/suggest/", params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_search_list_facets_and_suggest_query_counts(api, seeded, django_assert_num_queries):
    # count (bounded), page, related rows; search knowledge is cached after
    # the first request.
    api.get("/api/v1/resources/", {"q": "crisis", "x": 0})
    with django_assert_num_queries(3):
        api.get("/api/v1/resources/", {"q": "crisis"})
    # the bounded count, then the index tags of every group and the names of
    # the taxonomy terms and languages that occur.
    with django_assert_num_queries(4):
        api.get("/api/v1/facets/", {"q": "crisis"})
    with django_assert_num_queries(2):
        api.get("/api/v1/suggest/", {"q": "cri"})
