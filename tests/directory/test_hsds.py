"""The HSDS 3.1 mapping (directory/hsds.py) and validation against the official schemas."""

from __future__ import annotations

import datetime
import json

import pytest

from directory import hsds
from directory.models import (
    ContactChannel,
    Organization,
    PublicationStatus,
    Resource,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
)
from tests.factories import (
    AudienceFactory,
    ContactChannelFactory,
    LanguageFactory,
    LocationFactory,
    OrganizationFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    TopicFactory,
)


def full_resource(**kwargs) -> Resource:
    """A resource with one of everything a service document can nest."""
    resource = ResourceFactory(
        alternate_name="Also known as",
        description="A longer description.",
        url="https://example.org/help",
        email="help@example.org",
        eligibility="Anyone in the US.",
        fees="None.",
        application_process="Just call.",
        minimum_age=13,
        maximum_age=99,
        cost="free",
        last_verified_on=datetime.date(2025, 3, 1),
        internal_notes="Curator-only note about the listing.",
        topics=[TopicFactory(code="grief", name="Grief")],
        audiences=[AudienceFactory(code="youth", name="Youth")],
        languages=[LanguageFactory(), LanguageFactory(code="es", name="Spanish")],
        **kwargs,
    )
    ContactChannelFactory(
        resource=resource, value="1-800-950-6264", instructions="Press 1", vanity="1-800-950-NAMI"
    )
    ContactChannelFactory(
        resource=resource, kind=ContactChannel.Kind.TEXT, value="741741", keyword="HOME"
    )
    ContactChannelFactory(
        resource=resource, kind=ContactChannel.Kind.TTY, language=LanguageFactory()
    )
    ContactChannelFactory(
        resource=resource, kind=ContactChannel.Kind.CHAT, value="https://example.org/chat"
    )
    ContactChannelFactory(
        resource=resource, kind=ContactChannel.Kind.EMAIL, value="intake@example.org"
    )
    ScheduleFactory(resource=resource, weekday=0)
    ScheduleFactory(resource=resource, weekday=4, opens_at="20:00", closes_at="02:00")
    ServiceAreaFactory(resource=resource)
    ServiceAreaFactory(resource=resource, scope=ServiceArea.Scope.STATE, state="CA")
    LocationFactory(resource=resource, name="Main office", accessibility="Step-free entrance")
    return resource


def document_for(resource: Resource, *, full: bool = True) -> dict:
    return hsds.service_document(
        hsds.prefetch_services(Resource.objects.filter(pk=resource.pk), full=full).get(),
        full=full,
    )


@pytest.mark.django_db
def test_every_seeded_service_validates_in_full_and_list_forms(seeded):
    resources = hsds.prefetch_services(Resource.objects.all())
    assert resources.count() > 20
    for resource in resources:
        hsds.validate(hsds.service_document(resource), "service")
        hsds.validate(hsds.service_document(resource, full=False), "service")
        hsds.validate(hsds.minimal_service_document(resource), "service")


@pytest.mark.django_db
def test_every_seeded_organization_taxonomy_and_term_validates(seeded):
    for organization in Organization.objects.all():
        hsds.validate(hsds.organization_document(organization), "organization")
    for taxonomy in Taxonomy.objects.all():
        hsds.validate(hsds.taxonomy_document(taxonomy), "taxonomy")
    for term in TaxonomyTerm.objects.select_related("taxonomy"):
        hsds.validate(hsds.taxonomy_term_document(term), "taxonomy_term")


@pytest.mark.django_db
def test_a_fully_populated_service_validates_and_carries_every_nested_part():
    resource = full_resource()
    document = document_for(resource)
    hsds.validate(document, "service")

    assert document["description"] == "A resource used in tests.\n\nA longer description."
    assert document["status"] == "active"
    assert document["assured_date"] == "2025-03-01"
    assert document["eligibility_description"] == "Anyone in the US."
    assert document["fees_description"] == "None."
    assert (document["minimum_age"], document["maximum_age"]) == (13, 99)
    assert sorted(p["type"] for p in document["phones"]) == ["text", "textphone", "voice"]
    voice = next(p for p in document["phones"] if p["type"] == "voice")
    assert voice["description"] == "1-800-950-NAMI. Press 1"
    tty = next(p for p in document["phones"] if p["type"] == "textphone")
    assert tty["languages"][0]["code"] == "en"
    assert document["additional_urls"] == [
        {
            "id": str(resource.channels.get(kind="chat").id),
            "service_id": str(resource.id),
            "label": "Chat",
            "url": "https://example.org/chat",
        }
    ]
    assert document["contacts"][0]["email"] == "intake@example.org"
    assert [s["byday"] for s in document["schedules"]] == ["MO", "FR"]
    assert document["schedules"][1]["opens_at"] == "20:00"
    assert "America/New_York" in document["schedules"][1]["description"]
    assert {a["name"] for a in document["service_areas"]} == {"Nationwide (US)", "CA"}
    assert {lang["code"] for lang in document["languages"]} == {"en", "es"}
    location = document["service_at_locations"][0]["location"]
    assert location["addresses"][0]["state_province"] == "IL"
    assert location["accessibility"][0]["description"] == "Step-free entrance"
    assert document["organization"]["id"] == str(resource.organization_id)
    links = {
        (a["link_type"], a.get("taxonomy_term", {}).get("code"), a.get("value"))
        for a in document["attributes"]
    }
    assert links == {
        ("kind", "helpline", None),
        ("topic", "grief", None),
        ("audience", "youth", None),
        ("urgency", None, "soon"),
        ("cost", None, "free"),
    }


