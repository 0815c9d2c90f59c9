from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from directory.filters import ResourceFilterSet
from directory.models import AreaScope, Cost, Resource, Urgency
from tests.factories import (
    AudienceFactory,
    ContactChannelFactory,
    KindFactory,
    LanguageFactory,
    LocationFactory,
    ResourceFactory,
    ScheduleFactory,
    ServiceAreaFactory,
    TopicFactory,
)


def filtered(data: dict, queryset=None) -> list[Resource]:
    filterset = ResourceFilterSet(data, queryset=queryset or Resource.objects.published())
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs)


def slugs(data: dict) -> set[str]:
    return {r.slug for r in filtered(data)}


def errors(data: dict) -> dict:
    filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
    assert not filterset.is_valid()
    return filterset.errors


# --- Each filter ---------------------------------------------------------------


@pytest.fixture
def catalog(db):
    """Four resources that differ in every filtered attribute."""
    helpline = KindFactory(code="helpline", name="Helpline")
    locator = KindFactory(code="treatment-locator", name="Treatment locator")
    grief, anxiety = TopicFactory(code="grief"), TopicFactory(code="anxiety")
    youth, veterans = AudienceFactory(code="youth"), AudienceFactory(code="veterans")
    en, es = LanguageFactory(code="en", name="English"), LanguageFactory(code="es", name="Spanish")
    a = ResourceFactory(
        slug="a",
        kind=helpline,
        topics=[grief],
        audiences=[youth],
        languages=[en],
        urgency=Urgency.CRISIS,
        cost=Cost.FREE,
        open_24_7=True,
    )
    b = ResourceFactory(
        slug="b",
        kind=locator,
        topics=[anxiety],
        audiences=[veterans],
        languages=[es],
        urgency=Urgency.SOON,
        cost=Cost.PAID,
    )
    c = ResourceFactory(
        slug="c",
        kind=helpline,
        topics=[grief, anxiety],
        audiences=[youth, veterans],
        languages=[en, es],
        urgency=Urgency.LEARN,
        cost=Cost.SLIDING_SCALE,
    )
    d = ResourceFactory(slug="d", kind=locator, urgency=Urgency.SOON)
    ContactChannelFactory(resource=a, kind="phone")
    ContactChannelFactory(resource=a, kind="text", value="741741")
    ContactChannelFactory(resource=b, kind="tty")
    ContactChannelFactory(resource=c, kind="chat", value="https://example.org/chat")
    ContactChannelFactory(resource=c, kind="phone")
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, {"a", "b", "c", "d"}),
        ({"kind": "helpline"}, {"a", "c"}),
        ({"kind": ["helpline", "treatment-locator"]}, {"a", "b", "c", "d"}),
        ({"topic": "grief"}, {"a", "c"}),
        ({"topic": ["grief", "anxiety"]}, {"a", "b", "c"}),
        ({"topic": "grief,anxiety"}, {"a", "b", "c"}),
        ({"audience": "veterans"}, {"b", "c"}),
        ({"urgency": "soon"}, {"b", "d"}),
        ({"urgency": ["crisis", "learn"]}, {"a", "c"}),
        ({"channel": "phone"}, {"a", "c"}),
        ({"channel": ["text", "tty"]}, {"a", "b"}),
        ({"cost": "free"}, {"a"}),
        ({"cost": ["paid", "sliding_scale"]}, {"b", "c"}),
        ({"language": "es"}, {"b", "c"}),
        ({"open_24_7": "true"}, {"a"}),
        ({"open_24_7": "false"}, {"b", "c", "d"}),
        # Across groups: AND.
        ({"kind": "helpline", "topic": "anxiety"}, {"c"}),
        ({"topic": "grief", "language": "es", "channel": "chat"}, {"c"}),
        ({"audience": ["youth", "veterans"], "urgency": "soon"}, {"b"}),
        ({"kind": "treatment-locator", "cost": "free"}, set()),
    ],
)
def test_each_filter_and_their_combinations(catalog, data, expected):
    assert slugs(data) == expected


def test_a_resource_matching_two_chosen_values_appears_once(catalog):
    results = filtered({"topic": ["grief", "anxiety"], "channel": ["phone", "chat"]})
    assert [r.slug for r in results].count("c") == 1


