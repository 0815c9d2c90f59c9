"""The directory's REST API v1 (registered on the one router in ``config/api.py``).

Read-only viewsets: each declares its optimised queryset, its serializer and
its FilterSet; shared behaviour (errors, throttles, pagination, caching) is
configured once in ``config/``.
"""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config.api_cache import CachedResponseMixin
from config.api_pagination import ChangesCursorPagination, PageNumberPagination
from directory import search, serializers
from directory.filters import ResourceFilterSet
from directory.models import Organization, PublicationStatus, Resource, Taxonomy, TaxonomyTerm

ID_OR_SLUG = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The UUID or the slug."
)


def get_by_id_or_slug(queryset: QuerySet, value: str) -> Any:
    """The object whose UUID or slug is ``value``, or a 404 (never a 500 for junk)."""
    try:
        return get_object_or_404(queryset, pk=uuid.UUID(value))
    except ValueError:
        if len(value) > 200 or not value.isprintable():
            raise Http404 from None
        return get_object_or_404(queryset, slug=value)


def _published_count(relation: str) -> Subquery:
    through = getattr(Resource, relation).through
    return Subquery(
        through.objects.filter(taxonomyterm_id=OuterRef("pk"), resource__status="published")
        .values("taxonomyterm_id")
        .annotate(n=Count("*"))
        .values("n"),
        output_field=IntegerField(),
    )


class OrganizationFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(
        lookup_expr="icontains", max_length=200, help_text="Part of the name."
    )

    class Meta:
        model = Organization
        fields = ["name"]


