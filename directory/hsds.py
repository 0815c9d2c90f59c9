"""Our directory as Open Referral HSDS 3.1 documents, validated against the official schemas.

This module is the one place where the mapping between our models and HSDS
3.1 lives (the API's ``/api/hsds/`` endpoints and any export or import build
on it). ``directory/models.py`` documents the field-by-field mapping; the
choices that HSDS leaves open are made here:

- **Empty fields are omitted.** A field that is blank, null or an empty list
  is left out of the document, except the fields a schema requires (an
  organization's ``description`` is then ``""``).
- **Ids.** Our records' UUIDs are their HSDS ids. Objects that HSDS models as
  rows but we keep inside another record (a service's languages and
  attributes, a location's address, the 24/7 schedule) get ids derived with
  ``uuid5`` from their owner's id, so the same record always exports with the
  same ids and an import can match on them.
  A service-at-location has its location's id (see ``service_at_location_id``).
- **service.description** is our ``summary``, a blank line, then our
  ``description`` (HSDS has one description field).
- **service.status**: published → ``active``, draft → ``inactive``,
  archived → ``defunct``.
- **Taxonomy.** ``kind``, ``topics`` and ``audiences`` are ``attributes``
  linking ``taxonomy_term``s, with ``link_type`` the taxonomy code (``kind``,
  ``topic``, ``audience``). ``urgency`` and ``cost`` are not taxonomy terms in
  our model; they are attributes with ``link_type`` ``urgency``/``cost`` and
  the code as ``value``.
- **Contact channels.** Phone, text, TTY and videophone numbers are
  ``phones`` (``type`` voice, text, textphone, video); chat and web-form links
  are ``additional_urls``; email channels are ``contacts`` with an email.
- **Hours.** Weekly rows are ``schedules`` with ``freq`` WEEKLY and one
  ``byday``; times are ``HH:MM`` local to the resource's IANA time zone,
  which the ``description`` names (HSDS's numeric ``timezone`` offset cannot
  express daylight saving time, so it is not used). Open 24/7 is one schedule
  for every day, 00:00 to 23:59, described as open 24 hours.
- **Private fields never appear:** who verified a listing (``assurer_email``),
  internal notes, and anything from public feedback forms.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory import models as m

HSDS_VERSION = "3.1"
SCHEMA_DIR = Path(__file__).resolve().parent / "hsds_schema"
# The schemas refer to each other by file name ("phone.json"); registering
# each file under this base URI lets those references resolve to our copy.
# The registry has no retrieve hook, so validation never touches the network.
SCHEMA_BASE_URI = "https://raw.githubusercontent.com/openreferral/specification/3.1-dev/schema/"

DocumentKind = Literal[
    "service", "organization", "service_at_location", "location", "taxonomy", "taxonomy_term"
]

STATUS_TO_HSDS = {
    m.PublicationStatus.PUBLISHED: "active",
    m.PublicationStatus.DRAFT: "inactive",
    m.PublicationStatus.ARCHIVED: "defunct",
}
HSDS_TO_STATUS = {value: key for key, value in STATUS_TO_HSDS.items()}

PHONE_TYPES = {
    m.ChannelKind.PHONE: "voice",
    m.ChannelKind.TEXT: "text",
    m.ChannelKind.TTY: "textphone",
    m.ChannelKind.VIDEOPHONE: "video",
}
BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
OPEN_24_7_DESCRIPTION = "Open 24 hours a day, 7 days a week."


class HSDSValidationError(ValueError):
    """A document does not validate against the HSDS 3.1 schemas."""

    def __init__(self, kind: str, errors: list[str]) -> None:
        self.kind = kind
        self.errors = errors
        super().__init__(f"Invalid HSDS {kind}: " + "; ".join(errors))


# --- Ids ----------------------------------------------------------------------


def derived_id(owner_id: uuid.UUID | str, *parts: object) -> str:
    """A stable id for an HSDS object that we store inside ``owner_id``'s record."""
    owner = owner_id if isinstance(owner_id, uuid.UUID) else uuid.UUID(str(owner_id))
    return str(uuid.uuid5(owner, ":".join(str(part) for part in parts)))


# --- Documents ----------------------------------------------------------------


def _compact(document: dict[str, Any], *, keep: Iterable[str] = ()) -> dict[str, Any]:
    """Drop empty values (None, "", [], {}), except the fields named in ``keep``."""
    kept = set(keep)
    return {
        key: value
        for key, value in document.items()
        if key in kept or value not in (None, "", [], {})
    }


