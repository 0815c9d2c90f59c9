from __future__ import annotations

import pytest
from django.conf import settings

from directory import search


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
