"""The directory's data model, aligned with Open Referral HSDS 3.1.

Our names read better for this directory; the HSDS 3.1 table or field each
one maps to is given in the class docstrings, so an HSDS export or import is
a mechanical mapping. Every public record has a UUID primary key, which is
its HSDS ``id``.

History (``history = HistoricalRecords()``) is django-simple-history rather
than django-pghistory: pghistory records changes with PostgreSQL triggers
(django-pgtrigger), which SQLite, our embedded default, does not run, while
simple-history records them in the ORM's save and delete signals and so works
identically on both engines. The price is that queryset ``update()`` and
``bulk_create()`` are not recorded, so curation writes go through
``directory.services``, which saves record by record.
"""

from __future__ import annotations

import contextlib
import functools
import json
import uuid
import weakref
import zoneinfo
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory import phones, places


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone name such as America/New_York."),
            params={"value": value},
            code="invalid_time_zone",
        )


class SeededModel(models.Model):
    """A record that the seed file may create and later update.

    ``seed_values`` holds the values the seed loader last wrote. A field whose
    current value differs from it was changed by a curator since, and the
    loader leaves it alone; see ``directory.seed``.
    """

    seed_values = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        abstract = True

    def curator_edited_fields(self) -> list[str]:
        """Names of seeded fields a curator has changed since the last seed load."""
        from directory.seed import current_seed_values

        current = current_seed_values(self)
        return sorted(
            name
            for name, seeded in self.seed_values.items()
            if name in current and current[name] != seeded
        )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Taxonomy(SeededModel, TimeStampedModel):
    """A vocabulary of terms (HSDS ``taxonomy``): kinds, topics, audiences.

    ``code`` is what the code refers to; curators may add taxonomies, but the
    three below are the ones resources use.
    """

    KIND = "kind"
    TOPIC = "topic"
    AUDIENCE = "audience"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    uri = models.URLField(blank=True, help_text=_("HSDS: taxonomy.uri"))
    version = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(SeededModel, TimeStampedModel):
    """A term in a taxonomy (HSDS ``taxonomy_term``): ``code``, ``name``, ``parent_id``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="terms")
    code = models.SlugField(
        max_length=80, help_text=_("Stable code used in URLs and the API; unique in its taxonomy.")
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["taxonomy__code", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "code"], name="taxonomy_term_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.taxonomy_id != self.taxonomy_id:
            raise ValidationError({"parent": _("The parent must be in the same taxonomy.")})
        if self.parent_id and self.parent_id == self.id:
            raise ValidationError({"parent": _("A term cannot be its own parent.")})


class Language(models.Model):
    """A language a resource serves in (HSDS ``language``), by ISO 639-1 code."""

    code = models.CharField(
        max_length=8,
        primary_key=True,
        help_text=_("ISO 639 code, e.g. en, es, zh, ase (American Sign Language)."),
    )
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organization(SeededModel, TimeStampedModel):
    """An organization that provides resources (HSDS ``organization``).

    ``website`` is HSDS ``website``; ``alternate_name`` is ``alternate_name``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    alternate_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    website = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True, help_text=_("A public contact address."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="organization_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:organization", kwargs={"slug": self.slug})


class Urgency(models.TextChoices):
    CRISIS = "crisis", _("Crisis now")
    SOON = "soon", _("Support soon")
    LEARN = "learn", _("Information and learning")


class Cost(models.TextChoices):
    FREE = "free", _("Free")
    SLIDING_SCALE = "sliding_scale", _("Sliding scale")
    INSURANCE = "insurance", _("Insurance accepted")
    PAID = "paid", _("Paid")
    VARIES = "varies", _("Varies")
    UNKNOWN = "", _("Not stated")


class ReviewState(models.TextChoices):
    """Where a draft stands in review (drafts only; live listings ignore it)."""

    EDITING = "editing", _("Being edited")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned with comments")


class VerificationMethod(models.TextChoices):
    CALLED = "called", _("Called the service")
    WEBSITE = "website", _("Checked the website")
    ORGANIZATION = "organization", _("Organization confirmed")


def verification_period(urgency: str) -> int:
    """Days after which a listing of this urgency is due for re-verification."""
    if urgency == Urgency.CRISIS:
        return settings.VERIFICATION_CRISIS_DAYS
    return settings.VERIFICATION_STALE_DAYS


class _JSONArrayAgg(models.Aggregate):
    """Rows gathered into a JSON array: ``JSON_GROUP_ARRAY`` on SQLite, ``JSONB_AGG`` on
    PostgreSQL (Django 5.2 has no portable one)."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def _json_rows(queryset: models.QuerySet, key: str, **fields: Any) -> Subquery:
    """Each resource's rows of ``queryset`` (linked by ``key``) as a JSON array of
    objects with ``fields``; null when it has none."""
    return Subquery(
        queryset.filter(**{key: OuterRef("pk")})
        .order_by()
        .values(key)
        .annotate(rows=_JSONArrayAgg(JSONObject(**fields)))
        .values("rows"),
        output_field=models.JSONField(),
    )


def _in_model_order(rows: list[dict[str, Any]] | None, model: type[models.Model]) -> list:
    """``rows`` sorted as ``model``'s ``Meta.ordering`` sorts them (by the fields
    they carry: a relation's terms all share one taxonomy)."""
    fields = [field for field in model._meta.ordering if "__" not in field]
    return sorted(rows or (), key=lambda row: tuple(row[field] for field in fields))


def _uuid_text(value: str) -> str:
    # JSON carries keys as stored: 32 hex digits on SQLite, hyphenated on PostgreSQL.
    return value if len(value) == 36 else str(uuid.UUID(value))