def test_updated_since_keeps_recently_updated_resources(catalog):
    old = timezone.now() - datetime.timedelta(days=30)
    Resource.objects.filter(slug__in=["a", "b"]).update(updated_at=old)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    assert slugs({"updated_since": since}) == {"c", "d"}
    assert slugs({"updated_since": timezone.localdate().isoformat()}) == {"c", "d"}


def test_search_combines_with_filters(catalog):
    Resource.objects.filter(slug="a").update(summary="Grief counseling by phone.")
    Resource.objects.filter(slug="c").update(summary="Grief groups.")

    assert {r.slug for r in filtered({"q": "grief", "channel": "phone"})} == {"a", "c"}
    assert [r.slug for r in filtered({"q": "grief", "cost": "free"})] == ["a"]


def test_ordering_by_name_and_by_recent_update(catalog):
    for slug, name in (("a", "Delta"), ("b", "Alpha"), ("c", "Charlie"), ("d", "Bravo")):
        Resource.objects.filter(slug=slug).update(name=name)
    Resource.objects.filter(slug="d").update(updated_at=timezone.now() + datetime.timedelta(1))

    assert [r.slug for r in filtered({"ordering": "name"})] == ["b", "d", "c", "a"]
    assert [r.slug for r in filtered({"ordering": "updated"})][0] == "d"
    # Without a query, "relevance" falls back to name.
    assert [r.slug for r in filtered({"ordering": "relevance"})] == ["b", "d", "c", "a"]


# --- Validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "parameter"),
    [
        ({"kind": "not-a-kind"}, "kind"),
        ({"topic": "grief,nope"}, "topic"),
        ({"audience": "martians"}, "audience"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"channel": "pigeon"}, "channel"),
        ({"cost": "priceless"}, "cost"),
        ({"language": "klingon"}, "language"),
        ({"open_24_7": "maybe"}, "open_24_7"),
        ({"open_now": "perhaps"}, "open_now"),
        ({"state": "ZZ"}, "state"),
        ({"near": "1234"}, "near"),
        ({"near": "00000"}, "near"),
        ({"near": "ABCDE"}, "near"),
        ({"lat": "91", "lon": "0"}, "lat"),
        ({"lat": "40", "lon": "-181"}, "lon"),
        ({"lat": "north", "lon": "1"}, "lat"),
        ({"lat": "40.7"}, "lon"),
        ({"lon": "-73.9"}, "lat"),
        ({"near": "10001", "lat": "40", "lon": "-73"}, "near"),
        ({"near": "10001", "radius": "0"}, "radius"),
        ({"near": "10001", "radius": "5000"}, "radius"),
        ({"radius": "10"}, "radius"),
        ({"ordering": "popularity"}, "ordering"),
        ({"ordering": "distance"}, "ordering"),
        ({"updated_since": "last week"}, "updated_since"),
        ({"q": "crisis\x00line"}, "q"),
    ],
)
def test_invalid_values_give_an_error_naming_the_parameter(catalog, data, parameter):
    assert parameter in errors(data)


# --- Open now ---------------------------------------------------------------------


@pytest.fixture
def hours(db):
    """Weekday 10:00–18:00 in New York and in Los Angeles, a night line, a 24/7 line."""
    new_york = ResourceFactory(slug="new-york", time_zone="America/New_York")
    los_angeles = ResourceFactory(slug="los-angeles", time_zone="America/Los_Angeles")
    for resource in (new_york, los_angeles):
        for weekday in range(5):
            ScheduleFactory(
                resource=resource, weekday=weekday, opens_at="10:00", closes_at="18:00"
            )
    # Friday 22:00 to Saturday 02:00, Chicago time.
    night = ResourceFactory(slug="night", time_zone="America/Chicago")
    ScheduleFactory(resource=night, weekday=4, opens_at="22:00", closes_at="02:00")
    ResourceFactory(slug="always", open_24_7=True)
    ResourceFactory(slug="never-listed-hours")


