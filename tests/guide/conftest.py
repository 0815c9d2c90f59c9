from __future__ import annotations

import pytest
from django.core.cache import cache

from directory.seed import load_seed
from guide.models import Guide
from guide.seed import load_guide_seed


@pytest.fixture
def guide_seeded(db) -> Guide:
    """The real directory and guide seed data, loaded as `make run` loads them."""
    load_seed()
    load_guide_seed()
    return Guide.objects.get(slug="compassionate-ally")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Feedback rate limits live in the cache; each test starts with none used.
    cache.clear()
    yield
    cache.clear()