@pytest.mark.django_db
def test_empty_fields_are_omitted_but_required_ones_are_kept():
    organization = OrganizationFactory(description="", alternate_name="", email="")
    resource = ResourceFactory(organization=organization, alternate_name="", url="")
    document = document_for(resource)
    hsds.validate(document, "service")
    for absent in (
        "alternate_name",
        "url",
        "email",
        "minimum_age",
        "phones",
        "schedules",
        "languages",
        "service_at_locations",
        "assured_date",
    ):
        assert absent not in document
    assert document["organization"]["description"] == ""
    assert "alternate_name" not in document["organization"]

    def no_empty_values(value):
        if isinstance(value, dict):
            return all(
                (k == "description" or v not in (None, "", [], {})) and no_empty_values(v)
                for k, v in value.items()
            )
        if isinstance(value, list):
            return all(no_empty_values(v) for v in value)
        return True

    assert no_empty_values(document_for(full_resource()))


@pytest.mark.django_db
def test_private_fields_never_appear_in_a_service_document(curator):
    resource = full_resource(last_verified_by=curator)
    text = json.dumps(document_for(resource))
    assert "Curator-only note" not in text
    assert "assurer_email" not in text
    assert "curator" not in text


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (PublicationStatus.PUBLISHED, "active"),
        (PublicationStatus.DRAFT, "inactive"),
        (PublicationStatus.ARCHIVED, "defunct"),
    ],
)
@pytest.mark.django_db
def test_publication_status_maps_to_the_hsds_service_status(status, expected):
    document = document_for(ResourceFactory(status=status))
    assert document["status"] == expected
    assert hsds.HSDS_TO_STATUS[expected] == status


