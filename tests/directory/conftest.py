"""Fixtures for the directory's tests; the browser tests' helpers are in browser.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings

from directory import search
from directory.seed import load_seed
from guide.seed import load_guide_seed
from tests.directory.browser import CHROMIUM, CHROMIUM_ARGS, OfflineContext


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Tests marked `postgres` exercise PostgreSQL-only behaviour (query plans).
    if (
        item.get_closest_marker("postgres")
        and "postgresql" not in settings.DATABASES["default"]["ENGINE"]
    ):
        pytest.skip("runs only on PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def fresh_search_knowledge():
    """Each test sees the synonyms and vocabulary of its own database state."""
    search.clear_caches()
    yield
    search.clear_caches()


@pytest.fixture
def site_seeded(db):
    """The directory and the ally guide, loaded as `make run` loads them."""
    load_seed()
    load_guide_seed()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # refuses to run beside one unless told the caller is synchronous, which
    # it is. Only for the browser tests, restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def offline(browser, live_server) -> Iterator:
    """Open offline contexts with ``offline(**options)``; checks them all on teardown."""
    contexts: list[OfflineContext] = []

    def open_context(**options) -> OfflineContext:
        context = OfflineContext(browser, live_server.url, **options)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    for context in contexts:
        assert context.refused == [], "pages must not load anything from other sites"
        assert context.console_errors == [], "no script errors or CSP violations"


@pytest.fixture
def shared_redis(settings) -> Iterator[dict]:
    """The default cache on Redis, as in production, under a prefix of its own.

    Returns the CACHES setting; assigning it again (``settings.CACHES = ...``)
    makes new cache connections, as a second worker process would have.
    Skips when no Redis runs on 127.0.0.1:6379. Only this test's keys are
    deleted afterwards (not the whole database, which others may share).
    """
    import uuid

    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=15, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    prefix = f"ally-test-{uuid.uuid4().hex}"
    caches_setting = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": prefix,
        }
    }
    original = settings.CACHES
    settings.CACHES = caches_setting
    try:
        yield caches_setting
    finally:
        # Back to the test cache first: other fixtures write while tearing down.
        settings.CACHES = original
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
