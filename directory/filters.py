"""The one FilterSet for resources, shared by the API and the website's search page.

Query parameters (multi-valued ones repeat, ``?topic=a&topic=b``, or take a
comma-separated list, ``?topic=a,b``; values of one parameter are ORed,
different parameters are ANDed):

- ``q``: full-text search (``ResourceQuerySet.search``).
- ``kind``, ``topic``, ``audience``: taxonomy term codes.
- ``organization``: organization slugs.
- ``urgency``: crisis, soon, learn. ``cost``: free, sliding_scale, insurance,
  paid, varies. ``channel``: phone, text, chat, tty, videophone, email,
  web_form. ``language``: ISO 639 codes.
- ``open_24_7``: true/false. ``open_now``: true keeps resources open right
  now in their own time zone.
- ``state``: USPS codes; nationwide resources always match.
- ``near``: a five-digit US ZIP code, or ``lat`` and ``lon`` together;
  ``radius`` in miles (default 25, at most 500). Adds ``distance_miles``.
- ``updated_since``: a date or ISO 8601 date-time.
- ``ordering``: relevance (default with ``q``; the best ``search.RANK_WINDOW``
  matches), name (default without), updated (most recent first), distance
  (needs ``near`` or ``lat``/``lon``: every match with a location in the
  radius, nearest first, then the first ``search.RANK_WINDOW`` others by
  name); name and updated list every match.

Invalid values are reported per parameter (``filterset.errors``; the API
turns them into a 400 naming the parameter). Full-text search is applied
after the other filters, so that the ranking of very common words is taken
over the filtered set.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from directory import places, search
from directory.models import (
    ChannelKind,
    Cost,
    Language,
    Location,
    Organization,
    Resource,
    Taxonomy,
    TaxonomyTerm,
    Urgency,
)

MAX_RADIUS_MILES = 500
DEFAULT_RADIUS_MILES = 25


class ListWidget(forms.CheckboxSelectMultiple):
    """Reads ``?x=a&x=b`` and ``?x=a,b`` alike."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])
        if isinstance(values, str):
            values = [values]
        return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


class StrictBooleanField(forms.Field):
    """true/false, 1/0, yes/no, on/off; anything else is an error, not "no filter"."""

    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ResourceFilterForm(forms.Form):
    """Checks the parameters that only make sense together (near, lat/lon, radius, ordering)."""

    place: places.Place | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        zip_code, lat, lon = data.get("near"), data.get("lat"), data.get("lon")
        place = None
        if (lat is None) != (lon is None) and not self._has_error("lat", "lon"):
            missing = "lon" if lon is None else "lat"
            self.add_error(missing, _("Give both lat and lon."))
        elif zip_code and lat is not None:
            self.add_error("near", _("Give either a ZIP code or lat and lon, not both."))
        elif zip_code:
            try:
                place = places.place_for_zip(zip_code)
            except places.UnknownPlace as error:
                self.add_error("near", forms.ValidationError(str(error), code="unknown_zip"))
        elif lat is not None and lon is not None:
            place = places.place_for_coordinates(float(lat), float(lon))
        self.place = place
        if (
            data.get("ordering") == "distance"
            and place is None
            and not self._has_error("near", "lat", "lon")
        ):
            self.add_error("ordering", _("Ordering by distance needs near, or lat and lon."))
        if (
            data.get("radius") is not None
            and place is None
            and not self._has_error("near", "lat", "lon")
        ):
            self.add_error("radius", _("A radius needs near, or lat and lon."))
        return data

    def _has_error(self, *names: str) -> bool:
        return any(name in self.errors for name in names)


def _chosen(value: Any) -> bool:
    """Whether a multiple-choice filter got values, without a query when it got none."""
    if isinstance(value, QuerySet):
        # Validation already ran the query for chosen values; "none" has no query.
        return not value.query.is_empty() and bool(value)
    return bool(value)


# Choices as callables: django-filter deep-copies every filter for every
# request, and copying long choice lists was most of its cost.
def _cost_choices() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Cost.choices if value]


def _state_choices() -> list[tuple[str, str]]:
    return sorted(places.US_STATES.items())


def _urgency_choices() -> list[tuple[str, str]]:
    return Urgency.choices


def _channel_choices() -> list[tuple[str, str]]:
    return ChannelKind.choices


def _terms(taxonomy: str) -> Any:
    # A callable (django-filter calls it with the request): copying a
    # QuerySet deep-copies its whole Query, for every filter, every request.
    def terms(request: Any) -> QuerySet:
        return TaxonomyTerm.objects.filter(taxonomy__code=taxonomy)

    return terms


def _languages(request: Any) -> QuerySet:
    return Language.objects.all()


def _organizations(request: Any) -> QuerySet:
    return Organization.objects.all()