@pytest.mark.django_db
def test_open_24_7_is_one_schedule_for_every_day():
    resource = ResourceFactory(open_24_7=True, hours_notes="Closed on no day.")
    ScheduleFactory(resource=resource)  # ignored: the flag wins
    (schedule,) = document_for(resource)["schedules"]
    assert schedule["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    assert (schedule["opens_at"], schedule["closes_at"]) == ("00:00", "23:59")
    assert schedule["description"] == hsds.OPEN_24_7_DESCRIPTION
    assert schedule["notes"] == "Closed on no day."


@pytest.mark.django_db
def test_derived_ids_are_stable_across_exports_and_distinct_across_records():
    first, second = full_resource(), full_resource()
    ids_first = json.dumps(document_for(first), sort_keys=True)
    assert json.dumps(document_for(first), sort_keys=True) == ids_first
    language_ids = {lang["id"] for lang in document_for(first)["languages"]}
    assert language_ids.isdisjoint(lang["id"] for lang in document_for(second)["languages"])


@pytest.mark.django_db
def test_list_form_has_only_one_to_one_fields_and_the_organization():
    document = document_for(full_resource(), full=False)
    hsds.validate(document, "service")
    assert "phones" not in document
    assert "attributes" not in document
    assert document["organization"]["name"]


@pytest.mark.django_db
def test_service_at_location_documents_validate_with_and_without_nesting():
    resource = full_resource()
    location = hsds.prefetch_locations(resource.locations.all()).get()
    service = document_for(resource, full=False)
    for full in (True, False):
        document = hsds.service_at_location_document(location, service=service, full=full)
        hsds.validate(document, "service_at_location")
        assert document["id"] == hsds.service_at_location_id(location)
        assert document["location"]["latitude"] == 39.8
    assert "addresses" not in hsds.service_at_location_document(location, full=False)["location"]


@pytest.mark.django_db
def test_organization_with_nested_services_validates_them_too():
    resource = full_resource()
    document = hsds.organization_document(resource.organization, services=[document_for(resource)])
    hsds.validate(document, "organization")
    document["services"][0]["status"] = "open"
    assert hsds.validation_errors(document, "organization") == [
        "$.services[0].status: 'open' is not one of "
        "['active', 'inactive', 'defunct', 'temporarily closed']"
    ]


@pytest.mark.django_db
def test_term_document_names_its_parent_and_taxonomy():
    parent = AudienceFactory(code="lgbtq", name="LGBTQ+ people")
    child = AudienceFactory(code="trans", name="Trans people", parent=parent)
    document = hsds.taxonomy_term_document(child)
    hsds.validate(document, "taxonomy_term")
    assert document["parent_id"] == str(parent.id)
    assert document["taxonomy_detail"]["id"] == str(child.taxonomy_id)
    assert "parent_id" not in hsds.taxonomy_term_document(parent)


def test_validation_reports_each_error_with_its_path():
    errors = hsds.validation_errors(
        {
            "id": "not-a-uuid",
            "name": 1,
            "phones": [{"id": "4d4d896e-a436-4a4a-8f1f-7d5b1d60ac12"}],
        },
        "service",
    )
    assert errors == [
        "$: 'status' is a required property",
        "$.id: 'not-a-uuid' is not a 'uuid'",
        "$.name: 1 is not of type 'string'",
        "$.phones[0]: 'number' is a required property",
    ]
    with pytest.raises(hsds.HSDSValidationError) as raised:
        hsds.validate({"id": "x"}, "taxonomy")
    assert raised.value.kind == "taxonomy"
    assert len(raised.value.errors) == 3


def test_formats_are_checked_not_just_types():
    base = {"id": "4d4d896e-a436-4a4a-8f1f-7d5b1d60ac12", "name": "A", "status": "active"}
    assert hsds.validation_errors({**base, "url": "not a url"}, "service")
    assert hsds.validation_errors({**base, "email": "nobody"}, "service")
    assert hsds.validation_errors({**base, "last_modified": "yesterday"}, "service")
    assert hsds.validation_errors({**base, "url": "https://example.org/a"}, "service") == []


def test_page_envelope_is_validated_with_its_contents():
    page = {
        "total_items": 1,
        "total_pages": 1,
        "page_number": 1,
        "size": 1,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": [{"id": "4d4d896e-a436-4a4a-8f1f-7d5b1d60ac12", "name": "T"}],
    }
    with pytest.raises(hsds.HSDSValidationError) as raised:
        hsds.validate_page(page, "taxonomy")
    assert raised.value.errors == ["$.contents[0]: 'description' is a required property"]
    page["contents"][0]["description"] = ""
    hsds.validate_page(page, "taxonomy")
    del page["empty"]
    with pytest.raises(hsds.HSDSValidationError, match="'empty' is a required property"):
        hsds.validate_page(page, "taxonomy")


def test_every_schema_file_reference_resolves_within_the_projects_copy():
    """Each file-name $ref in our copy resolves offline (the registry cannot fetch)."""
    registry = hsds.schema_registry()
    names = sorted(p.name for p in hsds.SCHEMA_DIR.glob("*.json") if p.name != "openapi.json")
    assert len(names) == 24
    for name in names:
        contents = json.loads((hsds.SCHEMA_DIR / name).read_text())
        refs = {
            v["$ref"] if "$ref" in v else v.get("items", {}).get("$ref")
            for v in contents["properties"].values()
        } - {None}
        resolver = registry.resolver(base_uri=hsds.SCHEMA_BASE_URI + name)
        for ref in refs:
            assert resolver.lookup(ref).contents["properties"]["id"]


def test_the_schema_copy_carries_its_license_note():
    note = (hsds.SCHEMA_DIR / "README.md").read_text()
    assert "CC BY-SA 4.0" in note
    assert "abc731c8ac11825010e9d74a0ab61dcd48e880ec" in note


@pytest.mark.django_db
def test_a_page_of_full_services_costs_a_constant_number_of_queries(
    django_assert_num_queries,
):
    for _ in range(3):
        full_resource()

    # 1 resources + organization + kind + taxonomy (joined), then one each for
    # topics, audiences, languages, channels (+ their language), schedules,
    # service areas and locations.
    with django_assert_num_queries(8):
        documents = [hsds.service_document(r) for r in hsds.prefetch_services(Resource.objects)]
    assert len(documents) == 3
    for _ in range(3):
        full_resource()
    with django_assert_num_queries(8):
        assert len([hsds.service_document(r) for r in hsds.prefetch_services(Resource.objects)])
