"""Pagination and rendering shared by every public API endpoint.

Page-number pagination: ``page`` (1 to ``MAX_PAGE``) and ``page_size``
(default 20, at most 100). A ``page`` or ``page_size`` that is not a positive
integer or is above its maximum is a 400 naming the parameter, never silently
changed. Pages stop at ``MAX_PAGE`` because OFFSET scans grow with depth;
readers who want everything use the cursor-paginated changes feed (or the
HSDS ndjson export), which costs the same on every page.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage
from django.db.models import QuerySet
from rest_framework import exceptions, pagination, renderers
from rest_framework.request import Request
from rest_framework.response import Response

MAX_PAGE = 100


def positive_int_param(request: Request, name: str, default: int, maximum: int) -> int:
    """A positive integer query parameter, or a 400 that names it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise exceptions.ValidationError(
            {name: [exceptions.ErrorDetail("Enter a positive whole number.", code="invalid")]}
        )
    value = int(raw)
    if value > maximum:
        raise exceptions.ValidationError(
            {
                name: [
                    exceptions.ErrorDetail(
                        f"Ensure this value is less than or equal to {maximum}.",
                        code="max_value",
                    )
                ]
            }
        )
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_description = (
        f"Results per page (default {settings.API_PAGE_SIZE}, at most "
        f"{settings.API_MAX_PAGE_SIZE}; larger values are a 400 error)."
    )
    page_query_description = (
        f"Page number, from 1 to {MAX_PAGE}. To read everything, use the changes feed "
        "(/api/v1/resource-changes/)."
    )

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            "page": {"minimum": 1, "maximum": MAX_PAGE},
            "page_size": {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        size = positive_int_param(request, "page_size", self.page_size, self.max_page_size)
        number = positive_int_param(request, "page", 1, MAX_PAGE)
        paginator = self.django_paginator_class(queryset, size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise exceptions.NotFound(
                f"Page {number} does not exist; there are {paginator.num_pages} pages.",
                code="page_not_found",
            ) from None
        return list(self.page)

    def get_paginated_response(self, data: list[Any]) -> Response:
        count = self.page.paginator.count
        return Response(
            {
                "count": count,
                "page": self.page.number,
                "page_size": self.page.paginator.per_page,
                "total_pages": max(1, math.ceil(count / self.page.paginator.per_page)),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "page", "page_size", "total_pages", "next", "previous",
                         "results"],
            "properties": {
                "count": {"type": "integer", "description": "Total matching results."},
                "page": {"type": "integer"},
                "page_size": {"type": "integer"},
                "total_pages": {"type": "integer"},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }  # fmt: skip


class ChangesCursorPagination(pagination.CursorPagination):
    """Oldest change first, by an opaque cursor: stable however the data changes."""

    ordering = ("updated_at", "id")
    page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return positive_int_param(request, "page_size", self.page_size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters

    def decode_cursor(self, request: Request) -> Any:
        # A cursor that we did not issue points to no page: 404, as for a page
        # number past the end (the schema cannot tell a client which strings
        # are cursors, so this is not a 400).
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.NotFound(
                "This cursor does not point to a page; follow the next link of a previous page.",
                code="invalid_cursor",
            ) from None


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API without forms: the API is read-only, and a filter form
    would list every organization and term on every page."""

    def get_filter_form(self, data: Any, view: Any, request: Request) -> None:
        return None

    def get_rendered_html_form(self, data: Any, view: Any, method: str, request: Request) -> None:
        return None
