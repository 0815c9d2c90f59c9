"""The Open Referral HSDS 3.1 API, under ``/api/hsds/``.

The endpoints, query parameters and ``Page`` envelope of the official HSDS
3.1 OpenAPI description, serving documents from ``directory.hsds`` (so every
response validates against the official schemas). Only published resources
are services here. Any list answers ``format=ndjson`` with every matching
document, one JSON object per line, streamed without pagination: the bulk
export for tools that load a whole directory.

Query parameters are validated by serializers: a malformed one is a 400 in
the API's error shape naming it, never a 500 and never silently ignored.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_cache import CachedResponseMixin
from directory import hsds
from directory.filters import ResourceFilterSet
from directory.models import Location, Organization, Resource, Taxonomy, TaxonomyTerm

NDJSON = "application/x-ndjson"
NDJSON_CHUNK = 500


# --- Query parameters (names and meanings from the HSDS OpenAPI description) ----


class ListParams(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Full-text search."
    )
    page = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=1_000_000, help_text="Page number."
    )
    per_page = serializers.IntegerField(
        required=False,
        default=20,
        min_value=1,
        max_value=100,
        help_text="Results per page (default 20, at most 100; more is a 400).",
    )
    format = serializers.ChoiceField(
        choices=["json", "ndjson"],
        required=False,
        default="json",
        help_text="`ndjson` streams every result, one JSON document per line, unpaginated.",
    )


class TaxonomyFilterParams(serializers.Serializer):
    taxonomy_term_id = serializers.UUIDField(
        required=False, help_text="Only records with this taxonomy term."
    )
    taxonomy_id = serializers.UUIDField(
        required=False, help_text="Only records with any term of this taxonomy."
    )


class ServiceListParams(ListParams, TaxonomyFilterParams):
    organization_id = serializers.UUIDField(
        required=False, help_text="Only services of this organization."
    )
    modified_after = serializers.DateTimeField(
        required=False, help_text="Only services modified at or after this ISO 8601 date-time."
    )
    minimal = serializers.BooleanField(
        required=False, default=False, help_text="Only each service's id, name and status."
    )
    full = serializers.BooleanField(
        required=False, default=False, help_text="Fully nested services."
    )


class ServiceAtLocationListParams(ListParams, TaxonomyFilterParams):
    organization_id = serializers.UUIDField(required=False)
    modified_after = serializers.DateTimeField(required=False)
    full = serializers.BooleanField(
        required=False, default=False, help_text="Fully nested service_at_locations."
    )


class OrganizationListParams(ListParams, TaxonomyFilterParams):
    full = serializers.BooleanField(
        required=False, default=False, help_text="Include each organization's services (ids)."
    )
    full_service = serializers.BooleanField(
        required=False, default=False, help_text="Include fully nested services."
    )


class OrganizationParams(serializers.Serializer):
    full_service = serializers.BooleanField(
        required=False, default=False, help_text="Fully nested services instead of their ids."
    )


class TaxonomyTermListParams(ListParams):
    taxonomy_id = serializers.UUIDField(required=False)
    parent_id = serializers.UUIDField(required=False, help_text="Only the children of this term.")
    top_only = serializers.BooleanField(
        required=False, default=False, help_text="Only top-level terms (without a parent)."
    )


def _params(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    # A plain dict, not the QueryDict: DRF would treat "taxonomy_id=" like an
    # HTML form's empty input and drop it; an API client gets a 400 instead.
    params = serializer_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return params.validated_data


def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None


# --- Filters --------------------------------------------------------------------


def _taxonomy_filters(params: dict[str, Any]) -> dict[str, list[str]] | None:
    """``taxonomy_term_id``/``taxonomy_id`` as ResourceFilterSet parameters (term codes
    by taxonomy), so the HSDS API filters by the same rules as the rest; None when
    a given id names no term that resources can have."""
    terms = TaxonomyTerm.objects.all()
    if "taxonomy_term_id" not in params and "taxonomy_id" not in params:
        return {}
    if "taxonomy_term_id" in params:
        terms = terms.filter(pk=params["taxonomy_term_id"])
    if "taxonomy_id" in params:
        terms = terms.filter(taxonomy_id=params["taxonomy_id"])
    codes: dict[str, list[str]] = {}
    for taxonomy, code in terms.values_list("taxonomy__code", "code"):
        if taxonomy in FILTER_FOR_TAXONOMY:
            codes.setdefault(FILTER_FOR_TAXONOMY[taxonomy], []).append(code)
    return codes or None


FILTER_FOR_TAXONOMY = {
    Taxonomy.KIND: "kind",
    Taxonomy.TOPIC: "topic",
    Taxonomy.AUDIENCE: "audience",
}


def filter_services(queryset: QuerySet[Resource], params: dict[str, Any]) -> QuerySet[Resource]:
    """The HSDS service filters, as the resources FilterSet's parameters (one set of rules)."""
    if "organization_id" in params:
        queryset = queryset.filter(organization_id=params["organization_id"])
    taxonomy = _taxonomy_filters(params)
    if taxonomy is None:
        return queryset.none()
    data = QueryDict(mutable=True)
    for name, codes in taxonomy.items():
        data.setlist(name, codes)
    if params.get("search"):
        data["q"] = params["search"]
    if "modified_after" in params:
        data["updated_since"] = params["modified_after"].isoformat()
    filterset = ResourceFilterSet(data, queryset=queryset)
    if not filterset.is_valid():  # cannot happen with the values built above
        raise ValidationError(filterset.errors)
    return filterset.qs