class ResourceFilterSet(django_filters.FilterSet):
    """Filters, search and ordering for resources; see the module docstring."""

    q = django_filters.CharFilter(method="filter_nothing", label=_("Search"), max_length=10_000)
    kind = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code",
        method="filter_tagged",
        queryset=_terms(Taxonomy.KIND),
        widget=ListWidget,
        label=_("Kind"),
    )
    topic = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code",
        queryset=_terms(Taxonomy.TOPIC),
        method="filter_tagged",
        widget=ListWidget,
        label=_("Topic"),
    )
    audience = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code",
        queryset=_terms(Taxonomy.AUDIENCE),
        method="filter_tagged",
        widget=ListWidget,
        label=_("Audience"),
    )
    urgency = django_filters.MultipleChoiceFilter(
        choices=_urgency_choices, method="filter_tagged", widget=ListWidget, label=_("Urgency")
    )
    channel = django_filters.MultipleChoiceFilter(
        choices=_channel_choices,
        method="filter_tagged",
        widget=ListWidget,
        label=_("Ways to reach"),
    )
    cost = django_filters.MultipleChoiceFilter(
        choices=_cost_choices,
        method="filter_tagged",
        widget=ListWidget,
        label=_("Cost"),
    )
    organization = django_filters.ModelMultipleChoiceFilter(
        to_field_name="slug",
        queryset=_organizations,
        method="filter_organizations",
        widget=ListWidget,
        label=_("Organization"),
    )
    language = django_filters.ModelMultipleChoiceFilter(
        to_field_name="code",
        queryset=_languages,
        method="filter_tagged",
        widget=ListWidget,
        label=_("Language"),
    )
    open_24_7 = StrictBooleanFilter(label=_("Open 24/7"))
    open_now = StrictBooleanFilter(method="filter_open_now", label=_("Open now"))
    state = django_filters.MultipleChoiceFilter(
        choices=_state_choices,
        method="filter_states",
        widget=ListWidget,
        label=_("State"),
    )
    near = django_filters.CharFilter(
        method="filter_nothing", label=_("Near ZIP code"), max_length=10
    )
    lat = django_filters.NumberFilter(
        method="filter_nothing",
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
    )
    lon = django_filters.NumberFilter(
        method="filter_nothing",
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
    )
    radius = django_filters.NumberFilter(
        method="filter_nothing",
        label=_("Radius in miles"),
        min_value=0.1,
        max_value=MAX_RADIUS_MILES,
    )
    updated_since = django_filters.DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Updated since")
    )
    ordering = django_filters.ChoiceFilter(
        choices=[
            ("relevance", _("Best match")),
            ("name", _("Name")),
            ("updated", _("Recently updated")),
            ("distance", _("Distance")),
        ],
        method="filter_nothing",
        label=_("Order"),
        empty_label=None,
    )

    class Meta:
        model = Resource
        form = ResourceFilterForm
        fields: list[str] = []

    _form_class: type[forms.Form] | None = None

    def get_form_class(self) -> type[forms.Form]:
        # django-filter builds a new form class (a new field per filter, and
        # a metaclass pass) for every request, which was most of the cost
        # of validating parameters. The fields depend on nothing of the
        # request (choices are callables, querysets are cloned when a form
        # copies its fields), so one class per FilterSet class serves all.
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_nothing(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # Search, place and ordering act together in filter_queryset.
        return queryset

    def filter_tagged(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # Kind, topic, audience, urgency, cost, channel and language are tags
        # in the search index (``ResourceQuerySet.tagged``), named like these
        # filters: the index intersects them with each other and with the
        # words of a search.
        if not _chosen(value):
            return queryset
        return queryset.tagged(name, [getattr(v, "code", v) for v in value])

    def filter_organizations(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(organization__in=value) if _chosen(value) else queryset

    def filter_open_now(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.open_now() if value else queryset

    def filter_states(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.serving_states(value) if value else queryset

    def _radius(self) -> float:
        radius = self.form.cleaned_data.get("radius")
        return float(radius) if radius is not None else DEFAULT_RADIUS_MILES

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        place = self.form.place
        if place is not None:
            queryset = queryset.near(place, self._radius())
        q = data.get("q") or ""
        ordering = data.get("ordering") or ("relevance" if q.strip() else "name")
        queryset = queryset.search(q)
        if ordering == "relevance" and q.strip():
            return queryset  # search() orders by rank, then primary key
        # Other orders list every match, not only the ranked window.
        queryset = search.matches_of(queryset)
        if ordering == "updated":
            return queryset.order_by("-updated_at", "pk")
        if ordering == "distance":
            nearby = Location.objects.within(place, self._radius()).values("resource_id")
            return search.order_by_distance(queryset, nearby)
        return search.order_by_name(queryset)
