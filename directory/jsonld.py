"""schema.org JSON-LD for resource pages, so search engines can show how to reach help.

A resource is a schema.org ``Service``; each way to reach it is a
``ServiceChannel`` (phone, SMS or URL). Built from the prefetched relations of
``Resource.objects.for_detail()``, so it costs no extra query.
"""

from __future__ import annotations

from typing import Any

from directory.models import AreaScope, ChannelKind, Resource

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _telephone(digits: str) -> str:
    return f"+{digits}" if len(digits) == 11 else digits


def _channel(channel) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "ServiceChannel", "name": str(channel.get_kind_display())}
    if channel.kind in (ChannelKind.PHONE, ChannelKind.TTY, ChannelKind.VIDEOPHONE):
        data["servicePhone"] = {
            "@type": "ContactPoint",
            "telephone": _telephone(channel.value),
            "contactType": str(channel.get_kind_display()),
        }
    elif channel.kind == ChannelKind.TEXT:
        data["serviceSmsNumber"] = {"@type": "ContactPoint", "telephone": channel.value}
    elif channel.kind == ChannelKind.EMAIL:
        data["serviceUrl"] = f"mailto:{channel.value}"
    else:
        data["serviceUrl"] = channel.value
    if channel.instructions:
        data["description"] = channel.instructions
    return data


def _area(area) -> dict[str, Any]:
    if area.scope == AreaScope.NATIONAL:
        return {"@type": "Country", "name": "United States"}
    if area.scope == AreaScope.STATE:
        return {"@type": "State", "name": area.state}
    if area.scope == AreaScope.ZIP:
        return {"@type": "AdministrativeArea", "name": area.postal_code}
    return {"@type": "AdministrativeArea", "name": str(area)}


def resource_jsonld(resource: Resource, *, page_url: str) -> dict[str, Any]:
    """The ``Service`` description of ``resource``, whose page is ``page_url``."""
    organization = resource.organization
    provider: dict[str, Any] = {"@type": "Organization", "name": organization.name}
    if organization.website:
        provider["url"] = organization.website
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Service",
        "@id": page_url,
        "name": resource.name,
        "description": resource.summary,
        "mainEntityOfPage": page_url,
        "serviceType": resource.kind.name,
        "provider": provider,
    }
    if resource.alternate_name:
        data["alternateName"] = resource.alternate_name
    if resource.url:
        data["url"] = resource.url
    channels = [_channel(channel) for channel in resource.channels.all()]
    if channels:
        data["availableChannel"] = channels
    areas = [_area(area) for area in resource.service_areas.all()]
    if areas:
        data["areaServed"] = areas
    audiences = [term.name for term in resource.audiences.all()]
    if audiences:
        data["audience"] = [{"@type": "Audience", "audienceType": name} for name in audiences]
    if resource.open_24_7:
        data["hoursAvailable"] = {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [f"https://schema.org/{day}" for day in _DAYS],
            "opens": "00:00",
            "closes": "23:59",
        }
    elif schedules := list(resource.schedules.all()):
        data["hoursAvailable"] = [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": f"https://schema.org/{_DAYS[row.weekday]}",
                "opens": row.opens_at.strftime("%H:%M"),
                "closes": row.closes_at.strftime("%H:%M"),
            }
            for row in schedules
        ]
    return data
