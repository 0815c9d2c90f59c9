from __future__ import annotations

import pytest

from directory import search
from directory.filters import ResourceFilterSet
from directory.models import Resource

FILTER_FOR_GROUP = {
    "kind": "kind",
    "topic": "topic",
    "audience": "audience",
    "urgency": "urgency",
    "channel": "channel",
    "cost": "cost",
    "language": "language",
}


def filtered(data: dict):
    filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": "crisis"},
        {"q": "depression"},
        {"urgency": "crisis"},
        {"topic": ["mental-health", "suicide-prevention"], "channel": "text"},
        {"q": "line", "audience": "youth", "open_24_7": "true"},
        {"q": "xqzvbnkw"},
    ],
)
def test_each_facet_count_equals_the_count_of_results_with_that_value_added(seeded, data):
    results = filtered(data)

    facets = search.facets(results)

    assert list(facets) == list(search.FACET_GROUPS)
    for group, values in facets.items():
        for value in values:
            narrowed = ResourceFilterSet({FILTER_FOR_GROUP[group]: value.value}, queryset=results)
            assert narrowed.is_valid(), narrowed.errors
            assert value.count == narrowed.qs.count(), (group, value)
            assert value.count > 0


def test_facets_list_every_value_present_in_the_results(seeded):
    facets = search.facets(filtered({"q": "crisis"}))

    codes = {v.value for v in facets["kind"]}
    assert {"crisis-line", "text-line"} <= codes
    assert {v.value for v in facets["channel"]} >= {"phone", "text", "chat"}
    assert facets["urgency"][0].value == "crisis"
    assert facets["urgency"][0].label == "Crisis now"


def test_a_resource_with_two_channels_of_one_kind_counts_once(seeded):
    # The NAMI HelpLine has two text numbers.
    facets = search.facets(filtered({"q": "nami helpline"}))
    assert {v.value: v.count for v in facets["channel"]}["text"] == 1


def test_facets_take_a_constant_number_of_queries(seeded, django_assert_num_queries):
    search.parse_query("warm up the caches")
    queryset = filtered({"q": "crisis", "topic": "mental-health"})
    # One count of the index tags for every group, then the names of the
    # taxonomy terms and of the languages that occur.
    with django_assert_num_queries(3):
        search.facets(queryset)
    with django_assert_num_queries(3):
        search.facets(Resource.objects.published())
    # Groups not asked for cost no names.
    with django_assert_num_queries(1):
        search.facets(queryset, groups=["urgency", "channel", "cost"])
    assert set(search.facets(queryset, groups=["cost", "kind"])) == {"kind", "cost"}


def test_facets_count_only_the_groups_asked_for(seeded, django_assert_num_queries):
    search.parse_query("warm up the caches")
    queryset = filtered({"q": "crisis"})
    every = search.facets(queryset)

    # The index tags, then the names of the kinds and of the languages.
    with django_assert_num_queries(3):
        some = search.facets(queryset, groups=["language", "kind"])

    assert list(some) == ["kind", "language"]  # in FACET_GROUPS order
    assert some == {"kind": every["kind"], "language": every["language"]}
    with django_assert_num_queries(0):
        assert search.facets(queryset, groups=[]) == {}
    with pytest.raises(ValueError, match="colour"):
        search.facets(queryset, groups=["colour"])
