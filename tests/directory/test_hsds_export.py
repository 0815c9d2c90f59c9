"""Exporting the directory as HSDS 3.1, and the round trip
export → import into an empty database → export."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from directory import hsds
from directory.hsds_export import directory_documents, hsds_export
from directory.hsds_import import hsds_import
from directory.models import (
    ContactChannel,
    Language,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    Schedule,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
    Urgency,
)
from tests.factories import (
    AudienceFactory,
    ContactChannelFactory,
    LanguageFactory,
    LocationFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    TopicFactory,
)


@pytest.fixture
def directory(seeded):
    """The seed data plus what the seed lacks: locations, every kind of area,
    vanity numbers with a language, email and web-form channels, ages."""
    spanish = LanguageFactory(code="es", name="Spanish")
    resource = ResourceFactory(
        name="Riverside Family Group",
        summary="A weekly group for families.",
        description="Meets on Tuesdays.\n\nFree of charge.",
        urgency=Urgency.LEARN,
        cost="free",
        minimum_age=18,
        maximum_age=99,
        time_zone="America/Chicago",
        hours_notes="Closed on public holidays.",
        topics=[TopicFactory(code="grief", name="Grief and loss")],
        audiences=[AudienceFactory(code="family", name="Family and friends")],
        languages=[spanish],
        organization__website="https://example.org/riverside",
    )
    ContactChannelFactory(
        resource=resource, value="1-800-950-6264", vanity="1-800-950-NAMI", language=spanish
    )
    ContactChannelFactory(resource=resource, kind="email", value="group@example.org")
    ContactChannelFactory(resource=resource, kind="web_form", value="https://example.org/form")
    ScheduleFactory(resource=resource, weekday=1, opens_at="18:00", closes_at="20:00")
    ServiceAreaFactory(resource=resource, scope="county", state="IL", name="Cook")
    ServiceAreaFactory(resource=resource, scope="city", state="IL", name="Chicago")
    ServiceAreaFactory(resource=resource, scope="zip", state="IL", postal_code="60601")
    LocationFactory(resource=resource, name="Community Hall", accessibility="Step-free.")
    ResourceFactory(name="Archived line", status=PublicationStatus.ARCHIVED)
    return resource


def empty_the_directory() -> None:
    Resource.objects.all().delete()
    Organization.objects.all().delete()
    # Child terms before their parents (the parent link protects them).
    TaxonomyTerm.objects.exclude(parent=None).delete()
    for model in (TaxonomyTerm, Taxonomy, Language):
        model.objects.all().delete()


def test_every_exported_document_validates_against_the_hsds_schemas(directory):
    documents = directory_documents()
    assert len(documents) == Organization.objects.count()
    for document in documents:
        assert hsds.validation_errors(document, "organization") == []
    services = [s for d in documents for s in d["services"]]
    assert len(services) == Resource.objects.live().count()
    statuses = {s["name"]: s["status"] for s in services}
    assert statuses["Archived line"] == "defunct"


def test_draft_changes_are_not_exported_as_listings(directory, editor_member):
    from directory.services import resource_change_start

    resource_change_start(resource=directory, user=editor_member)
    ids = {s["id"] for d in directory_documents() for s in d["services"]}
    assert str(directory.pk) in ids
    assert not ids & {
        str(pk) for pk in Resource.objects.exclude(draft_of=None).values_list("pk", flat=True)
    }


@pytest.mark.parametrize("format", ["json", "csv"])
def test_the_round_trip_through_an_empty_database_gives_the_same_document(directory, format):
    first = hsds_export(format=format)
    first_json = hsds_export(format="json")
    counts = {
        m: m.objects.count() for m in (Resource, ContactChannel, Schedule, ServiceArea, Location)
    }

    empty_the_directory()
    assert Resource.objects.count() == 0
    filename = "directory.zip" if format == "csv" else "directory.json"
    report = hsds_import(data=first, filename=filename, dry_run=False)

    assert report.errors == [], report.summary()
    assert hsds_export(format="json") == first_json
    assert hsds_export(format=format) == first
    assert {m: m.objects.count() for m in counts} == counts


def test_the_round_trip_keeps_what_people_rely_on(directory):
    data = hsds_export(format="json")
    empty_the_directory()
    hsds_import(data=data, filename="directory.json", dry_run=False)

    resource = Resource.objects.get(pk=directory.pk)
    assert resource.urgency == Urgency.LEARN and resource.cost == "free"
    assert resource.time_zone == "America/Chicago"
    assert resource.hours_notes == "Closed on public holidays."
    assert resource.description == "Meets on Tuesdays.\n\nFree of charge."
    phone = resource.channels.get(kind="phone")
    assert (phone.vanity, phone.language_id) == ("1-800-950-NAMI", "es")
    assert {str(a) for a in resource.service_areas.all()} == {
        "Cook, IL",
        "Chicago, IL",
        "60601 (IL)",
    }
    assert resource.locations.get().accessibility == "Step-free."
    crisis = Resource.objects.get(name="988 Suicide & Crisis Lifeline")
    assert crisis.open_24_7 and crisis.urgency == Urgency.CRISIS


def test_the_csv_export_is_a_zip_of_hsds_tables(directory):
    with zipfile.ZipFile(io.BytesIO(hsds_export(format="csv"))) as archive:
        names = set(archive.namelist())
        services = list(csv.reader(io.StringIO(archive.read("services.csv").decode())))
    assert {"organizations.csv", "services.csv", "phones.csv", "schedules.csv"} <= names
    assert services[0][:3] == ["id", "organization_id", "program_id"]
    assert len(services) == Resource.objects.live().count() + 1


def test_the_command_writes_the_export_to_a_file(directory, tmp_path):
    path = tmp_path / "directory.json"
    call_command("export_hsds", "--output", str(path))
    assert json.loads(path.read_text()) == json.loads(hsds_export(format="json"))


def test_the_admin_exports_everything_or_the_selection(directory, curator_member_client):
    response = curator_member_client.get(
        reverse("admin:directory_resource_export_hsds", args=["csv"])
    )
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"]
    response = curator_member_client.post(
        reverse("admin:directory_resource_changelist"),
        {"action": "export_json", "_selected_action": [directory.pk]},
    )
    documents = json.loads(response.content)
    assert [s["name"] for d in documents for s in d["services"]] == ["Riverside Family Group"]