def at(local: str, zone: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(local).replace(tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Monday 11:00 in New York is 08:00 in Los Angeles.
        (at("2026-11-23 11:00", "America/New_York"), {"new-york", "always"}),
        # Monday 19:00 in New York is 16:00 in Los Angeles.
        (at("2026-11-23 19:00", "America/New_York"), {"los-angeles", "always"}),
        # Both open: 13:00 New York, 10:00 Los Angeles (opening minute counts).
        (at("2026-11-23 13:00", "America/New_York"), {"new-york", "los-angeles", "always"}),
        # Closing minute does not count: 18:00 New York.
        (at("2026-11-23 18:00", "America/New_York"), {"los-angeles", "always"}),
        # Saturday: weekday hours closed.
        (at("2026-11-28 12:00", "America/New_York"), {"always"}),
        # Past midnight in Chicago, the Friday night slot is still open.
        (at("2026-11-28 01:30", "America/Chicago"), {"night", "always"}),
        (at("2026-11-27 23:00", "America/Chicago"), {"night", "always"}),
        (at("2026-11-28 02:30", "America/Chicago"), {"always"}),
        (at("2026-11-27 21:59", "America/Chicago"), {"always"}),
        # Summer time: 10:30 in New York in July is 14:30 UTC.
        (datetime.datetime(2026, 7, 6, 14, 30, tzinfo=datetime.UTC), {"new-york", "always"}),
    ],
)
def test_open_now_uses_weekly_hours_in_each_resources_time_zone(hours, moment, expected):
    with time_machine.travel(moment, tick=False):
        assert slugs({"open_now": "true"}) == expected
        assert {r.slug for r in Resource.objects.published().open_now()} == expected


def test_open_now_false_does_not_filter(hours):
    assert len(slugs({"open_now": "false"})) == 5


# --- Places -------------------------------------------------------------------------


@pytest.fixture
def areas(db):
    national = ResourceFactory(slug="national", name="National line")
    ServiceAreaFactory(resource=national, scope=AreaScope.NATIONAL)
    new_york_state = ResourceFactory(slug="ny-state")
    ServiceAreaFactory(resource=new_york_state, scope=AreaScope.STATE, state="NY")
    california = ResourceFactory(slug="ca-state")
    ServiceAreaFactory(resource=california, scope=AreaScope.STATE, state="CA")
    manhattan_zip = ResourceFactory(slug="zip-10001")
    ServiceAreaFactory(
        resource=manhattan_zip, scope=AreaScope.ZIP, state="NY", postal_code="10001"
    )
    county = ResourceFactory(slug="kings-county")
    ServiceAreaFactory(resource=county, scope=AreaScope.COUNTY, state="NY", name="New York")
    # Clinics with addresses: Midtown (~1 mile from 10001), Newark (~9 miles), Boston.
    midtown = ResourceFactory(slug="midtown-clinic")
    LocationFactory(resource=midtown, state="NY", latitude=40.7549, longitude=-73.9840)
    newark = ResourceFactory(slug="newark-clinic")
    LocationFactory(resource=newark, state="NJ", latitude=40.7357, longitude=-74.1724)
    boston = ResourceFactory(slug="boston-clinic")
    LocationFactory(resource=boston, state="MA", latitude=42.3601, longitude=-71.0589)
    ResourceFactory(slug="nowhere")  # no area, no location


def test_near_a_zip_matches_national_state_county_zip_and_nearby_resources(areas):
    assert slugs({"near": "10001"}) == {
        "national",
        "ny-state",
        "zip-10001",
        "kings-county",
        "midtown-clinic",
        "newark-clinic",
    }


def test_near_a_zip_with_a_small_radius_drops_farther_locations(areas):
    assert "newark-clinic" not in slugs({"near": "10001", "radius": "5"})
    assert "boston-clinic" in slugs({"near": "10001", "radius": "250"})


def test_near_orders_by_distance_with_unlocated_resources_last(areas):
    results = filtered({"near": "10001", "ordering": "distance"})

    assert [r.slug for r in results][:2] == ["midtown-clinic", "newark-clinic"]
    assert results[0].distance_miles == pytest.approx(0.6, abs=0.5)
    assert results[1].distance_miles == pytest.approx(9.6, abs=1.5)
    assert all(r.distance_miles is None for r in results[2:])


def test_near_coordinates_matches_resources_of_the_state_they_fall_in(areas):
    # A point in Los Angeles: California's state-wide resource and national ones.
    assert slugs({"lat": "34.05", "lon": "-118.25"}) == {"national", "ca-state"}


