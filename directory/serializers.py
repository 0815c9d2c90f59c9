"""Public representations of the directory for the REST API (v1).

Everything a third party needs to act on a listing, nothing private: no
curator (``last_verified_by``), no internal notes, no seed bookkeeping, and no
email that anyone gave in a form. Every serializer reads only what the
viewsets' querysets already loaded, so a page costs a constant number of
queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory.models import (
    ContactChannel,
    Language,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    Schedule,
    ServiceArea,
    TaxonomyTerm,
)


def _absolute(request: Any, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class _Links:
    """The absolute links of a page's resources and their organizations, each
    URL pattern reversed once per page rather than once per object."""

    _KEY = "__key__"  # a valid id and slug, and found in no URL prefix

    def __init__(self, request: Any) -> None:
        def pattern(name: str, kwarg: str) -> str:
            return _absolute(request, reverse(name, kwargs={kwarg: self._KEY}))

        self._resource = pattern("resource-detail", "id")
        self._resource_page = pattern("directory:resource", "slug")
        self._organization = pattern("organization-detail", "id")
        self._organization_page = pattern("directory:organization", "slug")

    def resource(self, key: Any) -> str:
        return self._resource.replace(self._KEY, str(key))

    def resource_page(self, slug: str) -> str:
        return self._resource_page.replace(self._KEY, slug)

    def organization(self, key: Any) -> str:
        return self._organization.replace(self._KEY, str(key))

    def organization_page(self, slug: str) -> str:
        return self._organization_page.replace(self._KEY, slug)


class _BlankAsNull:
    """An optional URL or email is null when absent: "" is not a valid URI or address."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None


class OptionalURLField(_BlankAsNull, serializers.URLField):
    pass


class OptionalEmailField(_BlankAsNull, serializers.EmailField):
    pass


class TermSerializer(serializers.ModelSerializer):
    """A taxonomy term as it appears on a resource: its stable code and its name."""

    class Meta:
        model = TaxonomyTerm
        fields = ["id", "code", "name"]


class TaxonomyTermSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="taxonomy-term-detail", lookup_url_kwarg="id"
    )
    taxonomy = serializers.SlugRelatedField(slug_field="code", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    resource_count = serializers.IntegerField(
        read_only=True, help_text="Published resources with this term."
    )

    class Meta:
        model = TaxonomyTerm
        fields = [
            "id", "url", "taxonomy", "code", "name", "description", "parent", "position",
            "resource_count",
        ]  # fmt: skip


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]


class ChannelSerializer(serializers.ModelSerializer):
    display_value = serializers.CharField(
        read_only=True, help_text="The number formatted for people, or the URL/address."
    )
    href = serializers.CharField(
        read_only=True, help_text="A one-tap link: tel:, sms: (with the keyword), mailto: or URL."
    )
    language = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ContactChannel
        fields = [
            "id", "kind", "value", "display_value", "href", "vanity", "instructions",
            "keyword", "language",
        ]  # fmt: skip


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time ("HH:MM") in the resource's time zone; no UTC offset,
    because the offset changes with daylight saving time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class ScheduleSerializer(serializers.ModelSerializer):
    weekday_name = serializers.CharField(read_only=True)
    opens_at = LocalTimeField(read_only=True)
    closes_at = LocalTimeField(
        read_only=True, help_text="Earlier than opens_at when the hours run past midnight."
    )

    class Meta:
        model = Schedule
        fields = ["weekday", "weekday_name", "opens_at", "closes_at"]


class HoursSerializer(serializers.Serializer):
    """Opening hours: 24/7, or weekly rows in the resource's own time zone."""

    open_24_7 = serializers.BooleanField()
    time_zone = serializers.CharField(help_text="IANA time zone of the weekly times.")
    notes = serializers.CharField(source="hours_notes")
    weekly = ScheduleSerializer(source="schedules", many=True)


class ServiceAreaSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = ServiceArea
        fields = ["scope", "state", "name", "postal_code", "label"]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = list(Location.PUBLIC_FIELDS)


class OrganizationSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="organization-detail", lookup_url_kwarg="id"
    )
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "url", "html_url", "slug", "name"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, obj: Organization) -> str:
        return _absolute(self.context.get("request"), obj.get_absolute_url())


