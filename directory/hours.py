"""Opening hours as people read them: grouped days and "open now, until …".

Works on a resource's prefetched ``schedules`` (``Resource.objects.for_listing()``),
so showing hours on a page of results costs no query per resource. Weekly
rows are in the resource's own time zone; a row whose ``closes_at`` is not
after ``opens_at`` runs past midnight into the next day.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext_lazy as _

from directory.models import Resource, Weekday

# US zones by the names people use; any other zone is shown by its IANA name.
ZONE_NAMES = {
    "America/New_York": _("Eastern Time"),
    "America/Detroit": _("Eastern Time"),
    "America/Chicago": _("Central Time"),
    "America/Denver": _("Mountain Time"),
    "America/Phoenix": _("Arizona Time"),
    "America/Los_Angeles": _("Pacific Time"),
    "America/Anchorage": _("Alaska Time"),
    "Pacific/Honolulu": _("Hawaii Time"),
    "America/Puerto_Rico": _("Atlantic Time"),
}


@dataclass(frozen=True)
class DayRange:
    """Consecutive weekdays that share the same opening periods."""

    first: int
    last: int
    periods: tuple[tuple[time, time], ...]

    @property
    def days_label(self) -> str:
        first, last = Weekday(self.first).label, Weekday(self.last).label
        return str(first) if self.first == self.last else f"{first}–{last}"


@dataclass(frozen=True)
class OpenStatus:
    is_open: bool
    # While open: when it closes; while closed: when it next opens (None if never).
    changes_at: datetime | None
    # "today", "tomorrow" or the weekday of changes_at, in the resource's zone.
    day_label: str = ""


def zone_name(resource: Resource) -> str:
    return str(ZONE_NAMES.get(resource.time_zone, resource.time_zone))


def weekly_ranges(resource: Resource) -> list[DayRange]:
    """The week's hours with consecutive identical days merged (Monday–Friday)."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for row in resource.schedules.all():
        by_day.setdefault(row.weekday, []).append((row.opens_at, row.closes_at))
    ranges: list[DayRange] = []
    for day in sorted(by_day):
        periods = tuple(sorted(by_day[day]))
        previous = ranges[-1] if ranges else None
        if previous and previous.last == day - 1 and previous.periods == periods:
            ranges[-1] = DayRange(previous.first, day, periods)
        else:
            ranges.append(DayRange(day, day, periods))
    return ranges


def _intervals(resource: Resource, around: date, tz: zoneinfo.ZoneInfo):
    """Every opening interval that starts from the day before ``around`` to a week after."""
    rows = list(resource.schedules.all())
    for offset in range(-1, 8):
        day = around + timedelta(days=offset)
        for row in rows:
            if row.weekday != day.weekday():
                continue
            start = datetime.combine(day, row.opens_at, tzinfo=tz)
            end_day = day if row.closes_at > row.opens_at else day + timedelta(days=1)
            yield start, datetime.combine(end_day, row.closes_at, tzinfo=tz)


def open_status(resource: Resource, now: datetime) -> OpenStatus | None:
    """Whether ``resource`` is open at ``now``; None when its hours are not known."""
    if resource.open_24_7:
        return OpenStatus(is_open=True, changes_at=None)
    tz = zoneinfo.ZoneInfo(resource.time_zone)
    local = now.astimezone(tz)
    intervals = sorted(_intervals(resource, local.date(), tz))
    if not intervals:
        return None
    for start, end in intervals:
        if start <= local < end:
            return OpenStatus(is_open=True, changes_at=end, day_label=_day_label(end, local))
    upcoming = [start for start, _end in intervals if start > local]
    if not upcoming:
        return OpenStatus(is_open=False, changes_at=None)
    return OpenStatus(
        is_open=False, changes_at=upcoming[0], day_label=_day_label(upcoming[0], local)
    )


def _day_label(moment: datetime, local_now: datetime) -> str:
    days = (moment.date() - local_now.date()).days
    if days == 0:
        return str(_("today"))
    if days == 1:
        return str(_("tomorrow"))
    return str(Weekday(moment.weekday()).label)