def test_state_filter_keeps_national_resources_and_those_located_or_serving_there(areas):
    assert slugs({"state": "NY"}) == {
        "national",
        "ny-state",
        "zip-10001",
        "kings-county",
        "midtown-clinic",
    }
    assert slugs({"state": ["MA", "NJ"]}) == {"national", "newark-clinic", "boston-clinic"}


def test_near_combines_with_search_and_other_filters(areas):
    Resource.objects.filter(slug__in=["national", "ca-state"]).update(summary="Grief line.")

    assert slugs({"near": "10001", "q": "grief"}) == {"national"}
    by_distance = filtered({"near": "10001", "q": "grief", "ordering": "distance"})
    assert [r.slug for r in by_distance] == ["national"]


def by_distance_with_more_national(monkeypatch, *, window: int) -> ResourceFilterSet:
    """Distance order near 10001 with four more national resources and a small window."""
    from directory import search

    for n in range(4):
        extra = ResourceFactory(slug=f"national-{n}", name=f"Zz national {n}")
        ServiceAreaFactory(resource=extra, scope=AreaScope.NATIONAL)
    monkeypatch.setattr(search, "RANK_WINDOW", window)
    data = {"near": "10001", "ordering": "distance"}
    filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
    assert filterset.is_valid()
    return filterset


def test_distance_order_lists_nearby_first_then_a_bounded_window_by_name(areas, monkeypatch):
    from directory import search

    filterset = by_distance_with_more_national(monkeypatch, window=3)

    ordered = [r.slug for r in filterset.qs]
    # Every resource located in the radius, nearest first, then the first
    # three of the rest by name; the total still counts all ten.
    assert ordered[:2] == ["midtown-clinic", "newark-clinic"]
    others = sorted(
        Resource.objects.filter(
            slug__in=["national", "ny-state", "zip-10001", "kings-county"]
            + [f"national-{n}" for n in range(4)]
        ).values_list("name", "slug")
    )
    assert ordered[2:] == [slug for _, slug in others[:3]]
    assert search.count_results(filterset.qs).value == 10
    assert len(slugs({"near": "10001", "ordering": "name"})) == 10


def test_distance_order_pages_agree_with_the_whole_list(areas, monkeypatch):
    # A page reads only as many names as it can show (its slice bounds the
    # window); pages taken one by one must still be the whole list, in order.
    filterset = by_distance_with_more_national(monkeypatch, window=6)
    whole = [r.slug for r in filterset.qs]
    assert len(whole) == 2 + 6  # the nearby two, then the window of names

    # (.all(): slicing the evaluated queryset would only slice its cache.)
    paged = [r.slug for start in range(0, 9, 3) for r in filterset.qs.all()[start : start + 3]]
    assert paged == whole
    assert [r.slug for r in filterset.qs.all()[1:2]] == whole[1:2]
    assert [r.slug for r in filterset.qs.all()[7:20]] == whole[7:]


@pytest.mark.parametrize("walk", [1, 4, 10_000])
def test_distance_window_is_the_same_whether_walked_by_name_or_sorted(areas, monkeypatch, walk):
    # SQLite takes the others' first names by walking a name index over
    # them, and sorts them instead when its first NAME_WALK entries hold
    # too few (1 and 4: the walk falls short; 10 000: it finds them all).
    from directory import search

    monkeypatch.setattr(search._SQLiteEngine, "NAME_WALK", walk)
    for n in range(2):  # a tie in name, broken by key as on the resource table
        twin = ResourceFactory(slug=f"twin-{n}", name="Same name")
        ServiceAreaFactory(resource=twin, scope=AreaScope.NATIONAL)
    filterset = by_distance_with_more_national(monkeypatch, window=6)
    others = list(
        Resource.objects.filter(
            slug__in=["national", "ny-state", "zip-10001", "kings-county", "twin-0", "twin-1"]
            + [f"national-{n}" for n in range(4)]
        )
        .order_by("name", "pk")
        .values_list("slug", flat=True)
    )

    assert [r.slug for r in filterset.qs] == ["midtown-clinic", "newark-clinic", *others[:6]]
    assert [r.slug for r in filterset.qs.all()[:4]] == [
        "midtown-clinic",
        "newark-clinic",
        *others[:2],
    ]
    assert search.count_results(filterset.qs).value == 12


