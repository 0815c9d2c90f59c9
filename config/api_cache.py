"""HTTP and server-side caching for the public API, invalidated by any data change.

One *data version* (a timestamp kept in the default cache) stands for the
state of the directory and the guide. Every write to their tables bumps it:
a database execute-wrapper sees each INSERT/UPDATE/DELETE on a ``directory_``
or ``guide_`` table, whichever path made it (admin forms, admin bulk actions
that use ``QuerySet.update()``, the seed loader, imports, bulk generators),
and bumps the version at once (a cheap cache write per statement) and once
more when the transaction commits (so a response that a concurrent request
cached between the write and the commit is dropped too).

Views that mix in ``CachedResponseMixin`` then, for GET/HEAD requests in JSON:

- serve a stored copy of the rendered response while the version is unchanged
  (after authentication and throttling have run, so limits still count);
- send ``ETag`` (a hash of the body), ``Last-Modified`` (the time of the last
  change) and ``Cache-Control: public, max-age=…``;
- answer ``If-None-Match``/``If-Modified-Since`` with 304 Not Modified.

Each stored response carries the version it was made under and is served
only while that is still the current version, so a change makes every stored
response stale at once; they also expire after ``API_CACHE_SECONDS``. The
throttles' counts, the version and the stored response go in one round trip
to Redis (``config.api_access.check_throttles_and_get``), and the stored
entry holds its finished headers, so a warm request costs that round trip
and no query; nothing after throttling (filters, pagination, serializers)
runs. Each worker process also keeps its own copy of the responses it last
served (``_LocalCopies``, a small LRU): while the shared version still
matches a copy's, the round trip reads only the version, not the body again
(tens of kilobytes per list page). The version and the responses must live
in a cache that all worker processes share (Redis via ``REDIS_URL``) for a
change to reach every worker; the local-memory fallback is right for one
process (development, tests).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from rest_framework.request import Request

from config.api_access import check_throttles_and_get

VERSION_KEY = "ally:api:data-version"
CACHED_FORMATS = frozenset({"json"})
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?:directory|guide)_', re.I)


def _new_version() -> str:
    return f"{time.time():.6f}"


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _new_version(), None)
        version = cache.get(VERSION_KEY) or _new_version()
    return version


def bump_version() -> None:
    cache.set(VERSION_KEY, _new_version(), None)


def last_modified(version: str) -> str:
    return formatdate(float(version), usegmt=True)


# --- Invalidation -------------------------------------------------------------


def _watch_writes(execute: Any, sql: Any, params: Any, many: bool, context: dict) -> Any:
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and _WRITE.match(sql):
        bump_version()
        connection = context["connection"]
        if connection.in_atomic_block and not any(
            func is bump_version for _, func, _ in connection.run_on_commit
        ):
            transaction.on_commit(bump_version, using=connection.alias)
    return result


def watch_connection(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Install the write watcher on a new database connection (``connection_created``)."""
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


# --- Views ----------------------------------------------------------------------


class _Cached(Exception):
    """Carries a stored response out of ``initial()`` past the view's handler."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _cache_key(request: Request) -> str:
    # The absolute URL, since bodies hold absolute links (scheme and host).
    digest = hashlib.sha256(
        f"{request.build_absolute_uri()}|{request.accepted_renderer.format}".encode()
    ).hexdigest()
    return f"ally:api:response:{digest}"


def _add_validators(response: HttpResponseBase, etag: str, modified: str) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = modified
    patch_cache_control(response, public=True, max_age=settings.API_MAX_AGE)
    patch_vary_headers(response, ("Accept",))


STORED_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary")


class _LocalCopies:
    """This process's copies of stored responses, by cache key, least recently used out.

    A copy is served only under the version it was made under (the caller
    checks it against the shared version) and until the stored response
    would have expired. Their bodies together stay under
    ``API_LOCAL_CACHE_BYTES`` (a page of full HSDS services weighs far more
    than a list page).
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # runserver and threaded servers share it

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            stored = self._entries.get(key)
            if stored is None:
                return None
            if stored["stored_at"] + settings.API_CACHE_SECONDS <= time.time():
                self._remove(key)
                return None
            self._entries.move_to_end(key)
            return stored

    def put(self, key: str, stored: dict[str, Any]) -> None:
        stored.setdefault("stored_at", time.time())  # (entries of an earlier version)
        with self._lock:
            if key in self._entries:
                self._remove(key)
            if len(stored["content"]) > settings.API_LOCAL_CACHE_BYTES:
                return  # (it would push out every other copy, then itself)
            self._entries[key] = stored
            self._bytes += len(stored["content"])
            while self._entries and self._bytes > settings.API_LOCAL_CACHE_BYTES:
                self._remove(next(iter(self._entries)))

    def _remove(self, key: str) -> None:
        self._bytes -= len(self._entries.pop(key)["content"])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


_local = _LocalCopies()


def clear_local_copies() -> None:
    """Forget this process's copies of stored responses (as ``cache.clear()`` does the rest)."""
    _local.clear()


class CachedResponseMixin:
    """Serve GET responses from the version-checked cache, with ETag/Last-Modified/304.

    Use on public, read-only API views whose response depends only on the
    URL and the data (not on who asks). The lookup runs at the end of
    ``initial()``: after authentication, permissions and throttles (so limits
    still count), before any filtering, pagination or serialization.
    """

    _response_cache_key: str | None = None
    _served_from_cache = False
    _found: dict[str, Any] | None = None
    _local_copy: dict[str, Any] | None = None

    def check_throttles(self, request: Request) -> None:
        # DRF's initial() calls this last, after content negotiation and
        # authentication, so the response's cache key is known here: count
        # the request and fetch the data version and the stored response in
        # one round trip to the cache.
        if request.method not in ("GET", "HEAD") or not settings.API_RESPONSE_CACHE:
            return super().check_throttles(request)
        if request.accepted_renderer.format not in CACHED_FORMATS:
            return super().check_throttles(request)
        self._response_cache_key = _cache_key(request)
        self._local_copy = _local.get(self._response_cache_key)
        keys = [VERSION_KEY]
        if self._local_copy is None:
            keys.append(self._response_cache_key)
        self._found = check_throttles_and_get(self, request, keys)
        if self._found is None:  # a throttle that counts on its own
            super().check_throttles(request)
            self._found = cache.get_many(keys)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # negotiation, authentication, throttles
        if self._found is None:
            return
        self._api_version = version = self._found.get(VERSION_KEY) or current_version()
        key = self._response_cache_key
        stored = self._local_copy
        if stored is None:
            stored = self._found.get(key)
        elif stored["version"] != version:
            # The data changed since this process's copy: another worker may
            # have stored the new response already (once per version).
            stored = cache.get(key)
        if stored is not None and stored["version"] == version:
            if stored is not self._local_copy:
                _local.put(key, stored)
            self._served_from_cache = True
            raise _Cached(HttpResponse(stored["content"], headers=stored["headers"]))

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        if isinstance(exc, _Cached):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._response_cache_key is None or response.status_code != 200:
            return response
        if response.streaming:
            return response
        if not self._served_from_cache:
            response.render()
            etag = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
            _add_validators(response, etag, last_modified(self._api_version))
            stored = {
                "version": self._api_version,
                "content": response.content,
                "headers": {name: response[name] for name in STORED_HEADERS},
                "stored_at": time.time(),
            }
            cache.set(self._response_cache_key, stored, settings.API_CACHE_SECONDS)
            _local.put(self._response_cache_key, stored)
        return get_conditional_response(
            request,
            etag=response["ETag"],
            last_modified=int(float(self._api_version)),
            response=response,
        )
