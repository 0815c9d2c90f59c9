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