@extend_schema_field(OpenApiTypes.STR)
class TaxonomyCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Taxonomy codes (documented as strings; the choices are curators' to add)."""


class TaxonomyTermFilterSet(django_filters.FilterSet):
    taxonomy = TaxonomyCodeFilter(
        field_name="taxonomy__code",
        to_field_name="code",
        queryset=Taxonomy.objects.all(),
        help_text="Taxonomy code: kind, topic or audience (repeat for several).",
    )

    class Meta:
        model = TaxonomyTerm
        fields = ["taxonomy"]


@extend_schema_view(
    list=extend_schema(summary="List organizations", tags=["organizations"]),
    retrieve=extend_schema(
        summary="One organization", tags=["organizations"], parameters=[ID_OR_SLUG]
    ),
)
class OrganizationViewSet(CachedResponseMixin, viewsets.ReadOnlyModelViewSet):
    """Organizations that provide resources, with a count of their published resources."""

    queryset = Organization.objects.annotate(
        resource_count=Count("resources", filter=Q(resources__status=PublicationStatus.PUBLISHED))
    ).order_by("name", "id")
    serializer_class = serializers.OrganizationSerializer
    filterset_class = OrganizationFilterSet
    pagination_class = PageNumberPagination
    lookup_value_regex = "[^/]+"
    lookup_url_kwarg = "id"

    def get_object(self) -> Organization:
        return get_by_id_or_slug(self.get_queryset(), self.kwargs["id"])


@extend_schema_view(
    list=extend_schema(summary="List taxonomy terms", tags=["taxonomy"]),
    retrieve=extend_schema(summary="One taxonomy term", tags=["taxonomy"]),
)
class TaxonomyTermViewSet(CachedResponseMixin, viewsets.ReadOnlyModelViewSet):
    """The terms resources are classified by: kinds, topics and audiences.

    Use a term's ``code`` in the resources filters (``kind``, ``topic``,
    ``audience``).
    """

    queryset = (
        TaxonomyTerm.objects.select_related("taxonomy", "parent")
        .annotate(
            # A term belongs to one taxonomy, so only one of these counts is
            # not null: the resources of that kind, on that topic or for
            # that audience.
            resource_count=Coalesce(
                Subquery(
                    Resource.objects.filter(kind=OuterRef("pk"), status="published")
                    .values("kind")
                    .annotate(n=Count("*"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                _published_count("topics"),
                _published_count("audiences"),
                Value(0),
            )
        )
        .order_by("taxonomy__code", "position", "name", "id")
    )
    serializer_class = serializers.TaxonomyTermSerializer
    filterset_class = TaxonomyTermFilterSet
    pagination_class = PageNumberPagination
    lookup_url_kwarg = "id"

    def get_object(self) -> TaxonomyTerm:
        try:
            pk = uuid.UUID(self.kwargs["id"])
        except ValueError:
            raise Http404 from None
        return get_object_or_404(self.get_queryset(), pk=pk)


class ResourceChangesFilterSet(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only changes at or after this ISO 8601 date-time (e.g. 2025-01-31T00:00:00Z).",
    )

    class Meta:
        model = Resource
        fields = ["updated_since"]


@extend_schema_view(
    list=extend_schema(summary="Changes feed for incremental sync", tags=["resources"])
)
class ResourceChangesViewSet(CachedResponseMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every resource that changed, oldest change first, for keeping a copy in sync.

    Start with ``updated_since`` (or nothing, for everything), then follow
    ``next`` until it is null; keep the time of your last sync and pass it
    next time. Resources that left the public directory (archived or
    withdrawn) appear with ``status: removed`` so you can delete them.
    Cursor pagination costs the same on every page, however far you go.
    """

    # live(): draft copies of changes (directory.services) are not listings.
    # The serializer loads each page's related rows in one query.
    queryset = Resource.objects.live()
    serializer_class = serializers.ResourceChangeSerializer
    filterset_class = ResourceChangesFilterSet
    pagination_class = ChangesCursorPagination


class ResourcePagination(PageNumberPagination):
    """Totals from the search module: exact up to a bound, then an estimate above it."""

    def count(self, queryset: QuerySet) -> tuple[int, bool]:
        total = search.count_results(queryset)
        return total.value, total.exact

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["did_you_mean"] = {
            "type": "string",
            "nullable": True,
            "description": "A corrected query to offer when q has typos; null otherwise.",
        }
        return response


@extend_schema_view(
    list=extend_schema(summary="Search and filter resources", tags=["resources"]),
    retrieve=extend_schema(summary="One resource", tags=["resources"], parameters=[ID_OR_SLUG]),
)
class ResourceViewSet(CachedResponseMixin, viewsets.ReadOnlyModelViewSet):
    """Published help resources: crisis lines, helplines, support groups and more.

    The list takes the same filters as the website's search page (one
    FilterSet, ``directory.filters.ResourceFilterSet``): ``q`` for full-text
    search, then kind, topic, audience, urgency, channel, cost, language,
    organization, open_24_7, open_now, state, near (ZIP) or lat/lon with
    radius (miles), updated_since, and ``ordering`` (relevance, name,
    updated, distance). Values within one parameter are ORed (repeat it or
    separate with commas); different parameters are ANDed.
    """

    # The serializer loads each page's related rows in one query.
    queryset = Resource.objects.published()
    serializer_class = serializers.ResourceSerializer
    filterset_class = ResourceFilterSet
    pagination_class = ResourcePagination
    lookup_value_regex = "[^/]+"
    lookup_url_kwarg = "id"

    def get_object(self) -> Resource:
        return get_by_id_or_slug(self.get_queryset(), self.kwargs["id"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        q = request.query_params.get("q", "")
        # Offer a correction when the words were not understood as typed.
        response.data["did_you_mean"] = search.did_you_mean(q) if q.strip() else None
        return response


# One object, though the view's action is "list".
@extend_schema_serializer(many=False)
class FacetsSerializer(drf_serializers.Serializer):
    total = drf_serializers.IntegerField(help_text="Resources matching the query and filters.")
    total_exact = drf_serializers.BooleanField()
    facets = drf_serializers.DictField(
        child=serializers.FacetValueSerializer(many=True),
        help_text="For each group (" + ", ".join(search.FACET_GROUPS) + "), the values "
        "that occur, most frequent first, with the count of matching resources.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="Counts per filter value for a query", tags=["resources"],
        responses=FacetsSerializer,
    )
)  # fmt: skip
class FacetsViewSet(CachedResponseMixin, viewsets.GenericViewSet):
    """How many resources match each filter value, for the same query and filters as
    the resources list: what a search page needs to show its facets with counts."""

    queryset = Resource.objects.published()
    filterset_class = ResourceFilterSet
    pagination_class = None

    def list(self, request: Request) -> Response:
        matching = self.filter_queryset(self.get_queryset())
        total = search.count_results(matching)
        groups = search.facets(matching)
        return Response(
            {
                "total": total.value,
                "total_exact": total.exact,
                "facets": {
                    group: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                    for group, values in groups.items()
                },
            }
        )


class SuggestParams(drf_serializers.Serializer):
    q = drf_serializers.CharField(max_length=100, help_text="What has been typed so far.")
    limit = drf_serializers.IntegerField(
        required=False, default=8, min_value=1, max_value=20, help_text="At most 20."
    )


class SuggestionSerializer(drf_serializers.Serializer):
    kind = drf_serializers.CharField(help_text="`resource`, or a taxonomy: kind, topic, audience.")
    label = drf_serializers.CharField()
    value = drf_serializers.CharField(help_text="The resource slug or the term code.")
    url = drf_serializers.CharField(allow_blank=True, help_text="The resource's page, if any.")


@extend_schema_serializer(many=False)
class SuggestResponseSerializer(drf_serializers.Serializer):
    suggestions = SuggestionSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        summary="Search-as-you-type suggestions", tags=["resources"],
        parameters=[SuggestParams], responses=SuggestResponseSerializer,
    )
)  # fmt: skip
class SuggestViewSet(CachedResponseMixin, viewsets.GenericViewSet):
    """Resource names and taxonomy terms that start with what was typed."""

    pagination_class = None
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        params = SuggestParams(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        suggestions = search.suggest(
            params.validated_data["q"], limit=params.validated_data["limit"]
        )
        return Response(
            {
                "suggestions": [
                    {
                        "kind": s.kind,
                        "label": s.label,
                        "value": s.value,
                        "url": request.build_absolute_uri(s.url) if s.url else "",
                    }
                    for s in suggestions
                ]
            }
        )