def taxonomy_document(taxonomy: m.Taxonomy) -> dict[str, Any]:
    return _compact(
        {
            "id": str(taxonomy.id),
            "name": taxonomy.name,
            "description": taxonomy.description,
            "uri": taxonomy.uri,
            "version": taxonomy.version,
        },
        keep=("description",),
    )


def taxonomy_term_document(term: m.TaxonomyTerm) -> dict[str, Any]:
    """A term with its taxonomy inline (``taxonomy_detail``); expects ``taxonomy`` loaded."""
    return _compact(
        {
            "id": str(term.id),
            "code": term.code,
            "name": term.name,
            "description": term.description,
            "parent_id": str(term.parent_id) if term.parent_id else None,
            "taxonomy": term.taxonomy.name,
            "taxonomy_id": str(term.taxonomy_id),
            "taxonomy_detail": taxonomy_document(term.taxonomy),
        },
        keep=("description",),
    )


def organization_document(
    organization: m.Organization, *, services: Iterable[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An organization; with ``services``, the HSDS "fully nested" form listing them."""
    document = _compact(
        {
            "id": str(organization.id),
            "name": organization.name,
            "alternate_name": organization.alternate_name,
            "description": organization.description,
            "email": organization.email,
            "website": organization.website,
        },
        keep=("description",),
    )
    if services is not None:
        # HSDS's organization schema has no "services" property, but its API
        # returns one (as the official organization_full example does).
        document["services"] = list(services)
    return document


def language_document(owner_id: uuid.UUID, language: m.Language, **links: str) -> dict[str, Any]:
    return {
        "id": derived_id(owner_id, "language", language.code),
        **links,
        "name": language.name,
        "code": language.code,
    }


def _attribute(
    resource: m.Resource,
    link_type: str,
    *,
    term: m.TaxonomyTerm | None = None,
    value: str = "",
    label: str = "",
) -> dict[str, Any]:
    key = term.id if term is not None else value
    return _compact(
        {
            "id": derived_id(resource.id, "attribute", link_type, key),
            "link_id": str(resource.id),
            "link_type": link_type,
            "link_entity": "service",
            "taxonomy_term_id": str(term.id) if term is not None else None,
            "taxonomy_term": taxonomy_term_document(term) if term is not None else None,
            "value": value,
            "label": label,
        }
    )


def service_attributes(resource: m.Resource) -> list[dict[str, Any]]:
    attributes = [_attribute(resource, m.Taxonomy.KIND, term=resource.kind)]
    attributes += [_attribute(resource, m.Taxonomy.TOPIC, term=t) for t in resource.topics.all()]
    attributes += [
        _attribute(resource, m.Taxonomy.AUDIENCE, term=t) for t in resource.audiences.all()
    ]
    # Enum labels, not get_*_display(): Django rebuilds the choices dict on each call.
    urgency = str(m.Urgency(resource.urgency).label)
    attributes.append(_attribute(resource, "urgency", value=resource.urgency, label=urgency))
    if resource.cost:
        cost = str(m.Cost(resource.cost).label)
        attributes.append(_attribute(resource, "cost", value=resource.cost, label=cost))
    return attributes


def phone_document(channel: m.ContactChannel) -> dict[str, Any]:
    description = channel.instructions
    if channel.vanity:
        description = f"{channel.vanity}. {description}".strip()
    languages = (
        [language_document(channel.id, channel.language, phone_id=str(channel.id))]
        if channel.language_id
        else []
    )
    return _compact(
        {
            "id": str(channel.id),
            "service_id": str(channel.resource_id),
            "number": channel.display_value,
            "type": PHONE_TYPES[channel.kind],
            "description": description,
            "languages": languages,
        }
    )


def schedule_documents(resource: m.Resource) -> list[dict[str, Any]]:
    if resource.open_24_7:
        return [
            _compact(
                {
                    "id": derived_id(resource.id, "schedule", "24/7"),
                    "service_id": str(resource.id),
                    "freq": "WEEKLY",
                    "byday": ",".join(BYDAY),
                    "opens_at": "00:00",
                    "closes_at": "23:59",
                    "description": OPEN_24_7_DESCRIPTION,
                    "notes": resource.hours_notes,
                }
            )
        ]
    return [
        _compact(
            {
                "id": str(row.id),
                "service_id": str(resource.id),
                "freq": "WEEKLY",
                "byday": BYDAY[row.weekday],
                "opens_at": f"{row.opens_at:%H:%M}",
                "closes_at": f"{row.closes_at:%H:%M}",
                "description": (
                    f"{row.weekday_name} {row.opens_at:%H:%M}–{row.closes_at:%H:%M}, "
                    f"{resource.time_zone} time."
                ),
                "notes": resource.hours_notes,
            }
        )
        for row in resource.schedules.all()
    ]


def service_area_document(area: m.ServiceArea) -> dict[str, Any]:
    name, scope = str(area), str(m.AreaScope(area.scope).label)
    return _compact(
        {
            "id": str(area.id),
            "service_id": str(area.resource_id),
            "name": name,
            # "State", "County"…: what kind of area the name is (nationwide says so itself).
            "description": scope if scope != name else "",
        }
    )


def location_document(location: m.Location) -> dict[str, Any]:
    address = {
        "id": derived_id(location.id, "address"),
        "location_id": str(location.id),
        "address_1": location.address_1,
        "address_2": location.address_2,
        "city": location.city,
        "state_province": location.state,
        "postal_code": location.postal_code,
        "country": location.country,
        "address_type": "physical",
    }
    accessibility = (
        [
            {
                "id": derived_id(location.id, "accessibility"),
                "location_id": str(location.id),
                "description": location.accessibility,
            }
        ]
        if location.accessibility
        else []
    )
    return _compact(
        {
            "id": str(location.id),
            "location_type": "physical",
            "name": location.name,
            "transportation": location.transportation,
            "latitude": location.latitude,
            "longitude": location.longitude,
            "addresses": [_compact(address, keep=("address_1", "city", "postal_code"))],
            "accessibility": accessibility,
        }
    )


def service_at_location_id(location: m.Location) -> str:
    """Each of our locations is offered by exactly one resource, so the link
    shares the location's id (ids are unique per HSDS table), and the
    ``/service_at_locations/{id}`` endpoint can find it directly."""
    return str(location.id)


def service_at_location_document(
    location: m.Location, *, service: dict[str, Any] | None = None, full: bool = True
) -> dict[str, Any]:
    """A resource offered at one of its locations.

    Each of our locations belongs to one resource, so the link has no row of
    its own. ``full`` nests the location's address and accessibility and the
    service's phones, schedules and areas; ``service`` (as the HSDS API's
    examples do) adds the service document.
    """
    resource = location.resource
    location_doc = location_document(location)
    document: dict[str, Any] = {
        "id": service_at_location_id(location),
        "service_id": str(resource.id),
        "location_id": str(location.id),
    }
    if full:
        document |= _compact(
            {
                "service_areas": [service_area_document(a) for a in resource.service_areas.all()],
                "phones": _phones(resource),
                "schedules": schedule_documents(resource),
                "location": location_doc,
            }
        )
    else:
        document["location"] = {
            key: value
            for key, value in location_doc.items()
            if key not in ("addresses", "accessibility")
        }
    if service is not None:
        document["service"] = service
    return document


def _phones(resource: m.Resource) -> list[dict[str, Any]]:
    return [phone_document(c) for c in resource.channels.all() if c.kind in PHONE_TYPES]


def service_document(resource: m.Resource, *, full: bool = True) -> dict[str, Any]:
    """A resource as an HSDS ``service``.

    ``full=False`` gives the HSDS list form: the service's one-to-one fields
    and its organization. ``full=True`` nests everything (phones, schedules,
    areas, locations, languages, taxonomy attributes). Expects the queryset
    from ``prefetch_services`` so that a page costs a constant number of
    queries.
    """
    description = "\n\n".join(part for part in (resource.summary, resource.description) if part)
    document = _compact(
        {
            "id": str(resource.id),
            "organization_id": str(resource.organization_id),
            "name": resource.name,
            "alternate_name": resource.alternate_name,
            "description": description,
            "url": resource.url,
            "email": resource.email,
            "status": STATUS_TO_HSDS[resource.status],
            "application_process": resource.application_process,
            "fees_description": resource.fees,
            "eligibility_description": resource.eligibility,
            "minimum_age": resource.minimum_age,
            "maximum_age": resource.maximum_age,
            "assured_date": (
                resource.last_verified_on.isoformat() if resource.last_verified_on else None
            ),
            "last_modified": resource.updated_at.isoformat(),
        },
        keep=("status",),
    )
    if full:
        channels = list(resource.channels.all())
        document |= _compact(
            {
                "additional_urls": [
                    {
                        "id": str(c.id),
                        "service_id": str(resource.id),
                        "label": str(m.ChannelKind(c.kind).label),
                        "url": c.value,
                    }
                    for c in channels
                    if c.kind in m.ContactChannel.URL_KINDS
                ],
                "phones": _phones(resource),
                "contacts": [
                    _compact(
                        {
                            "id": str(c.id),
                            "service_id": str(resource.id),
                            "name": c.instructions,
                            "email": c.value,
                        }
                    )
                    for c in channels
                    if c.kind == m.ChannelKind.EMAIL
                ],
                "schedules": schedule_documents(resource),
                "service_areas": [service_area_document(a) for a in resource.service_areas.all()],
                "service_at_locations": [
                    service_at_location_document(location) for location in resource.locations.all()
                ],
                "languages": [
                    language_document(resource.id, language, service_id=str(resource.id))
                    for language in resource.languages.all()
                ],
                "attributes": service_attributes(resource),
            }
        )
    document["organization"] = organization_document(resource.organization)
    return document


def minimal_service_document(resource: m.Resource) -> dict[str, Any]:
    """HSDS ``minimal``: just the id and when the service last changed, for syncing."""
    return {
        "id": str(resource.id),
        "name": resource.name,
        "status": STATUS_TO_HSDS[resource.status],
        "last_modified": resource.updated_at.isoformat(),
    }


# --- Querysets that feed the documents in a constant number of queries --------


def _terms() -> QuerySet[m.TaxonomyTerm]:
    return m.TaxonomyTerm.objects.select_related("taxonomy")


def prefetch_services(
    queryset: QuerySet[m.Resource], *, full: bool = True
) -> QuerySet[m.Resource]:
    """``queryset`` with everything ``service_document(full=...)`` reads."""
    queryset = queryset.select_related("organization")
    if not full:
        return queryset
    return queryset.select_related("kind__taxonomy").prefetch_related(
        Prefetch("topics", queryset=_terms()),
        Prefetch("audiences", queryset=_terms()),
        "languages",
        Prefetch("channels", queryset=m.ContactChannel.objects.select_related("language")),
        "schedules",
        "service_areas",
        "locations",
    )


def prefetch_locations(
    queryset: QuerySet[m.Location], *, full: bool = True
) -> QuerySet[m.Location]:
    """``queryset`` with everything ``service_at_location_document`` reads."""
    queryset = queryset.select_related("resource__organization")
    if not full:
        return queryset
    return queryset.prefetch_related(
        Prefetch(
            "resource__channels", queryset=m.ContactChannel.objects.select_related("language")
        ),
        "resource__schedules",
        "resource__service_areas",
    )


# --- Validation ---------------------------------------------------------------


@cache
def schema_registry() -> Registry:
    """Every schema file in our copy, under the URI its file-name ``$ref``s resolve to."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((SCHEMA_BASE_URI + path.name, resource))
    return Registry().with_resources(resources)


@cache
def page_schema() -> dict[str, Any]:
    """The ``Page`` envelope from the HSDS OpenAPI description."""
    openapi = json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))
    return openapi["components"]["schemas"]["Page"]


@cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{SCHEMA_BASE_URI}{kind}.json"},
        registry=schema_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _messages(errors: Iterable[SchemaValidationError], prefix: str = "$") -> list[str]:
    """Readable messages that say where: ``$.phones[0].number: 1 is not of type 'string'``."""
    return [
        f"{prefix}{error.json_path.removeprefix('$')}: {error.message}"
        for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    ]


def validation_errors(document: Mapping[str, Any], kind: DocumentKind) -> list[str]:
    """Every way ``document`` breaks the HSDS 3.1 schema for ``kind`` (empty when valid).

    The extra nested documents that the HSDS API adds beyond the schemas (an
    organization's ``services``, a service-at-location's ``service``) are
    validated too.
    """
    errors = _messages(_validator(kind).iter_errors(document))
    if kind == "organization":
        for index, service in enumerate(document.get("services") or []):
            errors += _messages(
                _validator("service").iter_errors(service), prefix=f"$.services[{index}]"
            )
    if kind == "service_at_location" and "service" in document:
        errors += _messages(_validator("service").iter_errors(document["service"]), "$.service")
    return errors


def validate(document: Mapping[str, Any], kind: DocumentKind) -> None:
    """Raise ``HSDSValidationError`` unless ``document`` is a valid HSDS 3.1 ``kind``."""
    errors = validation_errors(document, kind)
    if errors:
        raise HSDSValidationError(kind, errors)


def validate_page(page: Mapping[str, Any], kind: DocumentKind) -> None:
    """Validate an HSDS API ``Page`` envelope and every document in its ``contents``."""
    errors = _messages(Draft202012Validator(page_schema()).iter_errors(page))
    # The HSDS Page schema lists its fields without requiring them; its API
    # documents always carry them all, and so do ours.
    missing = [key for key in (*page_schema()["properties"], "contents") if key not in page]
    errors += [f"$: '{key}' is a required property" for key in missing]
    for index, document in enumerate(page.get("contents") or []):
        errors += [
            f"$.contents[{index}]{error.removeprefix('$')}"
            for error in validation_errors(document, kind)
        ]
    if errors:
        raise HSDSValidationError(f"{kind} page", errors)
