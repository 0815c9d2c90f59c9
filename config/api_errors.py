"""One JSON error shape for every API error, 400 to 500.

    {"status": 400, "code": "invalid", "message": "Some parameters are not valid.",
     "errors": [{"field": "page_size", "code": "max_value",
                 "message": "Ensure this value is less than or equal to 100."}]}

(``config.api_schema`` documents this shape as the ``Error`` component.)

``errors`` lists each problem with the parameter (``field``, dotted for nested
fields; null when it is about the request as a whole), a stable
machine-readable ``code`` and a human ``message``. Unexpected exceptions are
logged with their traceback and answered with a bare 500: no stack trace, SQL
or setting ever reaches a client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("ally.api")

MESSAGES = {
    400: "Some parameters are not valid.",
    401: "Authentication failed.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    405: "This method is not allowed here; the API is read-only.",
    406: "The requested format is not available.",
    429: "Too many requests; slow down and retry after the time in Retry-After.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


def _details(detail: Any, field: str | None = None) -> Iterator[dict[str, Any]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else str(key)
            yield from _details(value, f"{field}.{name}" if field and name else (name or field))
    elif isinstance(detail, list):
        for item in detail:
            yield from _details(item, field)
    else:
        yield {
            "field": field,
            "code": getattr(detail, "code", None) or "invalid",
            "message": str(detail),
        }


def error_body(status: int, code: str, message: str, errors: list[dict[str, Any]]) -> dict:
    return {"status": status, "code": code, "message": message, "errors": errors}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", context.get("view"), exc_info=exc)
        exc = exceptions.APIException()

    status = exc.status_code
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))

    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", MESSAGES[400]
        errors = list(_details(exc.detail))
    else:
        code = getattr(exc.detail, "code", None) or exc.default_code
        message = str(exc.detail) if status != 500 else MESSAGES[500]
        errors = [{"field": None, "code": code, "message": message}]
    set_rollback()
    return Response(error_body(status, code, message, errors), status=status, headers=headers)


def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown URLs under /api/ answer in the API's error shape, not an HTML page."""
    message = f"There is no API endpoint at {request.path}. See /api/docs/."
    return JsonResponse(
        error_body(404, "not_found", message, [{"field": None, "code": "not_found",
                                                 "message": message}]),
        status=404,
    )  # fmt: skip
