"""Admin sign-in throttling (django-axes) and session expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

PASSWORD = "a-long-test-password"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        username="curator", password=PASSWORD, is_staff=True
    )


def sign_in(ip: str, username: str = "curator", password: str = PASSWORD) -> int:
    response = Client(REMOTE_ADDR=ip).post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return response.status_code


def fail(times: int, ip: str, username: str = "curator") -> None:
    for _ in range(times):
        sign_in(ip, username, "wrong-password")


def test_repeated_failures_lock_that_username_from_that_address(staff, settings):
    fail(settings.AXES_FAILURE_LIMIT, "203.0.113.9")
    assert sign_in("203.0.113.9") == 429  # locked, even with the right password


def test_an_attacker_cannot_lock_a_curator_out_from_elsewhere(staff, settings):
    fail(settings.AXES_FAILURE_LIMIT, "203.0.113.9")
    assert sign_in("198.51.100.20") == 302  # the curator, from their own address


def test_other_accounts_from_the_attackers_address_are_not_locked(staff, settings):
    get_user_model().objects.create_user(username="editor", password=PASSWORD, is_staff=True)
    fail(settings.AXES_FAILURE_LIMIT, "203.0.113.9", username="curator")
    assert sign_in("203.0.113.9", username="editor") == 302


def test_the_lock_lifts_after_the_cool_off(staff, settings):
    fail(settings.AXES_FAILURE_LIMIT, "203.0.113.9")
    assert sign_in("203.0.113.9") == 429
    with time_machine.travel(
        timezone.now() + timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    ):
        assert sign_in("203.0.113.9") == 302


def test_failures_below_the_limit_do_not_lock(staff, settings):
    fail(settings.AXES_FAILURE_LIMIT - 1, "203.0.113.9")
    assert sign_in("203.0.113.9") == 302


def test_the_lockout_uses_the_trusted_proxy_address(staff, settings):
    settings.NUM_PROXIES = 1

    def sign_in_via_proxy(client_ip: str, password: str) -> int:
        return (
            Client(REMOTE_ADDR="10.0.0.1")
            .post(
                "/admin/login/?next=/admin/",
                {"username": "curator", "password": password},
                HTTP_X_FORWARDED_FOR=client_ip,
            )
            .status_code
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_via_proxy("203.0.113.9", "wrong-password")
    assert sign_in_via_proxy("203.0.113.9", PASSWORD) == 429
    # Same proxy, different client: not locked.
    assert sign_in_via_proxy("198.51.100.20", PASSWORD) == 302


def test_admin_sessions_expire_when_idle_and_with_the_browser(staff, settings):
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": "curator", "password": PASSWORD})
    assert client.session.get_expire_at_browser_close() is True
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and not cookie["max-age"]
