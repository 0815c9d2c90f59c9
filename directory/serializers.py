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
    weekday_name = serializers.CharField(source="get_weekday_display", read_only=True)
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
    distance_miles = serializers.SerializerMethodField(
        help_text="Miles to the nearest location from the near (or lat/lon) point; null "
        "without one, or for resources available anywhere (no location)."
    )

    class Meta:
        model = Resource
        fields = [
            "id", "url", "html_url", "slug", "name", "alternate_name", "summary",
            "description", "website", "email", "organization", "kind", "topics", "audiences",
            "urgency", "cost", "languages", "channels", "hours", "service_areas", "locations",
            "eligibility", "fees", "application_process", "minimum_age", "maximum_age",
            "last_verified_on", "needs_verification", "verification_source", "distance_miles",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, obj: Resource) -> str:
        return _absolute(self.context.get("request"), obj.get_absolute_url())

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_miles(self, obj: Resource) -> float | None:
        distance = getattr(obj, "distance_miles", None)
        return round(distance, 2) if distance is not None else None


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
