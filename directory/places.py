"""Where people are: US ZIP centroids, states, and distances in miles.

ZIP centroids come from the ``zipcodes`` package (bundled USPS/Census data,
maintained on PyPI, no network access); nothing here calls a geocoding
service, so a visitor's location never leaves the server.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import zipcodes
from django.db.models import Expression, F, FloatField

EARTH_RADIUS_MILES = 3958.8
# One degree of latitude is about 69 miles anywhere; used for bounding boxes.
MILES_PER_DEGREE = 69.0

# USPS codes of the states, DC and the inhabited territories.
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip

_ZIP_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Place:
    """A point people search near, with the area names service areas are matched on."""

    latitude: float
    longitude: float
    state: str = ""
    zip_code: str = ""
    city: str = ""
    county: str = ""


class UnknownPlace(ValueError):
    """The ZIP code is malformed or not a US ZIP code with a known centroid."""


def _zip_place(row: dict) -> Place:
    return Place(
        latitude=float(row["lat"]),
        longitude=float(row["long"]),
        state=row["state"],
        zip_code=row["zip_code"],
        city=row.get("city") or "",
        county=row.get("county") or "",
    )


@functools.lru_cache(maxsize=4096)
def place_for_zip(code: str) -> Place:
    """The centroid and names of a five-digit US ZIP code; raises ``UnknownPlace``."""
    code = (code or "").strip()
    if not _ZIP_RE.match(code):
        raise UnknownPlace("Enter a five-digit US ZIP code.")
    rows = [r for r in zipcodes.matching(code) if r.get("lat") and r.get("long")]
    if not rows:
        raise UnknownPlace(f"{code} is not a US ZIP code we know.")
    return _zip_place(rows[0])


@functools.cache
def _zip_grid() -> dict[tuple[int, int], list[dict]]:
    # ZIP centroids bucketed by whole degree, so the nearest one to a point
    # is found among a few hundred rather than 42,000.
    grid: dict[tuple[int, int], list[dict]] = {}
    for row in zipcodes.list_all():
        if row.get("lat") and row.get("long"):
            key = (math.floor(float(row["lat"])), math.floor(float(row["long"])))
            grid.setdefault(key, []).append(row)
    return grid


def place_for_coordinates(latitude: float, longitude: float) -> Place:
    """A point, with the state (and ZIP, city, county) of the nearest ZIP centroid.

    Points farther than about a hundred miles from any US ZIP keep no
    state, so only national and located resources match them.
    """
    grid = _zip_grid()
    base_lat, base_lon = math.floor(latitude), math.floor(longitude)
    nearest, best = None, float("inf")
    for dlat in (-1, 0, 1):
        for dlon in (-1, 0, 1):
            for row in grid.get((base_lat + dlat, base_lon + dlon), ()):
                d = distance_miles(latitude, longitude, float(row["lat"]), float(row["long"]))
                if d < best:
                    nearest, best = row, d
    if nearest is None:
        return Place(latitude=latitude, longitude=longitude)
    named = _zip_place(nearest)
    return Place(
        latitude=latitude,
        longitude=longitude,
        state=named.state,
        zip_code=named.zip_code,
        city=named.city,
        county=named.county,
    )


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


class _Haversine(Expression):
    """Great-circle miles from a fixed point to the row's coordinates, in SQL.

    One node over the two columns, written out, rather than Django's math
    functions (``Radians``, ``Sin``, ``Power``…): their tree of some twenty
    nodes is copied and resolved on every queryset clone, which cost a "near"
    search several milliseconds before it reached the database. Both engines
    have these functions (Django adds them to SQLite builds without them).
    """

    def __init__(self, latitude: Expression, longitude: Expression, place: Place) -> None:
        super().__init__(output_field=FloatField())
        self.latitude, self.longitude, self.place = latitude, longitude, place

    def get_source_expressions(self) -> list[Expression]:
        return [self.latitude, self.longitude]

    def set_source_expressions(self, exprs: list[Expression]) -> None:
        self.latitude, self.longitude = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lat, lat_params = compiler.compile(self.latitude)
        lon, lon_params = compiler.compile(self.longitude)
        p_lat = math.radians(self.place.latitude)
        sql = (
            f"(%s * ASIN(SQRT(POWER(SIN((RADIANS({lat}) - %s) / 2), 2)"
            f" + COS(RADIANS({lat})) * %s * POWER(SIN((RADIANS({lon}) - %s) / 2), 2))))"
        )
        params = [
            2 * EARTH_RADIUS_MILES, *lat_params, p_lat, *lat_params, math.cos(p_lat),
            *lon_params, math.radians(self.place.longitude),
        ]  # fmt: skip
        return sql, params


def distance_expression(place: Place) -> Expression:
    """Haversine distance in miles from ``place`` to the row's latitude/longitude."""
    return _Haversine(F("latitude"), F("longitude"), place)


def bounding_box(place: Place, radius_miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) around ``place``; an index can serve it."""
    dlat = radius_miles / MILES_PER_DEGREE
    cos_lat = max(0.01, math.cos(math.radians(place.latitude)))
    dlon = min(180.0, radius_miles / (MILES_PER_DEGREE * cos_lat))
    return (
        place.latitude - dlat,
        place.latitude + dlat,
        place.longitude - dlon,
        place.longitude + dlon,
    )
