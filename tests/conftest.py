from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from directory.seed import load_seed


def pytest_report_header(config) -> str:
    from django.db import connection

    return f"database engine: {connection.vendor} ({connection.settings_dict['NAME']})"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Serve static files unhashed in tests, so no collectstatic run is needed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def seeded(db):
    """The real seed data, loaded as `make run` loads it."""
    return load_seed()


@pytest.fixture
def curator(db):
    """A staff user who can edit the directory (all directory permissions)."""
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(
        username="curator", password="a-long-test-password", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["directory", "guide"])
    )
    return user


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: no API response, throttle count or
    data version carries over from another test (the database does not), nor
    any response a worker process keeps a copy of."""
    from django.core.cache import cache

    from config import api_cache

    cache.clear()
    api_cache.clear_local_copies()
    yield
    cache.clear()
    api_cache.clear_local_copies()


def _member_of(role: str, username: str):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username=username, password="a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def curator_member(db):
    """A staff user whose only permissions are the Curator role's."""
    from directory.roles import CURATOR

    return _member_of(CURATOR, "curator-member")


@pytest.fixture
def editor_member(db):
    """A staff user whose only permissions are the Editor role's."""
    from directory.roles import EDITOR

    return _member_of(EDITOR, "editor-member")


@pytest.fixture
def curator_member_client(curator_member) -> Client:
    client = Client()
    client.force_login(curator_member)
    return client


@pytest.fixture
def editor_member_client(editor_member) -> Client:
    client = Client()
    client.force_login(editor_member)
    return client
