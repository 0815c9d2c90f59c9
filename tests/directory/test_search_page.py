"""The search results page: filters from ResourceFilterSet, facets, did you mean, paging."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from directory.models import Resource, Urgency
from directory.needs import NEEDS
from tests.directory.pages import parse
from tests.factories import ContactChannelFactory, KindFactory, ResourceFactory

SEARCH = "/search/"


def result_names(response) -> list[str]:
    names = re.findall(
        r'<li class="card">\s*<h3><a href="[^"]+">([^<]+)</a>', response.content.decode()
    )
    return [unescape(name) for name in names]


def facet_counts(response, group: str) -> dict[str, int]:
    text = response.content.decode()
    pattern = (
        rf'name="{group}" value="([^"]+)"[^>]*><label[^>]*>[^<]*<span class="count">\((\d+)\)'
    )
    return {value: int(count) for value, count in re.findall(pattern, text)}


def test_search_page_lists_crisis_lines_with_one_tap_call_and_text(client, seeded):
    response = client.get(SEARCH, {"urgency": "crisis"})

    assert response.status_code == 200
    names = result_names(response)
    expected = Resource.objects.published().filter(urgency=Urgency.CRISIS)
    assert sorted(names) == sorted(r.name for r in expected)
    assert b'href="tel:988"' in response.content
    assert b'href="sms:741741?&amp;body=HOME"' in response.content
    assert f"{len(names)} results".encode() in response.content


def test_facet_counts_equal_the_results_of_following_them(client, seeded):
    response = client.get(SEARCH, {"q": "help"})

    kinds = facet_counts(response, "kind")
    assert kinds
    for code, count in kinds.items():
        followed = client.get(SEARCH, {"q": "help", "kind": code})
        assert len(result_names(followed)) == count, code


def test_a_chosen_facet_still_offers_the_other_values_of_its_group(client, seeded):
    # Values within a group are ORed, so ticking a second kind adds to the results.
    response = client.get(SEARCH, {"urgency": "crisis", "kind": "crisis-line"})

    kinds = facet_counts(response, "kind")
    assert "text-line" in kinds
    both = client.get(SEARCH, {"urgency": "crisis", "kind": ["crisis-line", "text-line"]})
    assert len(result_names(both)) == kinds["crisis-line"] + kinds["text-line"]
    assert b'value="crisis-line" checked' in response.content


def test_active_filters_can_be_removed_one_by_one_and_all_at_once(client, seeded):
    response = client.get(SEARCH, {"q": "line", "kind": ["crisis-line", "text-line"]})
    html = response.content.decode()

    assert 'href="?q=line&amp;kind=text-line">Remove filter: Kind: Crisis line' in html
    assert 'href="?q=line">Clear all filters' in html


def test_did_you_mean_offers_the_corrected_search(client, seeded):
    response = client.get(SEARCH, {"q": "depresion"})

    html = response.content.decode()
    assert 'Did you mean <a href="?q=depression">depression</a>?' in html


def test_no_results_still_offers_crisis_lines_and_broader_searches(client, seeded):
    response = client.get(SEARCH, {"q": "xylophone", "kind": "crisis-line"})

    assert response.status_code == 200
    assert result_names(response) == []
    html = response.content.decode()
    assert "0 results" in html
    assert 'href="?q=xylophone">Search all listings for “xylophone”' in html
    assert 'href="?kind=crisis-line">' in html
    no_results = html[html.index('class="no-results"') :]
    assert 'href="tel:988"' in no_results and 'href="tel:911"' in no_results


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"near": "abcde"}, "Near ZIP code", "ZIP"),
        ({"kind": "no-such-kind"}, "Kind", "no-such-kind"),
        ({"ordering": "distance"}, "Order", "near"),
    ],
)
def test_invalid_filters_say_what_is_wrong_with_a_400_not_a_500(
    client, seeded, params, field, message
):
    response = client.get(SEARCH, params)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters could not be used" in html
    error = html[html.index('role="alert"') : html.index("</div>", html.index('role="alert"'))]
    assert field in error and message in error
    assert 'href="tel:988"' in html


def test_a_radius_without_a_zip_code_is_ignored(client, seeded):
    assert client.get(SEARCH, {"radius": "10"}).status_code == 200


def test_near_a_zip_code_keeps_nationwide_services(client, seeded):
    response = client.get(SEARCH, {"near": "10001"})

    assert response.status_code == 200
    assert "988 Suicide &amp; Crisis Lifeline" in response.content.decode()
    assert b'<option value="distance"' in response.content


def test_results_are_paged_twenty_at_a_time(client, db):
    for n in range(45):
        ResourceFactory(name=f"Listing {n:02d}")

    first = client.get(SEARCH)
    third = client.get(SEARCH, {"page": "3"})
    beyond = client.get(SEARCH, {"page": "99"})
    garbage = client.get(SEARCH, {"page": "abc"})

    assert len(result_names(first)) == 20
    assert b'href="?page=2" rel="next"' in first.content
    assert result_names(third) == [f"Listing {n}" for n in range(40, 45)]
    assert b'href="?page=2" rel="prev"' in third.content
    assert result_names(beyond) == result_names(third)
    assert result_names(garbage) == result_names(first)
    assert b"Page 3 of 3" in third.content


def test_every_need_on_the_home_page_leads_to_results(client, seeded):
    home = client.get("/").content.decode()

    for need in NEEDS:
        assert f'href="{need.url.replace("&", "&amp;")}"' in home
        if need.filters:
            assert result_names(client.get(need.url)), need.slug


def test_search_page_sets_no_cookie_and_no_inline_script(client, seeded):
    response = client.get(SEARCH, {"q": "suicidal friend"})

    assert response.cookies == {}
    page = parse(response)
    assert all(script.get("src", "").startswith("/static/js/") for script in page.scripts)


def test_search_results_page_with_its_css_stays_under_60_kb(client, db):
    # The heaviest first page: twenty full cards, every facet in use.
    for n in range(25):
        resource = ResourceFactory(name=f"A long-named support resource number {n}")
        ContactChannelFactory(resource=resource)
        ContactChannelFactory(resource=resource, kind="text", value="741741", keyword="HOME")
    html = client.get(SEARCH).content
    css = Path(finders.find("css/site.css")).read_bytes()

    assert len(html) + len(css) < 60 * 1024


def test_search_page_runs_a_constant_number_of_queries(client, db, django_assert_num_queries):
    for n in range(30):
        resource = ResourceFactory(name=f"Crisis help {n}", urgency=Urgency.CRISIS)
        ContactChannelFactory(resource=resource)
    url = reverse("directory:search") + "?q=crisis"
    client.get(url)  # search vocabulary and synonyms are cached after the first search
    # 1. count (bounded), 2. facet tags, 3. names of the taxonomy terms that
    # occur (no languages occur here, so no names to look up), 4. the page of
    # results, 5-7. its languages, channels and schedules (what a card shows)
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        # The 7 above, plus one: a chosen group is counted over the results
        # without its own filter (its tags only; urgency names need no query).
        ("?urgency=crisis", 8),
        # ...plus the chosen kind, looked up when validating the filters of
        # the page and of the urgency counts, and the kind group's own count.
        ("?urgency=crisis&kind=crisis-line", 11),
    ],
)
def test_choosing_facets_costs_no_extra_facet_queries(
    client, db, django_assert_num_queries, query, queries
):
    kind = KindFactory(code="crisis-line")
    for n in range(30):
        ResourceFactory(name=f"Crisis help {n}", urgency=Urgency.CRISIS, kind=kind)
    url = reverse("directory:search") + query
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
