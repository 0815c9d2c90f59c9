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
from django.db.models import QuerySet
from rest_framework import exceptions, pagination, renderers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

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

    def count(self, queryset: QuerySet) -> tuple[int, bool]:
        """The total and whether it is exact; views over huge sets may estimate."""
        return queryset.count(), True

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.size = positive_int_param(request, "page_size", self.page_size, self.max_page_size)
        self.number = positive_int_param(request, "page", 1, MAX_PAGE)
        offset = (self.number - 1) * self.size
        # The total first: a search counts its matches and ranks its
        # window in one statement, which the page then reuses.
        self.total, self.exact = self.count(queryset)
        results = list(queryset[offset : offset + self.size])
        if not results and self.number > 1:
            raise exceptions.NotFound(
                f"Page {self.number} is past the last result.", code="page_not_found"
            )
        self.has_next = self.number < MAX_PAGE and (
            offset + len(results) < self.total if self.exact else len(results) == self.size
        )
        return results

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {
                "count": self.total,
                "count_exact": self.exact,
                "page": self.number,
                "page_size": self.size,
                "total_pages": (math.ceil(self.total / self.size) or 1) if self.exact else None,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_exact", "page", "page_size", "total_pages", "next",
                         "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "Matching results: exact, or, when count_exact is false, an "
                    "estimate that is never below the counting bound (very large "
                    "result sets are not counted to the end).",
                },
                "count_exact": {"type": "boolean"},
                "page": {"type": "integer"},
                "page_size": {"type": "integer"},
                "total_pages": {
                    "type": "integer",
                    "nullable": True,
                    "description": "Null when the count is not exact.",
                },
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
