"""Who may read the public API, and how fast.

Anyone may read without a key, throttled per client IP (``config.client_ip``,
so ``X-Forwarded-For`` is trusted only as far as ``DJANGO_NUM_PROXIES``
proxies). Partners send an API key, created by curators in the admin
(djangorestframework-api-key), and get the higher ``api_key`` rate, counted
per key. A key that is wrong, revoked or expired is refused with 401 rather
than silently downgraded, so a partner notices at once.

Throttle counters live in the default cache: Redis when ``REDIS_URL`` is set,
so the limits hold across worker processes. They count in fixed windows
(``WindowRateThrottle``): one atomic Redis round trip per request.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey

from config.cache import incr_and_get_many
from config.client_ip import client_ip

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView

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


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """A rate limit counted in fixed windows of the rate's period (e.g. each minute).

    DRF's own throttles keep a list of request times per client and read and
    rewrite it on every request: two cache round trips and a list that grows
    to the limit. Here one counter per client and window is incremented
    atomically and expires after its window, in one round trip on Redis
    (which ``check_throttles_and_get`` shares with the response cache's
    lookup). Windows are aligned to the clock, so every worker process
    agrees on them and ``Retry-After`` is the time to the next one. The
    price: a client may send up to twice the limit across a window boundary,
    which is fine for a courtesy limit on a read-only API.
    """

    def counter(self, request: Request, view: Any) -> tuple[str, int] | None:
        """The cache key and timeout of the counter this request adds to, if limited."""
        if self.rate is None:
            return None
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        now = self.timer()
        window = int(now // self.duration)
        self.key = f"{key}_{window}"
        self.retry_after = (window + 1) * self.duration - now
        # A few seconds' grace for workers whose clocks differ slightly.
        return self.key, self.duration + 5

    def allows(self, count: int) -> bool:
        return count <= self.num_requests

    def allow_request(self, request: Request, view: Any) -> bool:
        counter = self.counter(request, view)
        if counter is None:
            return True
        (count,), _ = incr_and_get_many([counter])
        return self.allows(count)

    def wait(self) -> float:
        return max(1, math.ceil(self.retry_after))


def check_throttles_and_get(
    view: APIView, request: Request, keys: list[str]
) -> dict[str, Any] | None:
    """DRF's ``check_throttles()``, also reading ``keys`` from the cache in the same round trip.

    Returns what ``cache.get_many(keys)`` would, or raises ``Throttled`` as
    DRF does. Returns None, having done nothing, if the view has a throttle
    that is not a ``WindowRateThrottle``: the caller then checks and reads
    separately.
    """
    throttles = view.get_throttles()
    if not all(isinstance(throttle, WindowRateThrottle) for throttle in throttles):
        return None
    counted = []
    for throttle in throttles:
        counter = throttle.counter(request, view)
        if counter is not None:
            counted.append((throttle, counter))
    counts, found = incr_and_get_many([counter for _, counter in counted], keys)
    waits = [
        throttle.wait()
        for (throttle, _), count in zip(counted, counts, strict=True)
        if not throttle.allows(count)
    ]
    if waits:
        view.throttled(request, max(waits))
    return found


class ClientIPThrottle(WindowRateThrottle):
    """Requests without an API key, counted per client IP."""

    scope = "anon"

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, APIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class APIKeyThrottle(WindowRateThrottle):
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
