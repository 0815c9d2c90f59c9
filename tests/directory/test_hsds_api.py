"""The HSDS 3.1 API under /api/hsds/: every response validates against the official schemas."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from directory import hsds
from directory.models import (
    Location,
    Organization,
    PublicationStatus,
    Resource,
    Taxonomy,
    TaxonomyTerm,
)
from tests.factories import (
    AudienceFactory,
    ContactChannelFactory,
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


@pytest.fixture
def located(seeded):
    """The seed data plus two resources with locations (the seed has none)."""
    resources = []
    for n in range(2):
        resource = ResourceFactory(
            topics=[TopicFactory(code=f"topic-{n}")], audiences=[AudienceFactory()]
        )
        ContactChannelFactory(resource=resource)
        ScheduleFactory(resource=resource)
        ServiceAreaFactory(resource=resource)
        LocationFactory(resource=resource, name=f"Office {n}", accessibility="Ramp")
        resources.append(resource)
    return resources


def get_page(api, path, kind, **params):
    response = api.get(f"/api/hsds/{path}", params)
    assert response.status_code == 200, response.content
    page = response.json()
    hsds.validate_page(page, kind)
    return page


def test_root_gives_the_hsds_version_and_openapi_url(api):
    body = api.get("/api/hsds/").json()
    assert body == {"version": "3.1", "openapi_url": "http://testserver/api/schema/"}


@pytest.mark.parametrize(
    ("path", "kind", "params"),
    [
        ("services", "service", {}),
        ("services", "service", {"full": "true"}),
        ("services", "service", {"minimal": "true"}),
        ("service_at_locations", "service_at_location", {}),
        ("service_at_locations", "service_at_location", {"full": "true"}),
        ("organizations", "organization", {}),
        ("organizations", "organization", {"full": "true"}),
        ("organizations", "organization", {"full_service": "true"}),
        ("taxonomies", "taxonomy", {}),
        ("taxonomy_terms", "taxonomy_term", {}),
    ],
)
def test_every_list_page_of_the_seed_data_validates(api, located, path, kind, params):
    page_number, total = 1, 0
    while True:
        page = get_page(api, path, kind, per_page=7, page=page_number, **params)
        total += page["size"]
        if page["last_page"]:
            break
        page_number += 1
    assert total == page["total_items"] > 0
    assert page["total_pages"] == page_number


def test_every_detail_document_validates(api, located):
    for resource in Resource.objects.published():
        document = api.get(f"/api/hsds/services/{resource.id}").json()
        hsds.validate(document, "service")
        assert document["id"] == str(resource.id)
    for location in Location.objects.all():
        document = api.get(f"/api/hsds/service_at_locations/{location.id}").json()
        hsds.validate(document, "service_at_location")
        assert document["service"]["id"] == str(location.resource_id)
    for organization in Organization.objects.all():
        for full_service in ("false", "true"):
            document = api.get(
                f"/api/hsds/organizations/{organization.id}", {"full_service": full_service}
            ).json()
            hsds.validate(document, "organization")
    for taxonomy in Taxonomy.objects.all():
        hsds.validate(api.get(f"/api/hsds/taxonomies/{taxonomy.id}").json(), "taxonomy")
    for term in TaxonomyTerm.objects.all():
        hsds.validate(api.get(f"/api/hsds/taxonomy_terms/{term.id}").json(), "taxonomy_term")


def test_page_envelope_fields(api):
    for _ in range(3):
        ResourceFactory()
    page = get_page(api, "services", "service", per_page=2, page=2)
    assert {k: v for k, v in page.items() if k != "contents"} == {
        "total_items": 3,
        "total_pages": 2,
        "page_number": 2,
        "size": 1,
        "first_page": False,
        "last_page": True,
        "empty": False,
    }
    empty = get_page(api, "services", "service", search="nothing matches this")
    assert (empty["empty"], empty["total_pages"], empty["contents"]) == (True, 1, [])


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("services", "service"),
        ("service_at_locations", "service_at_location"),
        ("organizations", "organization"),
        ("taxonomies", "taxonomy"),
        ("taxonomy_terms", "taxonomy_term"),
    ],
)
def test_ndjson_bulk_export_streams_every_document_valid(api, located, path, kind):
    response = api.get(f"/api/hsds/{path}", {"format": "ndjson", "full": "true"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    total = api.get(f"/api/hsds/{path}").json()["total_items"]
    assert len(lines) == total > 0
    for line in lines:
        hsds.validate(json.loads(line), kind)


def test_only_published_resources_are_services(api):
    published = ResourceFactory()
    draft = ResourceFactory(status=PublicationStatus.DRAFT)
    LocationFactory(resource=draft)
    ids = [s["id"] for s in get_page(api, "services", "service")["contents"]]
    assert ids == [str(published.id)]
    assert api.get(f"/api/hsds/services/{draft.id}").status_code == 404
    assert get_page(api, "service_at_locations", "service_at_location")["total_items"] == 0


def test_services_filter_by_taxonomy_term_and_taxonomy(api):
    grief, youth = TopicFactory(code="grief"), AudienceFactory(code="youth")
    on_grief = ResourceFactory(topics=[grief])
    for_youth = ResourceFactory(audiences=[youth])
    both = ResourceFactory(topics=[grief], audiences=[youth])

    def ids(**params):
        return {s["id"] for s in get_page(api, "services", "service", **params)["contents"]}

    assert ids(taxonomy_term_id=grief.id) == {str(on_grief.id), str(both.id)}
    assert ids(taxonomy_id=youth.taxonomy_id) == {str(for_youth.id), str(both.id)}
    assert ids(taxonomy_term_id=on_grief.kind_id) == {
        str(r.id) for r in (on_grief, for_youth, both)
    }
    # A resource with two matching terms is counted once.
    page = get_page(api, "services", "service", taxonomy_id=grief.taxonomy_id)
    assert page["total_items"] == 2


def test_services_filter_by_organization_search_and_modified_after(api):
    organization = OrganizationFactory()
    mine = ResourceFactory(organization=organization, name="Family Warmline")
    old = ResourceFactory(name="Old listing")
    Resource.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(30))

    def ids(**params):
        return [s["id"] for s in get_page(api, "services", "service", **params)["contents"]]

    assert ids(organization_id=organization.id) == [str(mine.id)]
    assert ids(search="warmline") == [str(mine.id)]
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(modified_after=since) == [str(mine.id)]


def test_organizations_filter_by_taxonomy_through_their_services(api):
    grief = TopicFactory(code="grief")
    helping = ResourceFactory(topics=[grief]).organization
    ResourceFactory()
    page = get_page(api, "organizations", "organization", taxonomy_term_id=grief.id)
    assert [o["id"] for o in page["contents"]] == [str(helping.id)]


def test_organization_detail_lists_services_simply_or_fully(api):
    resource = ResourceFactory()
    ResourceFactory(organization=resource.organization, status=PublicationStatus.DRAFT)
    simple = api.get(f"/api/hsds/organizations/{resource.organization_id}").json()
    assert simple["services"] == [hsds.minimal_service_document(resource)]
    full = api.get(
        f"/api/hsds/organizations/{resource.organization_id}", {"full_service": "true"}
    ).json()
    assert full["services"][0]["attributes"]


def test_taxonomy_terms_filter_by_taxonomy_parent_and_top_only(api):
    parent = AudienceFactory(code="lgbtq")
    child = AudienceFactory(code="trans", parent=parent)
    TopicFactory(code="grief")

    def codes(**params):
        page = get_page(api, "taxonomy_terms", "taxonomy_term", **params)
        return sorted(t["code"] for t in page["contents"])

    assert codes(taxonomy_id=parent.taxonomy_id) == ["lgbtq", "trans"]
    assert codes(parent_id=parent.id) == ["trans"]
    assert "trans" not in codes(top_only="true")
    assert child.parent_id == parent.id


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"per_page": 101}, {"per_page"}),
        ({"per_page": 0, "page": 0}, {"per_page", "page"}),
        ({"taxonomy_term_id": "grief"}, {"taxonomy_term_id"}),
        ({"modified_after": "last week"}, {"modified_after"}),
        ({"format": "xml"}, {"format"}),
        ({"full": "maybe"}, {"full"}),
        ({"search": "x" * 201}, {"search"}),
        ({"search": "a\x00b"}, {"search"}),
    ],
)
def test_invalid_parameters_are_a_400_naming_each(api, params, fields):
    response = api.get("/api/hsds/services", params)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == fields


def test_unknown_ids_and_pages_are_404s(api):
    ResourceFactory()
    assert api.get("/api/hsds/services/not-a-uuid").status_code == 404
    assert api.get(f"/api/hsds/organizations/{Resource.objects.get().id}").status_code == 404
    assert api.get("/api/hsds/services", {"page": 2}).status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "queries"),
    [
        # count, page (organization joined)
        ("services", {}, 2),
        # count, page (organization, kind and its taxonomy joined), then topics,
        # audiences, languages, channels, schedules, areas, locations
        ("services", {"full": "true"}, 9),
        # count, page (resource and organization joined), then channels,
        # schedules and areas of those resources
        ("service_at_locations", {"full": "true"}, 5),
        # count, page, their published services
        ("organizations", {"full": "true"}, 3),
        # …and the services' seven prefetches
        ("organizations", {"full_service": "true"}, 10),
        ("taxonomy_terms", {}, 2),
    ],
)
def test_query_counts_are_constant_per_page(
    api, located, django_assert_num_queries, path, params, queries
):
    with django_assert_num_queries(queries):
        assert api.get(f"/api/hsds/{path}", {"per_page": 50, **params}).status_code == 200