# --- Responses ------------------------------------------------------------------


def _page(
    request: Request,
    queryset: QuerySet,
    params: dict[str, Any],
    document: Callable[[Any], dict[str, Any]],
) -> Response | StreamingHttpResponse:
    if params["format"] == "ndjson":
        return _ndjson(queryset, document)
    size, number = params["per_page"], params["page"]
    total = queryset.count()
    pages = max(1, math.ceil(total / size))
    if number > pages:
        raise Http404(f"Page {number} does not exist; there are {pages} pages.")
    contents = [document(obj) for obj in queryset[(number - 1) * size : number * size]]
    return Response(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": number,
            "size": len(contents),
            "first_page": number == 1,
            "last_page": number == pages,
            "empty": total == 0,
            "contents": contents,
        }
    )


def _ndjson(
    queryset: QuerySet, document: Callable[[Any], dict[str, Any]]
) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        for obj in queryset.iterator(chunk_size=NDJSON_CHUNK):
            yield json.dumps(document(obj), ensure_ascii=False, separators=(",", ":")) + "\n"

    response = StreamingHttpResponse(lines(), content_type=NDJSON)
    response["Content-Disposition"] = 'inline; filename="hsds.ndjson"'
    return response


def _page_schema(component: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [*hsds.page_schema()["properties"], "contents"],
        "properties": {
            **hsds.page_schema()["properties"],
            "contents": {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}},
        },
    }


def _list_responses(component: str) -> dict:
    return {
        (200, "application/json"): _page_schema(component),
        (200, NDJSON): {
            "type": "string",
            "description": f"With format=ndjson: one {component} JSON document per line.",
        },
    }


def _id_parameter(entity: str) -> OpenApiParameter:
    return OpenApiParameter("id", str, OpenApiParameter.PATH, description=f"The {entity}'s id.")


class HSDSView(CachedResponseMixin, APIView):
    """Base of the HSDS endpoints: JSON only, cached like the rest of the API."""

    renderer_classes = [JSONRenderer]


class RootView(HSDSView):
    @extend_schema(
        summary="About this HSDS API",
        tags=["hsds"],
        operation_id="hsds_root",
        responses={
            200: {
                "type": "object",
                "required": ["version", "openapi_url"],
                "properties": {
                    "version": {"type": "string", "description": "HSDS version of this API."},
                    "openapi_url": {"type": "string", "format": "uri"},
                },
            }
        },
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "version": hsds.HSDS_VERSION,
                "openapi_url": request.build_absolute_uri(reverse("api-schema")),
            }
        )


def _services() -> QuerySet[Resource]:
    return Resource.objects.published().order_by("name", "id")