def test_distance_pages_read_the_nearest_matches_with_ties_ordered_by_name(areas):
    # Two more clinics at Midtown's address (a tie in distance), one in
    # Hoboken and one that another filter rules out. A page reads the
    # nearby matches up to its last row's distance, ties included, so
    # every page is a slice of the whole list.
    for slug, name in [("tie-b", "B clinic"), ("tie-a", "A clinic")]:
        tie = ResourceFactory(slug=slug, name=name)
        LocationFactory(resource=tie, state="NY", latitude=40.7549, longitude=-73.9840)
    hoboken = ResourceFactory(slug="hoboken-clinic")
    LocationFactory(resource=hoboken, state="NJ", latitude=40.7440, longitude=-74.0324)
    draft = ResourceFactory(slug="draft-clinic", status="draft")
    LocationFactory(resource=draft, state="NY", latitude=40.7500, longitude=-73.9900)

    filterset = ResourceFilterSet(
        {"near": "10001", "ordering": "distance"}, queryset=Resource.objects.published()
    )
    assert filterset.is_valid()
    whole = [r.slug for r in filterset.qs]
    tied = Resource.objects.filter(slug__in=["midtown-clinic", "tie-a", "tie-b"])
    by_name = [slug for _, slug in sorted(tied.values_list("name", "slug"))]
    assert whole[:5] == [*by_name, "hoboken-clinic", "newark-clinic"]
    for size in (1, 2, 3):
        paged = [
            r.slug for start in range(0, 9, size) for r in filterset.qs.all()[start : start + size]
        ]
        assert paged == whole[:9]


def test_distance_pages_with_a_filter_off_the_index_agree_with_the_whole_list(areas):
    # "Updated since" reads the resource row, so the nearby matches cannot
    # be told from the index alone; pages must still be slices of the list.
    draft = ResourceFactory(slug="draft-clinic", status="draft")
    LocationFactory(resource=draft, state="NY", latitude=40.7500, longitude=-73.9900)
    Resource.objects.filter(slug="midtown-clinic").update(
        updated_at=timezone.now() - datetime.timedelta(days=30)
    )
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()

    filterset = ResourceFilterSet(
        {"near": "10001", "ordering": "distance", "updated_since": since},
        queryset=Resource.objects.published(),
    )
    assert filterset.is_valid(), filterset.errors
    whole = [r.slug for r in filterset.qs]
    assert whole[0] == "newark-clinic" and "midtown-clinic" not in whole
    paged = [r.slug for start in range(0, 5) for r in filterset.qs.all()[start : start + 1]]
    assert paged == whole[:5]


def test_a_near_total_counts_the_area_matches_first_and_stops_there_above_the_limit(
    areas, django_assert_num_queries
):
    # Near 10001: four resources by their areas (national, the state, the
    # county, the ZIP), two more by a location in the radius. When the
    # areas alone pass the limit, their count settles it; otherwise every
    # match is counted.
    from directory import search

    filterset = ResourceFilterSet({"near": "10001"}, queryset=Resource.objects.published())
    assert filterset.is_valid()
    estimates = connection.vendor == "postgresql"  # (its planner's estimate: one query more)

    with django_assert_num_queries(1 + estimates):
        total = search.count_results(filterset.qs, limit=3)
    assert not total.exact and total.value >= 4
    with django_assert_num_queries(2 + estimates):
        total = search.count_results(filterset.qs, limit=4)
    assert not total.exact and total.value >= 5
    with django_assert_num_queries(2):
        total = search.count_results(filterset.qs, limit=6)
    assert total.exact and total.value == 6


