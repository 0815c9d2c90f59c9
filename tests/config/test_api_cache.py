"""Each worker's own copies of stored API responses (``config.api_cache._LocalCopies``)."""

from __future__ import annotations

import time

from config.api_cache import _LocalCopies


def stored(body: bytes, *, at: float | None = None) -> dict:
    return {"version": "1", "content": body, "headers": {}, "stored_at": at or time.time()}


def test_copies_stay_under_the_byte_budget_least_recently_used_out(settings):
    settings.API_LOCAL_CACHE_BYTES = 25
    copies = _LocalCopies()
    copies.put("a", stored(b"x" * 10))
    copies.put("b", stored(b"x" * 10))
    assert copies.get("a") is not None  # now the most recently used

    copies.put("c", stored(b"x" * 10))

    assert copies.get("b") is None
    assert copies.get("a") is not None and copies.get("c") is not None


def test_a_response_larger_than_the_budget_is_not_kept(settings):
    settings.API_LOCAL_CACHE_BYTES = 25
    copies = _LocalCopies()
    copies.put("small", stored(b"x" * 10))

    copies.put("huge", stored(b"x" * 100))

    assert copies.get("huge") is None
    assert copies.get("small") is not None


def test_replacing_a_copy_counts_its_bytes_once(settings):
    settings.API_LOCAL_CACHE_BYTES = 25
    copies = _LocalCopies()
    for _ in range(5):
        copies.put("a", stored(b"x" * 10))
    copies.put("b", stored(b"x" * 10))

    assert copies.get("a") is not None and copies.get("b") is not None


def test_copies_expire_with_the_stored_response(settings):
    settings.API_CACHE_SECONDS = 600
    copies = _LocalCopies()
    copies.put("old", stored(b"x", at=time.time() - 601))
    copies.put("new", stored(b"x"))

    assert copies.get("old") is None
    assert copies.get("new") is not None
