"""Who may read the public API, and how fast.

Anyone may read without a key, throttled per client IP (``config.client_ip``,
so ``X-Forwarded-For`` is trusted only as far as ``DJANGO_NUM_PROXIES``
proxies). Partners send an API key, created by curators in the admin
(djangorestframework-api-key), and get the higher ``api_key`` rate, counted
per key. A key that is wrong, revoked or expired is refused with 401 rather
than silently downgraded, so a partner notices at once.

Throttle counters live in the default cache: Redis when ``REDIS_URL`` is set,
so the limits hold across worker processes.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey

from config.client_ip import client_ip

KEY_KEYWORD = "Api-Key"


def key_from_request(request: Request) -> str | None:
    """The key from ``Authorization: Api-Key <key>`` or ``X-Api-Key: <key>``."""
    keyword, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if keyword.lower() == KEY_KEYWORD.lower():
        return key.strip() or None
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


class APIKeyAuthentication(BaseAuthentication):
    """Identifies a partner by API key; ``request.auth`` is then the ``APIKey``."""

    def authenticate(self, request: Request) -> tuple[None, APIKey] | None:
        key = key_from_request(request)
        if key is None:
            return None
        # Keys are short printable ASCII; anything else cannot be one (and a
        # NUL byte must never reach the database driver).
        if len(key) > 200 or not key.isascii() or not key.isprintable():
            key = ""
        try:
            api_key = APIKey.objects.get_from_key(key)
        except APIKey.DoesNotExist:
            api_key = None
        if api_key is None or api_key.has_expired:
            raise exceptions.AuthenticationFailed(
                "This API key is not valid: it is unknown, revoked or expired.",
                code="invalid_api_key",
            )
        return (None, api_key)

    def authenticate_header(self, request: Request) -> str:
        return KEY_KEYWORD


class ClientIPThrottle(throttling.AnonRateThrottle):
    """Requests without an API key, counted per client IP."""

    scope = "anon"

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, APIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class APIKeyThrottle(throttling.SimpleRateThrottle):
    """Requests with an API key, counted per key."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, APIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class APIKeyScheme(OpenApiAuthenticationExtension):
    """Documents API keys in the OpenAPI schema (optional: every endpoint is public)."""

    target_class = APIKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"Optional. Send `Authorization: {KEY_KEYWORD} <key>` (or `X-Api-Key: <key>`) "
                "for the higher rate limit. Keys are issued by the directory's editors."
            ),
        }
