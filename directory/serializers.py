"""Public representations of the directory for the REST API (v1).

Everything a third party needs to act on a listing, nothing private: no
curator (``last_verified_by``), no internal notes, no seed bookkeeping, and no
email that anyone gave in a form. Every serializer reads only what the
viewsets' querysets already loaded, so a page costs a constant number of
queries.
"""

from __future__ import annotations

from typing import Any

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
        fields = [
            "id", "name", "address_1", "address_2", "city", "state", "postal_code", "country",
            "latitude", "longitude", "accessibility", "transportation",
        ]  # fmt: skip


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
        return _website_check(obj)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_miles(self, obj: Resource) -> float | None:
        distance = getattr(obj, "distance_miles", None)
        return round(distance, 2) if distance is not None else None

    def to_representation(self, instance: Resource) -> dict[str, Any]:
        # The declared fields above define (and document) the representation;
        # this builds the same dict directly, because DRF's generic field
        # machinery costs several times the queries on a page of 20 nested
        # resources. tests/directory/test_api.py checks both give the same.
        return resource_representation(instance, self.context.get("request"))

    def generic_representation(self, instance: Resource) -> dict[str, Any]:
        return super().to_representation(instance)


_DATETIME = serializers.DateTimeField()


def _website_check(resource: Resource) -> dict[str, Any] | None:
    # Annotated by ResourceQuerySet.with_link_status(); absent means unchecked.
    result = getattr(resource, "link_status", None)
    if result is None:
        return None
    return {
        "result": result,
        "checked_at": _DATETIME.to_representation(resource.link_checked_at),
    }


def _term(term: TaxonomyTerm) -> dict[str, Any]:
    return {"id": str(term.id), "code": term.code, "name": term.name}


def _channel(channel: ContactChannel) -> dict[str, Any]:
    return {
        "id": str(channel.id),
        "kind": channel.kind,
        "value": channel.value,
        "display_value": channel.display_value,
        "href": channel.href,
        "vanity": channel.vanity,
        "instructions": channel.instructions,
        "keyword": channel.keyword,
        "language": channel.language_id,
    }


def _location(location: Location) -> dict[str, Any]:
    return {
        "id": str(location.id),
        "name": location.name,
        "address_1": location.address_1,
        "address_2": location.address_2,
        "city": location.city,
        "state": location.state,
        "postal_code": location.postal_code,
        "country": location.country,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "accessibility": location.accessibility,
        "transportation": location.transportation,
    }


def resource_representation(resource: Resource, request: Any) -> dict[str, Any]:
    """What ``ResourceSerializer`` declares, built without per-field overhead."""
    organization = resource.organization
    distance = getattr(resource, "distance_miles", None)
    return {
        "id": str(resource.id),
        "url": _absolute(request, reverse("resource-detail", kwargs={"id": resource.pk})),
        "html_url": _absolute(request, resource.get_absolute_url()),
        "slug": resource.slug,
        "name": resource.name,
        "alternate_name": resource.alternate_name,
        "summary": resource.summary,
        "description": resource.description,
        "website": resource.url or None,
        "website_check": _website_check(resource),
        "email": resource.email or None,
        "organization": {
            "id": str(organization.id),
            "url": _absolute(
                request, reverse("organization-detail", kwargs={"id": organization.pk})
            ),
            "html_url": _absolute(request, organization.get_absolute_url()),
            "slug": organization.slug,
            "name": organization.name,
        },
        "kind": _term(resource.kind),
        "topics": [_term(t) for t in resource.topics.all()],
        "audiences": [_term(t) for t in resource.audiences.all()],
        "urgency": resource.urgency,
        "cost": resource.cost,
        "languages": [{"code": lang.code, "name": lang.name} for lang in resource.languages.all()],
        "channels": [_channel(c) for c in resource.channels.all()],
        "hours": {
            "open_24_7": resource.open_24_7,
            "time_zone": resource.time_zone,
            "notes": resource.hours_notes,
            "weekly": [
                {
                    "weekday": row.weekday,
                    "weekday_name": row.weekday_name,
                    "opens_at": f"{row.opens_at:%H:%M}",
                    "closes_at": f"{row.closes_at:%H:%M}",
                }
                for row in resource.schedules.all()
            ],
        },
        "service_areas": [
            {
                "scope": area.scope,
                "state": area.state,
                "name": area.name,
                "postal_code": area.postal_code,
                "label": str(area),
            }
            for area in resource.service_areas.all()
        ],
        "locations": [_location(location) for location in resource.locations.all()],
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
