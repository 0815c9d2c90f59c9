"""The client's IP address, for rate limits and throttles.

Behind ``DJANGO_NUM_PROXIES`` trusted reverse proxies, the client is the
address that the outermost trusted proxy saw: the Nth entry from the right of
``X-Forwarded-For``. Entries further left are supplied by the client and can
be spoofed, so they are never used. With no proxies, ``REMOTE_ADDR`` is used.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = settings.NUM_PROXIES
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