class ServiceListView(HSDSView):
    @extend_schema(
        summary="List services",
        tags=["hsds"],
        operation_id="hsds_services_list",
        parameters=[ServiceListParams],
        responses=_list_responses("HSDSService"),
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _params(ServiceListParams, request)
        full = params["full"] and not params["minimal"]
        queryset = hsds.prefetch_services(filter_services(_services(), params), full=full)
        if params["minimal"]:
            return _page(request, queryset, params, hsds.minimal_service_document)
        return _page(request, queryset, params, lambda r: hsds.service_document(r, full=full))


class ServiceDetailView(HSDSView):
    @extend_schema(
        summary="One service, fully nested",
        tags=["hsds"],
        operation_id="hsds_services_retrieve",
        parameters=[_id_parameter("service")],
        responses={200: {"$ref": "#/components/schemas/HSDSService"}},
    )
    def get(self, request: Request, id: str) -> Response:
        resource = get_object_or_404(hsds.prefetch_services(_services()), pk=_uuid_or_404(id))
        return Response(hsds.service_document(resource))


def _locations() -> QuerySet[Location]:
    return Location.objects.filter(resource__status="published").order_by(
        "resource__name", "name", "id"
    )


class ServiceAtLocationListView(HSDSView):
    @extend_schema(
        summary="List services at locations",
        tags=["hsds"],
        operation_id="hsds_service_at_locations_list",
        parameters=[ServiceAtLocationListParams],
        responses=_list_responses("HSDSServiceAtLocation"),
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _params(ServiceAtLocationListParams, request)
        services = filter_services(Resource.objects.all(), params)
        queryset = hsds.prefetch_locations(
            _locations().filter(resource__in=services.values("pk")), full=params["full"]
        )
        return _page(
            request,
            queryset,
            params,
            lambda location: hsds.service_at_location_document(
                location,
                service=hsds.service_document(location.resource, full=False),
                full=params["full"],
            ),
        )


class ServiceAtLocationDetailView(HSDSView):
    @extend_schema(
        summary="One service at a location, fully nested",
        tags=["hsds"],
        operation_id="hsds_service_at_locations_retrieve",
        parameters=[_id_parameter("service_at_location")],
        responses={200: {"$ref": "#/components/schemas/HSDSServiceAtLocation"}},
    )
    def get(self, request: Request, id: str) -> Response:
        location = get_object_or_404(hsds.prefetch_locations(_locations()), pk=_uuid_or_404(id))
        service = hsds.service_document(location.resource, full=False)
        return Response(hsds.service_at_location_document(location, service=service))


def _organizations(*, services: bool, full_service: bool) -> QuerySet[Organization]:
    queryset = Organization.objects.order_by("name", "id")
    if services:
        public = hsds.prefetch_services(_services(), full=full_service)
        queryset = queryset.prefetch_related(
            Prefetch("resources", queryset=public, to_attr="public_resources")
        )
    return queryset


def _organization_document(organization: Organization, *, full_service: bool) -> dict:
    resources = getattr(organization, "public_resources", None)
    if resources is None:
        return hsds.organization_document(organization)
    document = hsds.service_document if full_service else hsds.minimal_service_document
    return hsds.organization_document(organization, services=[document(r) for r in resources])


class OrganizationListView(HSDSView):
    @extend_schema(
        summary="List organizations",
        tags=["hsds"],
        operation_id="hsds_organizations_list",
        parameters=[OrganizationListParams],
        responses=_list_responses("HSDSOrganization"),
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _params(OrganizationListParams, request)
        nested = params["full"] or params["full_service"]
        queryset = _organizations(services=nested, full_service=params["full_service"])
        if params.get("search"):
            queryset = queryset.filter(name__icontains=params["search"])
        if "taxonomy_term_id" in params or "taxonomy_id" in params:
            services = filter_services(_services(), params)
            queryset = queryset.filter(
                Exists(services.filter(organization_id=OuterRef("pk")).values("pk"))
            )
        return _page(
            request,
            queryset,
            params,
            lambda o: _organization_document(o, full_service=params["full_service"]),
        )


class OrganizationDetailView(HSDSView):
    @extend_schema(
        summary="One organization with its services",
        tags=["hsds"],
        operation_id="hsds_organizations_retrieve",
        parameters=[_id_parameter("organization"), OrganizationParams],
        responses={200: {"$ref": "#/components/schemas/HSDSOrganization"}},
    )
    def get(self, request: Request, id: str) -> Response:
        params = _params(OrganizationParams, request)
        queryset = _organizations(services=True, full_service=params["full_service"])
        organization = get_object_or_404(queryset, pk=_uuid_or_404(id))
        return Response(_organization_document(organization, full_service=params["full_service"]))


class TaxonomyListView(HSDSView):
    @extend_schema(
        summary="List taxonomies",
        tags=["hsds"],
        operation_id="hsds_taxonomies_list",
        parameters=[ListParams],
        responses=_list_responses("HSDSTaxonomy"),
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _params(ListParams, request)
        queryset = Taxonomy.objects.order_by("name", "id")
        if params.get("search"):
            queryset = queryset.filter(name__icontains=params["search"])
        return _page(request, queryset, params, hsds.taxonomy_document)


class TaxonomyDetailView(HSDSView):
    @extend_schema(
        summary="One taxonomy",
        tags=["hsds"],
        operation_id="hsds_taxonomies_retrieve",
        parameters=[_id_parameter("taxonomy")],
        responses={200: {"$ref": "#/components/schemas/HSDSTaxonomy"}},
    )
    def get(self, request: Request, id: str) -> Response:
        taxonomy = get_object_or_404(Taxonomy, pk=_uuid_or_404(id))
        return Response(hsds.taxonomy_document(taxonomy))


class TaxonomyTermListView(HSDSView):
    @extend_schema(
        summary="List taxonomy terms",
        tags=["hsds"],
        operation_id="hsds_taxonomy_terms_list",
        parameters=[TaxonomyTermListParams],
        responses=_list_responses("HSDSTaxonomyTerm"),
    )
    def get(self, request: Request) -> Response | StreamingHttpResponse:
        params = _params(TaxonomyTermListParams, request)
        queryset = TaxonomyTerm.objects.select_related("taxonomy").order_by(
            "taxonomy__name", "position", "name", "id"
        )
        if params.get("search"):
            queryset = queryset.filter(name__icontains=params["search"])
        if "taxonomy_id" in params:
            queryset = queryset.filter(taxonomy_id=params["taxonomy_id"])
        if "parent_id" in params:
            queryset = queryset.filter(parent_id=params["parent_id"])
        if params["top_only"]:
            queryset = queryset.filter(parent__isnull=True)
        return _page(request, queryset, params, hsds.taxonomy_term_document)


class TaxonomyTermDetailView(HSDSView):
    @extend_schema(
        summary="One taxonomy term",
        tags=["hsds"],
        operation_id="hsds_taxonomy_terms_retrieve",
        parameters=[_id_parameter("taxonomy_term")],
        responses={200: {"$ref": "#/components/schemas/HSDSTaxonomyTerm"}},
    )
    def get(self, request: Request, id: str) -> Response:
        term = get_object_or_404(
            TaxonomyTerm.objects.select_related("taxonomy"), pk=_uuid_or_404(id)
        )
        return Response(hsds.taxonomy_term_document(term))


# The paths of the HSDS OpenAPI description (no trailing slash).
urlpatterns = [
    path("", RootView.as_view(), name="hsds-root"),
    *[
        pattern
        for name, list_view, detail_view in [
            ("services", ServiceListView, ServiceDetailView),
            ("service_at_locations", ServiceAtLocationListView, ServiceAtLocationDetailView),
            ("organizations", OrganizationListView, OrganizationDetailView),
            ("taxonomies", TaxonomyListView, TaxonomyDetailView),
            ("taxonomy_terms", TaxonomyTermListView, TaxonomyTermDetailView),
        ]
        for pattern in (
            path(name, list_view.as_view(), name=f"hsds-{name}"),
            path(f"{name}/<str:id>", detail_view.as_view(), name=f"hsds-{name}-detail"),
        )
    ],
]
