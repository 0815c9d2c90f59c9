from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory import search
from directory.models import (
    ContactChannel,
    Location,
    Organization,
    Resource,
    Schedule,
    SearchWord,
    ServiceArea,
)
from directory.synthetic import SyntheticDataError, generate_resources


def test_generated_resources_are_published_marked_synthetic_and_searchable(seeded):
    real = Resource.objects.count()

    generate_resources(count=300, seed=1)

    synthetic = Resource.objects.filter(is_synthetic=True)
    assert synthetic.count() == 300
    assert Resource.objects.count() == real + 300
    assert set(synthetic.values_list("status", flat=True)) == {"published"}
    assert all(slug.startswith("synthetic-") for slug in synthetic.values_list("slug", flat=True))
    # Realistic shape: taxonomy, hours, areas, locations, channels.
    assert synthetic.filter(topics__isnull=False).distinct().count() == 300
    assert Schedule.objects.filter(resource__is_synthetic=True).exists()
    assert ServiceArea.objects.filter(resource__is_synthetic=True).count() == 300
    assert Location.objects.filter(resource__is_synthetic=True, latitude__isnull=False).exists()
    # The index and the vocabulary were rebuilt after the bulk load.
    assert search.count_results(Resource.objects.published().search("health")).value > 100
    assert SearchWord.objects.get(word="health").document_count > 100


def test_generated_contact_details_are_never_real(seeded):
    generate_resources(count=200, seed=2)

    channels = ContactChannel.objects.filter(resource__is_synthetic=True)
    for kind, value in channels.values_list("kind", "value"):
        if kind in ContactChannel.NUMBER_KINDS:
            # 555-0100 to 555-0199 is reserved for fiction.
            assert re.fullmatch(r"1\d{3}55501\d\d", value), value
        else:
            assert value.startswith("https://example.org/")
    urls = set(Resource.objects.filter(is_synthetic=True).values_list("url", flat=True))
    assert urls == {"https://example.org"}


def test_generation_is_reproducible_for_a_seed(seeded):
    generate_resources(count=50, seed=5)
    first = list(Resource.objects.filter(is_synthetic=True).order_by("pk").values_list("name"))
    call_command("generate_resources", "--delete")
    generate_resources(count=50, seed=5)

    assert list(Resource.objects.filter(is_synthetic=True).order_by("pk").values_list("name")) == (
        first
    )


def test_one_command_deletes_every_synthetic_record_and_keeps_real_ones(seeded):
    real = set(Resource.objects.values_list("pk", flat=True))
    call_command("generate_resources", "--count", "120", "--seed", "3")

    call_command("generate_resources", "--delete")

    assert set(Resource.objects.values_list("pk", flat=True)) == real
    assert not Organization.objects.filter(slug__startswith="synthetic-").exists()
    assert not ContactChannel.objects.filter(resource__is_synthetic=False, value__contains="55501")
    # The search index no longer holds them.
    assert search.count_results(Resource.objects.search("health")).value < 30
    assert "988-suicide-crisis-lifeline" in Resource.objects.published().search(
        "suicide"
    ).values_list("slug", flat=True)


def test_generation_needs_the_taxonomy(db):
    with pytest.raises(SyntheticDataError):
        generate_resources(count=5)
    with pytest.raises(CommandError):
        call_command("generate_resources", "--count", "5")


def test_generation_rejects_a_bad_count(seeded):
    with pytest.raises(CommandError):
        call_command("generate_resources", "--count", "0")