class OrganizationSerializer(OrganizationSummarySerializer):
    website = OptionalURLField()
    email = OptionalEmailField(help_text="A public contact address.")
    resource_count = serializers.IntegerField(read_only=True, help_text="Published resources.")
    resources_url = serializers.SerializerMethodField(
        help_text="This organization's resources in the resources list."
    )

    class Meta:
        model = Organization
        fields = [
            "id", "url", "html_url", "slug", "name", "alternate_name", "description",
            "website", "email", "resource_count", "resources_url", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.URI)
    def get_resources_url(self, obj: Organization) -> str:
        path = reverse("resource-list") + f"?organization={obj.slug}"
        return _absolute(self.context.get("request"), path)


def load_related(resources: Iterable[Resource]) -> None:
    """Attach what ``resource_representation`` needs beyond each resource's own
    columns (``ResourceQuerySet.related_rows()``): one query for the lot.

    A resource deleted since it was read gets None.
    """
    missing = [r for r in resources if not hasattr(r, "related_rows")]
    if missing:
        found = Resource.objects.related_rows(r.pk for r in missing)
        for resource in missing:
            resource.related_rows = found.get(resource.pk)


class RelatedRowsListSerializer(serializers.ListSerializer):
    """Loads the related rows of a whole page in one query before rendering it."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        resources = list(data.all() if hasattr(data, "all") else data)
        load_related(resources)
        # A listing deleted between the page's query and this one is left out.
        return super().to_representation([r for r in resources if r.related_rows is not None])


class ResourceSerializer(serializers.ModelSerializer):
    """A help resource with everything needed to reach it and to judge whether it fits."""

    url = serializers.HyperlinkedIdentityField(view_name="resource-detail", lookup_url_kwarg="id")
    html_url = serializers.SerializerMethodField()
    website = OptionalURLField(source="url", help_text="The resource's own website.")
    email = OptionalEmailField(help_text="A public contact address of the service.")
    organization = OrganizationSummarySerializer(read_only=True)
    kind = TermSerializer(read_only=True)
    topics = TermSerializer(many=True, read_only=True)
    audiences = TermSerializer(many=True, read_only=True)
    languages = LanguageSerializer(many=True, read_only=True)
    channels = ChannelSerializer(many=True, read_only=True)
    hours = HoursSerializer(source="*", read_only=True)
    service_areas = ServiceAreaSerializer(many=True, read_only=True)
    locations = LocationSerializer(many=True, read_only=True)
    website_check = serializers.SerializerMethodField(
        help_text="The last automatic check of `website` (`python manage.py check_links`): "
        "`result` is ok, redirected (temporarily), moved (permanently) or broken, with "
        "`checked_at`; null when the website has not been checked."
    )
    distance_miles = serializers.SerializerMethodField(
        help_text="Miles to the nearest location from the near (or lat/lon) point; null "
        "without one, or for resources available anywhere (no location)."
    )

    class Meta:
        model = Resource
        list_serializer_class = RelatedRowsListSerializer
        fields = [
            "id", "url", "html_url", "slug", "name", "alternate_name", "summary",
            "description", "website", "website_check", "email", "organization", "kind",
            "topics", "audiences",
            "urgency", "cost", "languages", "channels", "hours", "service_areas", "locations",
            "eligibility", "fees", "application_process", "minimum_age", "maximum_age",
            "last_verified_on", "needs_verification", "verification_source", "distance_miles",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, obj: Resource) -> str:
        return _absolute(self.context.get("request"), obj.get_absolute_url())

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "result": {"type": "string", "enum": ["ok", "redirected", "moved", "broken"]},
                "checked_at": {"type": "string", "format": "date-time"},
            },
        }
    )
    def get_website_check(self, obj: Resource) -> dict[str, Any] | None:
        # Annotated by ResourceQuerySet.with_link_status(); absent means unchecked.
        return _website_check(
            getattr(obj, "link_status", None), getattr(obj, "link_checked_at", None)
        )

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_miles(self, obj: Resource) -> float | None:
        distance = getattr(obj, "distance_miles", None)
        return round(distance, 2) if distance is not None else None

    def to_representation(self, instance: Resource) -> dict[str, Any]:
        # The declared fields above define (and document) the representation;
        # this builds the same dict directly from one query's plain rows
        # (ResourceQuerySet.related_rows()), because DRF's generic fields and
        # Django's prefetching cost several times the time of a page of 20
        # nested resources. tests/directory/test_api.py checks both give the same.
        # One _Links for the page: the context is shared by a list's items.
        links = self.context.get("_links")
        if links is None:
            links = self.context["_links"] = _Links(self.context.get("request"))
        return resource_representation(instance, links)

    def generic_representation(self, instance: Resource) -> dict[str, Any]:
        return super().to_representation(instance)


_DATETIME = serializers.DateTimeField()


def _website_check(result: str | None, checked_at: Any) -> dict[str, Any] | None:
    # None means the website has not been checked.
    if result is None:
        return None
    return {"result": result, "checked_at": _DATETIME.to_representation(checked_at)}


def _term(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "code": row["code"], "name": row["name"]}


def _channel(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "value": row["value"],
        "display_value": ContactChannel.format_value(row["kind"], row["value"]),
        "href": ContactChannel.link(row["kind"], row["value"], row["keyword"]),
        "vanity": row["vanity"],
        "instructions": row["instructions"],
        "keyword": row["keyword"],
        "language": row["language"],
    }


def _schedule(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "weekday": row["weekday"],
        "weekday_name": Schedule.day_name(row["weekday"]),
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
    }


def _service_area(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "label": ServiceArea.label(**row)}


def resource_representation(resource: Resource, links: _Links) -> dict[str, Any]:
    """What ``ResourceSerializer`` declares, built without per-field overhead."""
    load_related([resource])
    related = resource.related_rows
    if related is None:  # deleted since it was read
        raise Http404
    organization = related["organization"]
    distance = getattr(resource, "distance_miles", None)
    return {
        "id": str(resource.id),
        "url": links.resource(resource.pk),
        "html_url": links.resource_page(resource.slug),
        "slug": resource.slug,
        "name": resource.name,
        "alternate_name": resource.alternate_name,
        "summary": resource.summary,
        "description": resource.description,
        "website": resource.url or None,
        "website_check": _website_check(related["link_status"], related["link_checked_at"]),
        "email": resource.email or None,
        "organization": {
            "id": organization["id"],
            "url": links.organization(organization["id"]),
            "html_url": links.organization_page(organization["slug"]),
            "slug": organization["slug"],
            "name": organization["name"],
        },
        "kind": related["kind"],
        "topics": [_term(row) for row in related["topics"]],
        "audiences": [_term(row) for row in related["audiences"]],
        "urgency": resource.urgency,
        "cost": resource.cost,
        "languages": related["languages"],
        "channels": [_channel(row) for row in related["channels"]],
        "hours": {
            "open_24_7": resource.open_24_7,
            "time_zone": resource.time_zone,
            "notes": resource.hours_notes,
            "weekly": [_schedule(row) for row in related["schedules"]],
        },
        "service_areas": [_service_area(row) for row in related["service_areas"]],
        "locations": related["locations"],
        "eligibility": resource.eligibility,
        "fees": resource.fees,
        "application_process": resource.application_process,
        "minimum_age": resource.minimum_age,
        "maximum_age": resource.maximum_age,
        "last_verified_on": (
            resource.last_verified_on.isoformat() if resource.last_verified_on else None
        ),
        "needs_verification": resource.needs_verification,
        "verification_source": resource.verification_source,
        "distance_miles": round(distance, 2) if distance is not None else None,
        "created_at": _DATETIME.to_representation(resource.created_at),
        "updated_at": _DATETIME.to_representation(resource.updated_at),
    }


class ResourceChangeSerializer(serializers.ModelSerializer):
    """One entry of the changes feed: a resource as it is now, or its removal."""

    status = serializers.SerializerMethodField(
        help_text="`published`, or `removed` when it is no longer in the public directory."
    )
    resource = ResourceSerializer(
        source="*", read_only=True, allow_null=True, help_text="Null when removed."
    )

    class Meta:
        model = Resource
        list_serializer_class = RelatedRowsListSerializer
        fields = ["id", "status", "updated_at", "resource"]

    @extend_schema_field(serializers.ChoiceField(choices=["published", "removed"]))
    def get_status(self, obj: Resource) -> str:
        return "published" if obj.status == PublicationStatus.PUBLISHED else "removed"

    def to_representation(self, instance: Resource) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.status != PublicationStatus.PUBLISHED:
            data["resource"] = None  # what is not public stays private
        return data


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