_RELATED_STATEMENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _related_rows_statement(connection: Any, count: int) -> tuple[str, tuple]:
    """The SQL of ``related_rows()`` for ``count`` keys, and its parameters but the keys.

    Compiling this query takes several times as long as running it, so each
    database connection compiles it once per number of keys (a page size).
    """
    statements = _RELATED_STATEMENTS.setdefault(connection, {})
    if count not in statements:
        pk = Resource._meta.pk
        stand_ins = [uuid.UUID(int=n + 1) for n in range(count)]
        annotations = _related_rows_annotations()
        query = (
            Resource._base_manager.filter(pk__in=stand_ins)
            .order_by()
            .annotate(**annotations)
            .values_list("pk", *annotations)
            .query
        )
        sql, params = query.get_compiler(connection=connection).as_sql()
        # The keys are the statement's last parameters (its WHERE comes last).
        if list(params[-count:]) != [pk.get_db_prep_value(k, connection) for k in stand_ins]:
            raise RuntimeError("related_rows: the keys are not the statement's last parameters")
        statements[count] = (sql, tuple(params[:-count]))
    return statements[count]


@contextlib.contextmanager
def prepared_cursor(connection: Any) -> Iterator[Any]:
    """A cursor for a statement run with the same SQL many times on a connection.

    On PostgreSQL it binds parameters on the server, so psycopg prepares the
    statement (``prepare_threshold``, set in ``config/settings.py``) and the
    server plans it once per connection instead of on every run; elsewhere,
    and when prepared statements are off, it is an ordinary cursor. Wrapped
    like Django's own cursors, so database errors and execute wrappers
    behave the same. While queries are logged (``DEBUG``, tests counting
    queries), it is an ordinary cursor too: Django's query log cannot show
    a statement bound on the server.
    """
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
        or connection.queries_logged
    ):
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    with connection.make_cursor(ServerBindingCursor(connection.connection)) as cursor:
        yield cursor


def _json_datetime(value: str) -> datetime:
    # SQLite's JSON has the stored UTC time without an offset; PostgreSQL's has one.
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@functools.cache
def _related_rows_annotations() -> dict[str, Any]:
    # Every column is JSON, so the rows need no converters (related_rows()).
    term = {"id": "taxonomyterm__id", "code": "taxonomyterm__code",
            "name": "taxonomyterm__name", "position": "taxonomyterm__position"}  # fmt: skip
    check = LinkCheck.objects.filter(url=OuterRef("url"))
    return {
        "organization_row": JSONObject(
            id="organization__id", slug="organization__slug", name="organization__name"
        ),
        "kind_row": JSONObject(id="kind__id", code="kind__code", name="kind__name"),
        "link_row": Subquery(
            check.values(row=JSONObject(result="result", checked_at="checked_at"))[:1],
            output_field=models.JSONField(),
        ),
        "topic_rows": _json_rows(Resource.topics.through.objects, "resource", **term),
        "audience_rows": _json_rows(Resource.audiences.through.objects, "resource", **term),
        "language_rows": _json_rows(
            Resource.languages.through.objects, "resource",
            code="language__code", name="language__name",
        ),
        "channel_rows": _json_rows(
            ContactChannel.objects, "resource",
            id="id", kind="kind", value="value", vanity="vanity",
            instructions="instructions", keyword="keyword", language="language",
            position="position",
        ),
        "schedule_rows": _json_rows(
            Schedule.objects, "resource",
            weekday="weekday", opens_at="opens_at", closes_at="closes_at",
        ),
        "area_rows": _json_rows(
            ServiceArea.objects, "resource",
            scope="scope", state="state", name="name", postal_code="postal_code",
        ),
        "location_rows": _json_rows(
            Location.objects, "resource",
            **{field: field for field in Location.PUBLIC_FIELDS},
        ),
    }  # fmt: skip


