"""Opening hours as shown on cards and resource pages."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from directory import hours
from directory.models import Resource
from tests.factories import ResourceFactory, ScheduleFactory


def weekday_resource(time_zone="America/New_York") -> Resource:
    resource = ResourceFactory(time_zone=time_zone)
    for weekday in range(5):
        ScheduleFactory(resource=resource, weekday=weekday, opens_at="10:00", closes_at="22:00")
    return Resource.objects.for_listing().get(pk=resource.pk)


# Thursday 26 November 2026.
THURSDAY_NOON_ET = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_resource_is_open_inside_its_hours_until_closing_time():
    status = hours.open_status(weekday_resource(), THURSDAY_NOON_ET)

    assert status.is_open
    assert status.changes_at.hour == 22 and status.changes_at.tzname() == "EST"


@pytest.mark.django_db
def test_hours_are_read_in_the_resources_own_time_zone():
    # Noon in New York is 9 a.m. in Los Angeles: a 10 a.m. opening there is still ahead.
    status = hours.open_status(weekday_resource("America/Los_Angeles"), THURSDAY_NOON_ET)

    assert not status.is_open
    assert status.day_label == "today"
    assert status.changes_at.hour == 10 and status.changes_at.tzname() == "PST"


@pytest.mark.django_db
def test_after_friday_closing_the_next_opening_is_monday():
    friday_late = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # Friday 11 p.m. ET

    status = hours.open_status(weekday_resource(), friday_late)

    assert not status.is_open
    assert status.day_label == "Monday"
    assert status.changes_at.date().isoformat() == "2026-11-30"


@pytest.mark.django_db
def test_an_overnight_period_stays_open_past_midnight():
    resource = ResourceFactory()
    ScheduleFactory(resource=resource, weekday=4, opens_at="20:00", closes_at="02:00")
    resource = Resource.objects.for_listing().get(pk=resource.pk)
    saturday_1am_et = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)

    status = hours.open_status(resource, saturday_1am_et)

    assert status.is_open
    assert status.changes_at.hour == 2


@pytest.mark.django_db
def test_a_24_7_resource_is_always_open_and_unknown_hours_give_no_status():
    assert hours.open_status(ResourceFactory(open_24_7=True), THURSDAY_NOON_ET).is_open
    resource = Resource.objects.for_listing().get(pk=ResourceFactory().pk)
    assert hours.open_status(resource, THURSDAY_NOON_ET) is None


@pytest.mark.django_db
def test_consecutive_days_with_the_same_hours_are_grouped():
    resource = weekday_resource()
    ScheduleFactory(resource=resource, weekday=6, opens_at="12:00", closes_at="16:00")
    resource = Resource.objects.for_listing().get(pk=resource.pk)

    ranges = hours.weekly_ranges(resource)

    assert [r.days_label for r in ranges] == ["Monday–Friday", "Sunday"]
    assert ranges[0].periods == ((time(10), time(22)),)


@pytest.mark.django_db
def test_resource_card_says_when_a_closed_resource_opens(client, time_machine):
    time_machine.move_to(THURSDAY_NOON_ET)
    resource = weekday_resource("America/Los_Angeles")

    html = client.get(resource.get_absolute_url()).content.decode()

    assert "Closed now" in html and "opens today at 10 a.m. PST" in html
    assert "Times are Pacific Time." in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        THURSDAY_NOON_ET,
        datetime(2026, 11, 28, 4, 0, tzinfo=UTC),  # Friday 11 p.m. ET, 8 p.m. PT
        datetime(2026, 11, 29, 15, 0, tzinfo=UTC),  # Sunday morning
        datetime(2026, 11, 30, 2, 30, tzinfo=UTC),  # Sunday night ET, evening PT
    ],
)
def test_open_status_on_pages_agrees_with_the_open_now_filter(seeded, moment):
    # Pages say "Open now" from prefetched hours; the search filter asks SQL.
    # Both read the same rule and must never disagree.
    resources = list(Resource.objects.published().for_listing())
    open_now = set(Resource.objects.published().open_now(moment).values_list("pk", flat=True))

    for resource in resources:
        status = hours.open_status(resource, moment)
        assert (status is not None and status.is_open) == (resource.pk in open_now), resource