def test_distance_order_follows_renames_and_counts_on_the_index_alone(areas, monkeypatch):
    from directory import search
    from directory.models import ResourceSearchDocument

    filterset = by_distance_with_more_national(monkeypatch, window=3)
    assert "national-3" not in [r.slug for r in filterset.qs]

    # The window orders the others by the name the index keeps for them
    # (PostgreSQL's index row, SQLite's rowid table), even after a bulk update.
    Resource.objects.filter(slug="national-3").update(name="Aa first by name")
    ordered = [r.slug for r in filterset.qs.all()]
    assert ordered[:3] == ["midtown-clinic", "newark-clinic", "national-3"]

    # Where the engine takes key tests onto the index (SQLite), "near" is
    # answered by the index alone: areas and grid cells are tags, and
    # locations in the radius are tested on the index row's key.
    alone = search._engine("default").key_tests_alone
    expected = ResourceSearchDocument if alone else Resource
    assert search.counted(filterset.qs).model is expected
    assert search.count_results(filterset.qs).value == 10


# --- The index keeps filter tags current ---------------------------------------------


def test_filters_see_channels_areas_locations_and_languages_as_they_change(db):
    resource = ResourceFactory(slug="changing")
    assert slugs({"channel": "text"}) == set()

    channel = ContactChannelFactory(resource=resource, kind="text", value="1-202-555-0100")
    area = ServiceAreaFactory(resource=resource, scope=AreaScope.STATE, state="OR")
    spanish = LanguageFactory(code="es", name="Spanish")
    resource.languages.add(spanish)
    assert slugs({"channel": "text"}) == {"changing"}
    assert slugs({"state": "OR"}) == {"changing"}
    assert slugs({"language": "es"}) == {"changing"}

    channel.kind = "chat"
    channel.value = "https://example.org/chat"
    channel.save()
    area.state = "WA"
    area.save()
    assert slugs({"channel": "text"}) == set()
    assert slugs({"channel": "chat", "state": "WA"}) == {"changing"}

    location = LocationFactory(resource=resource, state="ID", latitude=43.6, longitude=-116.2)
    assert slugs({"state": "ID"}) == {"changing"}
    assert slugs({"lat": "43.6", "lon": "-116.2", "radius": "5"}) == {"changing"}
    location.delete()
    area.delete()
    resource.languages.remove(spanish)
    assert slugs({"state": "ID"}) == slugs({"state": "WA"}) == set()
    assert slugs({"language": "es"}) == set()


def test_filters_see_kind_urgency_cost_and_status_as_they_change(db):
    resource = ResourceFactory(slug="changing", urgency=Urgency.SOON, cost=Cost.FREE)
    crisis_line = KindFactory(code="crisis-line")
    assert slugs({"urgency": "soon", "cost": "free"}) == {"changing"}

    Resource.objects.filter(pk=resource.pk).update(
        urgency=Urgency.CRISIS, cost=Cost.PAID, kind=crisis_line
    )
    assert slugs({"urgency": "soon"}) == slugs({"cost": "free"}) == set()
    assert slugs({"urgency": "crisis", "cost": "paid", "kind": "crisis-line"}) == {"changing"}

    Resource.objects.filter(pk=resource.pk).update(status="archived")
    assert slugs({"urgency": "crisis"}) == set()


def test_totals_of_index_only_filters_skip_the_resource_table(catalog):
    from directory import search
    from directory.models import ResourceSearchDocument

    def counted(data):
        filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
        assert filterset.is_valid()
        return search.counted(filterset.qs)

    organization = Resource.objects.get(slug="a").organization.slug
    on_index = counted({"q": "helpline", "kind": "helpline", "channel": "text"})
    with_organization = counted({"kind": "helpline", "organization": organization})

    # Index rows know whether their resource is published (a column on
    # PostgreSQL, a tag on SQLite); the organization is not in the index, so
    # that count joins the resources.
    assert on_index.model is ResourceSearchDocument
    assert with_organization.model is Resource
    expected_rows = filtered({"q": "helpline", "kind": "helpline", "channel": "text"})
    assert on_index.count() == len(expected_rows) > 0

    # Unpublishing one of them, even by a bulk update, takes it out of the
    # index-only count at once; publishing it again puts it back.
    Resource.objects.filter(pk=expected_rows[0].pk).update(status="archived")
    assert counted({"q": "helpline", "kind": "helpline", "channel": "text"}).count() == (
        len(expected_rows) - 1
    )
    Resource.objects.filter(pk=expected_rows[0].pk).update(status="published")
    assert counted({"q": "helpline", "kind": "helpline", "channel": "text"}).count() == (
        len(expected_rows)
    )