class ResourceQuerySet(models.QuerySet):
    def published(self) -> ResourceQuerySet:
        """Resources the public may see."""
        return self.filter(status=PublicationStatus.PUBLISHED)

    def live(self) -> ResourceQuerySet:
        """Listings themselves, without the draft copies that hold proposed changes."""
        return self.filter(draft_of__isnull=True)

    def awaiting_review(self) -> ResourceQuerySet:
        """New drafts and draft changes a curator has submitted for an editor's review."""
        return self.filter(status=PublicationStatus.DRAFT, review_state=ReviewState.SUBMITTED)

    def needing_verification(self) -> ResourceQuerySet:
        """Flagged for verification, never verified, or verified too long ago.

        "Too long" is ``VERIFICATION_CRISIS_DAYS`` for crisis lines and
        ``VERIFICATION_STALE_DAYS`` for everything else.
        """
        today = timezone.localdate()
        crisis_cutoff = today - timedelta(days=settings.VERIFICATION_CRISIS_DAYS)
        cutoff = today - timedelta(days=settings.VERIFICATION_STALE_DAYS)
        return self.filter(
            Q(needs_verification=True)
            | Q(last_verified_on__isnull=True)
            | Q(urgency=Urgency.CRISIS, last_verified_on__lt=crisis_cutoff)
            | Q(last_verified_on__lt=cutoff)
        )

    def with_link_problems(self) -> ResourceQuerySet:
        """Resources whose website, chat or web-form link, or organization website,
        was found broken or permanently moved by the last link check."""
        bad = LinkCheck.objects.problems().values("url")
        return self.filter(
            Q(url__in=bad)
            | Q(organization__website__in=bad)
            | Q(channels__kind__in=ContactChannel.URL_KINDS, channels__value__in=bad)
        ).distinct()

    def verification_queue(self) -> ResourceQuerySet:
        """Published listings that need a curator to check them, most urgent first.

        A listing is due when ``needing_verification()`` says so, when a link
        check found one of its links broken or moved, or when the public
        reported a problem that is still open. Order: flagged listings first,
        then crisis lines before support before information, then the most
        overdue (never verified first), then the most viewed.
        """
        open_reports = Feedback.objects.filter(
            resource=models.OuterRef("pk"), status=Feedback.Status.OPEN
        )
        due = (
            Q(pk__in=self.model.objects.needing_verification().values("pk"))
            | Q(pk__in=self.model.objects.with_link_problems().values("pk"))
            | Q(models.Exists(open_reports))
        )
        return (
            self.published()
            .live()
            .filter(due)
            .annotate(
                open_report_count=models.Count(
                    "feedback", filter=Q(feedback__status=Feedback.Status.OPEN), distinct=True
                ),
                urgency_rank=models.Case(
                    models.When(urgency=Urgency.CRISIS, then=0),
                    models.When(urgency=Urgency.SOON, then=1),
                    default=2,
                ),
            )
            .order_by(
                "-needs_verification",
                "-open_report_count",
                "urgency_rank",
                models.F("last_verified_on").asc(nulls_first=True),
                "-view_count",
                "name",
            )
        )

    def with_link_status(self) -> ResourceQuerySet:
        """Annotate the last link check of each resource's own website
        (``link_status``, ``link_checked_at``; None when unchecked) in the same
        query: checks are stored per URL, so there is nothing to prefetch."""
        check = LinkCheck.objects.filter(url=OuterRef("url"))
        return self.annotate(
            link_status=Subquery(check.values("result")[:1]),
            link_checked_at=Subquery(check.values("checked_at")[:1]),
        )

    def related_rows(self, keys: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        """Everything the public representation of the resources with these keys
        shows beyond their own columns, in one query and as plain data.

        Keyed by resource id: ``organization`` and ``kind`` (dicts),
        ``link_status`` and ``link_checked_at`` (as ``with_link_status()``), and
        lists of dicts for ``topics``, ``audiences``, ``languages``, ``channels``,
        ``schedules``, ``service_areas`` and ``locations``, each in its model's
        order. It is what ``for_detail()`` loads as model instances, at a
        fraction of the cost: the API renders its pages from it
        (``directory.serializers``). Keys not found are absent.
        """
        keys = list(dict.fromkeys(keys))
        if not keys:
            return {}
        connection = connections[self.db]
        sql, params = _related_rows_statement(connection, len(keys))
        pk = Resource._meta.pk
        params = [*params, *(pk.get_db_prep_value(key, connection) for key in keys)]
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        found = {}
        for key, *columns in rows:
            decoded = (json.loads(column) if column is not None else None for column in columns)
            (organization, kind, link, topics, audiences, languages, channels, schedules,
             areas, locations) = decoded  # fmt: skip
            for row in (organization, kind, *(channels or ()), *(locations or ())):
                row["id"] = _uuid_text(row["id"])
            for term_row in (*(topics or ()), *(audiences or ())):
                term_row["id"] = _uuid_text(term_row["id"])
            for schedule in schedules or ():
                # Wall-clock "HH:MM", from "HH:MM:SS" (as both engines write times).
                schedule["opens_at"] = schedule["opens_at"][:5]
                schedule["closes_at"] = schedule["closes_at"][:5]
            # Each list in its model's Meta.ordering (the order for_detail() gives).
            found[pk.to_python(key)] = {
                "organization": organization,
                "kind": kind,
                "link_status": link["result"] if link else None,
                "link_checked_at": _json_datetime(link["checked_at"]) if link else None,
                "topics": _in_model_order(topics, TaxonomyTerm),
                "audiences": _in_model_order(audiences, TaxonomyTerm),
                "languages": _in_model_order(languages, Language),
                "channels": _in_model_order(channels, ContactChannel),
                "schedules": _in_model_order(schedules, Schedule),
                "service_areas": _in_model_order(areas, ServiceArea),
                "locations": _in_model_order(locations, Location),
            }
        return found

    def for_listing(self) -> ResourceQuerySet:
        """What a list of resources shows (``directory/_card.html``: organization,
        kind, languages, ways to reach it, opening hours), in four queries."""
        return self.select_related("organization", "kind").prefetch_related(
            "languages", "channels", "schedules"
        )

    def for_detail(self) -> ResourceQuerySet:
        """What a resource's own page shows: its card, and its topics, audiences,
        service areas and locations (also in its JSON-LD)."""
        return self.for_listing().prefetch_related(
            "topics", "audiences", "service_areas", "locations"
        )

    def most_urgent_first(self) -> ResourceQuerySet:
        """Crisis lines first, then support, then learning; by name within each."""
        rank = models.Case(
            *(models.When(urgency=value, then=i) for i, value in enumerate(Urgency.values)),
            default=len(Urgency.values),
        )
        return self.order_by(rank, "name", "id")

    def related_to(self, resource: Resource) -> ResourceQuerySet:
        """Other resources sharing topics with ``resource``, most shared topics first."""
        return (
            # Ids from the (usually prefetched) topics keep this to one query.
            self.filter(topics__in=[topic.pk for topic in resource.topics.all()])
            .exclude(pk=resource.pk)
            .annotate(shared_topics=models.Count("topics"))
            .order_by("-shared_topics", "name", "id")
        )

    def with_guide_mentions(self) -> ResourceQuerySet:
        """Prefetch where published guides mention each resource (three queries).

        Feeds the "mentioned in the guide" links (``guide/_mentioned_in.html``).
        """
        # The guide app builds on the directory, so its models load lazily here.
        from guide.models import Reference, Section, Tip

        published = PublicationStatus.PUBLISHED
        return self.prefetch_related(
            models.Prefetch(
                "guide_sections", queryset=Section.objects.published().select_related("guide")
            ),
            models.Prefetch(
                "guide_tips",
                queryset=Tip.objects.filter(
                    section__status=published, section__guide__status=published
                ).select_related("section__guide"),
            ),
            models.Prefetch(
                "guide_references",
                queryset=Reference.objects.filter(guide__status=published).select_related("guide"),
            ),
        )

    def search(self, q: str | None) -> ResourceQuerySet:
        """Resources matching what someone typed, best first, as ``search_rank``.

        The one public search entry point; ``directory.search`` explains the
        stages (synonyms, typo correction, per-engine full-text index,
        ranking). Blank ``q`` changes nothing. Apply it after other filters:
        the ranking window of very common words is taken over this queryset.
        """
        from directory.search import search_queryset

        return search_queryset(self, q)

    def open_now(self, at: datetime | None = None) -> ResourceQuerySet:
        """Open 24/7, or open at ``at`` (default now) by weekly hours in their own time zone.

        Each time zone's local weekday and time at ``at`` is worked out here,
        zones that share them are grouped, and one subquery over the weekly
        hours asks which resources have an open slot: same-day slots, and
        slots past midnight (``closes_at`` before ``opens_at``) from the day
        before.
        """
        at = at or timezone.now()
        local_times: dict[tuple[int, time], list[str]] = {}
        for zone in sorted(zoneinfo.available_timezones()):
            local = at.astimezone(zoneinfo.ZoneInfo(zone))
            local_times.setdefault(
                (local.weekday(), local.time().replace(tzinfo=None)), []
            ).append(zone)
        slot = Q()
        for (weekday, now), zones in local_times.items():
            starts_today = Q(weekday=weekday, opens_at__lte=now) & (
                Q(closes_at__gt=now) | Q(closes_at__lt=F("opens_at"))
            )
            from_yesterday = Q(
                weekday=(weekday - 1) % 7, closes_at__lt=F("opens_at"), closes_at__gt=now
            )
            slot |= Q(resource__time_zone__in=zones) & (starts_today | from_yesterday)
        open_slots = Schedule.objects.filter(slot).values("resource_id")
        return self.filter(Q(open_24_7=True) | Q(pk__in=open_slots))

    def tagged(self, group: str, values: Iterable[Any]) -> ResourceQuerySet:
        """Resources with any of ``values`` in a filter ``group`` (``search.TAG_PREFIXES``).

        Answered by the search index, which stores each resource's kind,
        topics, audiences, urgency, cost, channels, languages and areas as
        tags; conditions of several groups are intersected in the index.
        """
        from directory import search

        return search.tagged(self, [search.tag(group, value) for value in values])

    def serving_states(self, states: list[str]) -> ResourceQuerySet:
        """Resources available in any of ``states`` (USPS codes).

        Nationwide resources, and those with a service area or a location there.
        """
        from directory import search

        tags = [search.tag("national", 1)] + [search.tag("state", s.upper()) for s in states]
        return search.tagged(self, tags)

    def near(self, place: places.Place, radius_miles: float) -> ResourceQuerySet:
        """Resources that serve ``place``, with ``distance_miles`` to their nearest location.

        Matches national resources, state-wide ones in the place's state,
        county, city and ZIP areas that name the place, and resources with a
        location within ``radius_miles``. ``distance_miles`` is None for
        resources with no location on the map.

        The index finds the candidates (tags for the areas and for the grid
        cells around the place); only those in a cell are then measured.
        """
        from directory import search

        # Areas that name the place are tags of their own, so the index finds
        # them exactly; locations are found by grid cell, then measured.
        serving = [search.tag("national", 1)]
        if place.state:
            serving.append(search.tag("state_area", place.state))
            if place.county:
                key = search.area_name_key(place.county)
                serving.append(search.tag("county", f"{place.state}:{key}"))
            if place.city:
                key = search.area_name_key(place.city)
                serving.append(search.tag("city", f"{place.state}:{key}"))
        if place.zip_code:
            serving.append(search.tag("zip", place.zip_code))
        located = Location.objects.within(place, radius_miles)
        nearby_ids = located.values("resource_id")
        cells = search.cell_tags(*places.bounding_box(place, radius_miles))
        candidates = search.tagged(self, serving + cells)
        # The distance is computed from the index row's key, so that ordering
        # by it can happen before the resources are joined (see search).
        candidates = candidates.annotate(_place_key=search.resource_key(candidates))
        # Only resources with a location in the radius have a distance; the
        # rest (national, state-wide…) have None and sort after them.
        nearest = (
            located.filter(resource=OuterRef("_place_key"))
            .order_by("distance")
            .values("distance")[:1]
        )
        serves = Q(search.has_tags(serving, using=self.db)) | Q(_place_key__in=nearby_ids)
        return candidates.filter(serves).annotate(
            distance_miles=Subquery(nearest, output_field=models.FloatField())
        )


class Resource(SeededModel, TimeStampedModel):
    """A help resource (HSDS ``service``).

    Mapping to HSDS 3.1 ``service``: ``summary`` → ``description`` is ours;
    HSDS has ``description`` only, so an export joins them; ``url`` → ``url``;
    ``status`` (draft/published/archived) → ``status`` (inactive/active/
    defunct); ``eligibility`` → ``eligibility_description``; ``fees`` →
    ``fees_description``; ``application_process`` → ``application_process``;
    ``minimum_age``/``maximum_age`` → the same; ``last_verified_on`` →
    ``assured_date``; ``last_verified_by`` → ``assurer_email`` (never
    exported: curators are private); ``updated_at`` → ``last_modified``;
    ``kind``, ``topics`` and ``audiences`` → ``attributes`` linking
    ``taxonomy_term``s; ``languages`` → ``languages``; ``channels`` →
    ``phones`` (and ``url``/``email`` for chat and web-form channels);
    ``schedules`` → ``schedules``; ``service_areas`` → ``service_areas``;
    ``locations`` → ``service_at_locations``/``location``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="resources"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    alternate_name = models.CharField(max_length=200, blank=True)
    summary = models.CharField(
        max_length=300, help_text=_("One or two plain sentences shown in search results.")
    )
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True, help_text=_("A public contact address."))
    status = models.CharField(
        max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )

    kind = models.ForeignKey(
        TaxonomyTerm,
        on_delete=models.PROTECT,
        related_name="resources_of_kind",
        limit_choices_to={"taxonomy__code": Taxonomy.KIND},
    )
    topics = models.ManyToManyField(
        TaxonomyTerm,
        blank=True,
        related_name="resources_on_topic",
        limit_choices_to={"taxonomy__code": Taxonomy.TOPIC},
    )
    audiences = models.ManyToManyField(
        TaxonomyTerm,
        blank=True,
        related_name="resources_for_audience",
        limit_choices_to={"taxonomy__code": Taxonomy.AUDIENCE},
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.SOON)
    cost = models.CharField(max_length=20, choices=Cost.choices, blank=True)
    languages = models.ManyToManyField(Language, blank=True, related_name="resources")

    eligibility = models.TextField(blank=True, help_text=_("HSDS: eligibility_description"))
    fees = models.TextField(blank=True, help_text=_("HSDS: fees_description"))
    application_process = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(130)]
    )
    maximum_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(130)]
    )

    # Hours (HSDS schedule): a 24/7 flag short-cuts the weekly rows.
    open_24_7 = models.BooleanField(_("open 24/7"), default=False)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    hours_notes = models.CharField(
        max_length=300, blank=True, help_text=_("e.g. “Closed on some holidays.”")
    )

    # Verification (HSDS assured_date / assurer_email).
    last_verified_on = models.DateField(null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verification_source = models.CharField(
        max_length=500, blank=True, help_text=_("Where the facts were checked (URL or note).")
    )
    last_verified_how = models.CharField(
        _("verified how"), max_length=20, choices=VerificationMethod.choices, blank=True
    )
    needs_verification = models.BooleanField(default=False, db_index=True)
    internal_notes = models.TextField(blank=True, help_text=_("For curators; never published."))
    is_synthetic = models.BooleanField(
        default=False, editable=False, help_text=_("Generated for benchmarks; never real.")
    )

    # Review and publish (directory.services): a change to a published
    # listing is edited on a draft copy that points at it, so the live
    # listing stays as it is until an editor publishes the change.
    draft_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="draft_changes",
        help_text=_("The live listing this draft proposes to change."),
    )
    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.EDITING
    )
    review_comment = models.TextField(
        blank=True, help_text=_("The editor's comment when a draft is returned.")
    )
    # Page views of the public page, to put popular listings first in the
    # verification queue. A bare counter: no visitor data is kept.
    view_count = models.PositiveIntegerField(default=0, editable=False)

    objects = ResourceQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=["topics", "audiences", "languages"],
        excluded_fields=["view_count", "updated_at"],
    )

    class Meta:
        ordering = ["name", "id"]
        permissions = [
            ("publish_resource", "Can review and publish resources"),
            ("verify_resource", "Can record that a resource was verified"),
            ("run_checks", "Can run link and contact checks"),
            ("import_directory", "Can import HSDS or CSV files"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values), name="resource_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="resource_urgency_valid"
            ),
            models.CheckConstraint(condition=Q(cost__in=Cost.values), name="resource_cost_valid"),
            models.CheckConstraint(
                condition=Q(minimum_age__isnull=True)
                | Q(maximum_age__isnull=True)
                | Q(minimum_age__lte=models.F("maximum_age")),
                name="resource_age_range_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "urgency"], name="resource_status_urgency_idx"),
            # Lists ordered by name (the API's and HSDS's default) read the
            # first page in index order instead of sorting every listing.
            models.Index(fields=["name", "id"], name="resource_name_id_idx"),
            models.Index(fields=["status", "kind"], name="resource_status_kind_idx"),
            models.Index(fields=["status", "cost"], name="resource_status_cost_idx"),
            models.Index(fields=["status", "open_24_7"], name="resource_status_24_7_idx"),
            models.Index(fields=["last_verified_on"], name="resource_verified_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:resource", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if (
            self.minimum_age is not None
            and self.maximum_age is not None
            and self.minimum_age > self.maximum_age
        ):
            raise ValidationError(
                {"maximum_age": _("The maximum age must not be below the minimum age.")}
            )
        if self.kind_id and self.kind.taxonomy.code != Taxonomy.KIND:
            raise ValidationError({"kind": _("Choose a term from the “kind” taxonomy.")})

    @property
    def is_stale(self) -> bool:
        if self.last_verified_on is None:
            return True
        age = timezone.localdate() - self.last_verified_on
        return age.days > verification_period(self.urgency)

    @property
    def verification_due_on(self) -> date | None:
        if self.last_verified_on is None:
            return None
        return self.last_verified_on + timedelta(days=verification_period(self.urgency))

    def link_urls(self) -> list[str]:
        """The web addresses a link check covers for this resource."""
        urls = [self.url, self.organization.website]
        urls += [c.value for c in self.channels.all() if c.kind in ContactChannel.URL_KINDS]
        return list(dict.fromkeys(u for u in urls if u))

    def link_checks(self) -> list[LinkCheck]:
        """The latest check of each of this resource's links (unchecked ones omitted)."""
        return list(LinkCheck.objects.filter(url__in=self.link_urls()).order_by("url"))


class DueForVerification(Resource):
    """The verification queue in the admin: published listings that are due."""

    class Meta:
        proxy = True
        verbose_name = _("listing due for verification")
        verbose_name_plural = _("verification queue")


class ChannelKind(models.TextChoices):
    PHONE = "phone", _("Call")
    TEXT = "text", _("Text")
    CHAT = "chat", _("Chat")
    TTY = "tty", _("TTY")
    VIDEOPHONE = "videophone", _("Videophone")
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("Web form")


class ContactChannel(models.Model):
    """One way to reach a resource (HSDS ``phone``, extended to text, chat and more).

    Phone, text, TTY and videophone values are stored as digits
    (``directory.phones``) and shown formatted; chat and web-form values are
    URLs; email values are public addresses of the service.
    """

    Kind = ChannelKind

    NUMBER_KINDS = frozenset({Kind.PHONE, Kind.TEXT, Kind.TTY, Kind.VIDEOPHONE})
    URL_KINDS = frozenset({Kind.CHAT, Kind.WEB_FORM})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    value = models.CharField(
        max_length=500, help_text=_("A number (any common format), a URL or an email address.")
    )
    vanity = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("How the number is advertised, e.g. 1-800-950-NAMI."),
    )
    instructions = models.CharField(
        max_length=300, blank=True, help_text=_("e.g. “Text HOME”, “Veterans press 1”.")
    )
    keyword = models.CharField(
        max_length=40, blank=True, help_text=_("A word to pre-fill in a text message, e.g. HOME.")
    )
    language = models.ForeignKey(
        Language, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needs_verification = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ChannelKind.values), name="channel_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind", "resource"], name="channel_kind_resource_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.display_value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Numbers are always stored normalized and checked for form (NANP,
        # N11, short codes, vanity spelling), whatever path saved them: an
        # import or a script that skips full_clean() cannot store a bad one.
        if self.kind in self.NUMBER_KINDS:
            self._normalize_number()
        super().save(*args, **kwargs)

    def _normalize_number(self) -> None:
        self.value = phones.normalize_number(self.value, text_only=self.kind == self.Kind.TEXT)
        phones.check_vanity(self.vanity, self.value)

    def clean(self) -> None:
        from django.core.validators import EmailValidator, URLValidator

        if self.vanity and self.kind not in self.NUMBER_KINDS:
            raise ValidationError({"vanity": _("Only numbers have an advertised spelling.")})
        if self.keyword and self.kind != self.Kind.TEXT:
            raise ValidationError({"keyword": _("Only text channels take a keyword.")})
        try:
            if self.kind in self.NUMBER_KINDS:
                self.value = phones.normalize_number(
                    self.value, text_only=self.kind == self.Kind.TEXT
                )
            elif self.kind in self.URL_KINDS:
                URLValidator(schemes=["https", "http"])(self.value)
            elif self.kind == self.Kind.EMAIL:
                EmailValidator()(self.value)
        except ValidationError as error:
            raise ValidationError({"value": error.messages}) from error
        if self.kind in self.NUMBER_KINDS:
            try:
                phones.check_vanity(self.vanity, self.value)
            except ValidationError as error:
                raise ValidationError({"vanity": error.messages}) from error

    @property
    def display_value(self) -> str:
        return self.format_value(self.kind, self.value)

    @property
    def href(self) -> str:
        """A one-tap link: ``tel:``, ``sms:`` (with the keyword), or the URL."""
        return self.link(self.kind, self.value, self.keyword)

    # Static, so that the API can render channels it read as plain rows
    # (ResourceQuerySet.related_rows) without making model instances.
    @classmethod
    def format_value(cls, kind: str, value: str) -> str:
        """The value as people read it: numbers formatted, anything else as stored."""
        return phones.format_number(value) if kind in cls.NUMBER_KINDS else value

    @classmethod
    def link(cls, kind: str, value: str, keyword: str) -> str:
        if kind in (cls.Kind.PHONE, cls.Kind.TTY, cls.Kind.VIDEOPHONE):
            return f"tel:{'+' + value if len(value) == 11 else value}"
        if kind == cls.Kind.TEXT:
            number = "+" + value if len(value) == 11 else value
            return f"sms:{number}" + (f"?&body={keyword}" if keyword else "")
        if kind == cls.Kind.EMAIL:
            return f"mailto:{value}"
        return value


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Schedule(models.Model):
    """Weekly opening hours (HSDS ``schedule`` with ``freq=WEEKLY``, ``byday``).

    Times are local to the resource's ``time_zone``; a ``closes_at`` earlier
    than ``opens_at`` runs past midnight into the next day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="schedules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="schedule_weekday_valid"),
            models.CheckConstraint(
                condition=~Q(opens_at=models.F("closes_at")), name="schedule_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday_name} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    @property
    def weekday_name(self) -> str:
        return self.day_name(self.weekday)

    @staticmethod
    def day_name(weekday: int) -> str:
        # Not get_weekday_display(): Django rebuilds and translates the whole
        # choices dict on each call, which a page of API results does ~150
        # times. Translating a lazy label each time still took ~1.5 ms a
        # page, so the names are kept per language.
        return _day_names(translation.get_language())[weekday]


@functools.lru_cache(maxsize=16)
def _day_names(language: str | None) -> dict[int, str]:
    # Called with the active language, so the labels translate into it.
    return {day.value: str(day.label) for day in Weekday}


class AreaScope(models.TextChoices):
    NATIONAL = "national", _("Nationwide (US)")
    STATE = "state", _("State")
    COUNTY = "county", _("County")
    CITY = "city", _("City")
    ZIP = "zip", _("ZIP code")


class ServiceArea(models.Model):
    """Where a resource serves people (HSDS ``service_area``)."""

    Scope = AreaScope

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="service_areas")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    state = models.CharField(
        max_length=2, blank=True, help_text=_("Two-letter USPS code, e.g. CA.")
    )
    name = models.CharField(max_length=200, blank=True, help_text=_("County or city name."))
    postal_code = models.CharField(max_length=5, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["scope", "state", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=AreaScope.values), name="service_area_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(scope="national") | ~Q(state=""), name="service_area_state_required"
            ),
            models.CheckConstraint(
                condition=~Q(scope="zip") | Q(postal_code__regex=r"^[0-9]{5}$"),
                name="service_area_zip_required",
            ),
        ]
        indexes = [
            models.Index(fields=["scope", "state"], name="service_area_scope_state_idx"),
            # "Near a ZIP" looks up ZIP-scoped areas by code.
            models.Index(fields=["postal_code"], name="service_area_postal_code_idx"),
        ]

    def __str__(self) -> str:
        return self.label(self.scope, self.state, self.name, self.postal_code)

    @classmethod
    def label(cls, scope: str, state: str, name: str, postal_code: str) -> str:
        """How an area reads: "Nationwide (US)", "CA", "Alameda, CA", "94110 (CA)"."""
        if scope == cls.Scope.NATIONAL:
            return str(cls.Scope.NATIONAL.label)
        if scope == cls.Scope.STATE:
            return state
        if scope == cls.Scope.ZIP:
            return f"{postal_code} ({state})"
        return f"{name}, {state}"

    def clean(self) -> None:
        self.state = self.state.upper()
        if self.scope != self.Scope.NATIONAL and not self.state:
            raise ValidationError({"state": _("Give the state of this area.")})
        if self.scope in (self.Scope.COUNTY, self.Scope.CITY) and not self.name:
            raise ValidationError({"name": _("Give the county or city name.")})
        if self.scope == self.Scope.ZIP and not (
            len(self.postal_code) == 5 and self.postal_code.isdigit()
        ):
            raise ValidationError({"postal_code": _("Enter a five-digit ZIP code.")})


class LocationQuerySet(models.QuerySet):
    def within(self, place: places.Place, radius_miles: float) -> LocationQuerySet:
        """Locations at most ``radius_miles`` from ``place``, with their ``distance``,
        unordered. The bounding box comes first, so the coordinates index serves it.

        The query remembers the circle (``query.within``, kept by its clones
        and subqueries): a test "key in these locations" is then recognizable
        where its answer is known (``search.order_by_distance``)."""
        min_lat, max_lat, min_lon, max_lon = places.bounding_box(place, radius_miles)
        located = (
            self.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
            .annotate(distance=places.distance_expression(place))
            .filter(distance__lte=radius_miles)
            .order_by()
        )
        located.query.within = (place, radius_miles)
        return located


class Location(models.Model):
    """A physical place where a resource is offered (HSDS ``location`` + ``address``)."""

    # What the public API shows of a location (serializers, related_rows).
    PUBLIC_FIELDS = (
        "id", "name", "address_1", "address_2", "city", "state", "postal_code", "country",
        "latitude", "longitude", "accessibility", "transportation",
    )  # fmt: skip

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200, blank=True)
    address_1 = models.CharField(max_length=200)
    address_2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    country = models.CharField(max_length=2, default="US")
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    accessibility = models.TextField(
        blank=True, help_text=_("Step-free access, parking, hearing loops… (HSDS accessibility)")
    )
    transportation = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "city"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__isnull=False) & Q(longitude__isnull=False)),
                name="location_coordinates_paired",
            ),
        ]
        indexes = [
            # Serves the bounding box of "near" searches; with the resource
            # key, those read the index alone.
            models.Index(
                fields=["latitude", "longitude", "resource"], name="location_coordinates_idx"
            ),
            # Serves the state filter (resources located in a state).
            models.Index(fields=["state"], name="location_state_idx"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.address_1}, {self.city}"


# --- Curation: public feedback, link checks, audit ----------------------------


class Feedback(TimeStampedModel):
    """A suggestion of a new resource, or a report of a problem with a listing.

    Stored as soon as the public form validates, before anything else
    happens, so that no report is ever lost; curators then accept, reject or
    mark it as spam in the admin's moderation queue. ``contact_email`` is for
    curators only: it is never shown on a page or returned by the API.
    """

    class Kind(models.TextChoices):
        SUGGESTION = "suggestion", _("Suggested resource")
        PROBLEM = "problem", _("Problem report")

    class Problem(models.TextChoices):
        WRONG_NUMBER = "wrong_number", _("A phone number or link is wrong")
        CLOSED = "closed", _("It has closed or no longer exists")
        WRONG_HOURS = "wrong_hours", _("The hours are wrong")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SPAM = "spam", _("Spam")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        help_text=_("The listing a problem report is about."),
    )
    problem = models.CharField(max_length=20, choices=Problem.choices, blank=True)
    message = models.TextField(blank=True)
    suggested_name = models.CharField(max_length=200, blank=True)
    suggested_organization = models.CharField(max_length=200, blank=True)
    suggested_url = models.URLField(max_length=500, blank=True)
    suggested_phone = models.CharField(max_length=40, blank=True)
    suggested_kind = models.ForeignKey(
        TaxonomyTerm,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"taxonomy__code": Taxonomy.KIND},
    )
    contact_email = models.EmailField(
        blank=True, help_text=_("Private: for curators' follow-up questions only.")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    status_reason = models.TextField(blank=True, help_text=_("Why it was rejected."))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    draft = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The draft or draft change created when it was accepted."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("public feedback")
        verbose_name_plural = _("public feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["suggestion", "problem"]), name="feedback_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "rejected", "spam"]),
                name="feedback_status_valid",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.PROBLEM:
            subject = self.resource.name if self.resource else _("a deleted listing")
            return f"{self.get_problem_display()}: {subject}"
        return f"{_('Suggestion')}: {self.suggested_name}"


class LinkCheckQuerySet(models.QuerySet):
    def problems(self) -> LinkCheckQuerySet:
        return self.filter(result__in=[LinkCheck.Result.BROKEN, LinkCheck.Result.MOVED])


class LinkCheck(models.Model):
    """The latest check of one web address (``python manage.py check_links``).

    One row per URL, however many listings share it, so each address is
    fetched once per run.
    """

    class Result(models.TextChoices):
        OK = "ok", _("Working")
        REDIRECTED = "redirected", _("Working, temporarily redirected")
        MOVED = "moved", _("Moved permanently")
        BROKEN = "broken", _("Broken")

    url = models.URLField(max_length=500, unique=True)
    result = models.CharField(max_length=10, choices=Result.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    error = models.CharField(max_length=300, blank=True)
    checked_at = models.DateTimeField(db_index=True)
    # Consecutive failed runs, so a one-off outage can be told from a dead link.
    failures = models.PositiveSmallIntegerField(default=0)

    objects = LinkCheckQuerySet.as_manager()

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return f"{self.url}: {self.get_result_display()}"


class AuditEvent(models.Model):
    """Who did what to the directory's public content, and when.

    Written by the service functions in ``directory.services`` that publish,
    return, verify, revert, import and moderate; never edited afterwards.
    """

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted for review")
        PUBLISHED = "published", _("Published")
        RETURNED = "returned", _("Returned with comments")
        ARCHIVED = "archived", _("Archived")
        VERIFIED = "verified", _("Verified")
        REVERTED = "reverted", _("Reverted")
        IMPORTED = "imported", _("Imported")
        MERGED = "merged", _("Merged")
        FEEDBACK_ACCEPTED = "fb_accepted", _("Feedback accepted")
        FEEDBACK_REJECTED = "fb_rejected", _("Feedback rejected")
        FEEDBACK_SPAM = "fb_spam", _("Feedback marked as spam")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    object_repr = models.CharField(max_length=200)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.get_action_display()}"


class SearchSynonym(models.Model):
    """A curated rewrite of what people type into what listings say.

    ``term`` is a word or phrase as people type it ("suicidal", "vet",
    "my friend is gay" is not a term; "gay" is); ``expansions`` lists the
    words or phrases a search for it also looks for. Matching the original
    term is always kept, so a synonym can only widen a search.
    """

    term = models.CharField(
        max_length=100,
        unique=True,
        help_text=_("A word or short phrase as people type it, e.g. “suicidal” or “vet”."),
    )
    expansions = models.CharField(
        max_length=500,
        help_text=_(
            "Comma-separated words or phrases to look for as well, "
            "e.g. “suicide, crisis”. Phrases match as phrases."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {self.expansions}"

    def clean(self) -> None:
        from directory.search import tokenize

        self.term = " ".join(tokenize(self.term))
        if not self.term:
            raise ValidationError({"term": _("Enter a word or phrase made of letters or digits.")})
        if not self.expansion_list():
            raise ValidationError({"expansions": _("Enter at least one word or phrase.")})

    def expansion_list(self) -> list[str]:
        """The expansions, normalized like search input, without empties or the term itself."""
        from directory.search import tokenize

        seen: list[str] = []
        for part in self.expansions.split(","):
            phrase = " ".join(tokenize(part))
            if phrase and phrase != self.term and phrase not in seen:
                seen.append(phrase)
        return seen


class SearchWord(models.Model):
    """The vocabulary of indexed words, for "did you mean" and typo correction.

    Rebuilt by ``manage.py rebuild_search_index`` and extended as resources
    are saved; ``document_count`` is how many published resources use the
    word (exact after a rebuild, a lower bound in between).
    """

    word = models.CharField(max_length=100, primary_key=True)
    stem = models.CharField(max_length=100, db_index=True)
    document_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class ResourceSearchDocument(models.Model):
    """One row of the engine's full-text index for a published or draft resource.

    The table is created and kept current by ``directory.search`` (a
    weighted ``tsvector`` with a GIN index on PostgreSQL, an FTS5 table on
    SQLite, both maintained by triggers), so Django does not manage it; this
    model only lets querysets join to it.
    """

    resource = models.OneToOneField(
        Resource,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="resource_id",
        related_name="search_document",
    )

    class Meta:
        managed = False
        db_table = "directory_resource_search"

    def __str__(self) -> str:
        return str(self.resource_id)
