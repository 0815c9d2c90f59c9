"""Synthetic resources for benchmarks: realistic in shape, never passed off as real.

Every generated resource has ``is_synthetic=True``, a ``synthetic-`` slug, an
organization named "Synthetic …", URLs under ``example.org`` (reserved for
examples) and phone numbers in the 555-01xx range (reserved for fiction).
They are published so that search benchmarks see them; delete them all with
``python manage.py generate_resources --delete``.

Generation streams in batches through ``bulk_create`` and suspends the search
index triggers (``search.bulk_indexing``), rebuilding the index once at the
end, which is what makes a million rows a matter of minutes.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import zipcodes
from django.db import connections, transaction

from directory import search
from directory.models import (
    AreaScope,
    ChannelKind,
    ContactChannel,
    Cost,
    Language,
    Location,
    Organization,
    PublicationStatus,
    Resource,
    Schedule,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
    Urgency,
)

# --- Vocabulary --------------------------------------------------------------
# Words are chosen so that document frequencies span the range a benchmark
# needs: "health" in most listings, topic phrases in a few percent, place
# names in a fraction of a percent.

PLACE_WORDS = """
Riverside Lakeview Oakwood Maplewood Cedar Pinecrest Fairview Hillside Brookside
Greenfield Westbrook Eastgate Northfield Southport Highland Valley Harbor Summit
Meadow Willow Aspen Birch Elm Spruce Sycamore Magnolia Juniper Redwood Sequoia
Granite Copper Silver Golden Crystal Prairie Canyon Mesa Bayview Seaside Lakeside
Brightwater Clearwater Stonebridge Millbrook Ashford Kingsley Hartwell Sterling
""".split()  # noqa: SIM905 (a word list reads best as words)

KIND_NOUNS = {
    "crisis-line": ["Crisis Line", "Crisis Center", "Emergency Line", "Crisis Response"],
    "text-line": ["Text Line", "Chat Line", "Text Support", "Online Chat"],
    "helpline": ["Helpline", "Information Line", "Family Helpline", "Resource Line"],
    "peer-support": ["Warmline", "Peer Line", "Peer Support Network", "Listening Line"],
    "support-group": ["Support Group", "Circle", "Peer Group", "Family Group"],
    "treatment-locator": ["Treatment Finder", "Program Directory", "Care Navigator"],
    "therapist-finder": ["Therapist Network", "Counseling Referral", "Clinician Directory"],
    "screening-tool": ["Screening Program", "Self-Check", "Wellness Check"],
    "education": ["Learning Center", "Education Program", "Family Education Course"],
    "advocacy": ["Advocacy Coalition", "Alliance", "Action Network"],
    "local-services": ["Community Services", "Service Navigator", "Outreach Program"],
}

TOPIC_PHRASES = {
    "suicide-prevention": ["suicide prevention", "thoughts of suicide", "safety planning"],
    "mental-health": ["mental health", "emotional wellbeing", "psychological distress"],
    "depression": ["depression", "low mood", "persistent sadness"],
    "anxiety": ["anxiety", "panic attacks", "worry and stress"],
    "substance-use": ["substance use", "alcohol and drug use", "recovery from addiction"],
    "trauma-ptsd": ["trauma", "posttraumatic stress", "PTSD"],
    "eating-disorders": ["eating disorders", "disordered eating", "body image"],
    "bipolar": ["bipolar disorder", "mood episodes", "mania"],
    "psychosis": ["psychosis", "early psychosis", "schizophrenia"],
    "grief": ["grief", "bereavement", "loss of a loved one"],
    "domestic-violence": ["domestic violence", "abusive relationships", "safety from abuse"],
    "child-abuse": ["child abuse", "child safety", "neglect"],
    "disaster-distress": ["disaster distress", "recovery after disasters", "community trauma"],
    "family-caregivers": ["family caregivers", "caring for a relative", "caregiver burnout"],
}

AUDIENCE_PHRASES = {
    "anyone": "anyone who needs it",
    "family-friends": "family members and friends",
    "youth": "teens and youth",
    "young-adults": "young adults",
    "veterans": "veterans",
    "service-members": "service members and military families",
    "lgbtq": "LGBTQ+ people",
    "trans": "trans and nonbinary people",
    "people-of-color": "people of color",
    "native-communities": "Native and Indigenous communities",
    "older-adults": "older adults",
    "deaf-hard-of-hearing": "Deaf and hard of hearing people",
}

SUMMARY_TEMPLATES = [
    "{kind} offering {topic} services for {audience} in {place}.",
    "Confidential {topic} support for {audience}, run by trained staff in {place}.",
    "Free {topic} resources and referrals for {audience} across {state}.",
    "A {place} program that connects {audience} with {topic} care.",
    "Talk with someone about {topic}; open to {audience}.",
]

DESCRIPTION_SENTENCES = [
    "Our team provides behavioral health services and community health referrals.",
    "Staff are trained in {topic} and in listening without judgment.",
    "We work with local health clinics, schools and faith communities in {place}.",
    "Services are available in English{spanish}.",
    "Callers can ask about counseling, medication management and peer programs.",
    "The program was founded by people with lived experience of {topic}.",
    "We also host workshops on coping skills, sleep and stress.",
    "Volunteers complete forty hours of training before answering calls.",
    "Family members are welcome to reach out on behalf of someone they love.",
    "Referrals include housing, food assistance and transportation to appointments.",
    "Our health navigators help people find affordable care and understand insurance.",
    "We partner with the {place} county health department and local hospitals.",
    "Group sessions meet weekly and focus on {topic}.",
    "Everything you share stays confidential, except when someone is in danger.",
    "Information is offered in plain language, with large-print materials on request.",
]

COSTS = [Cost.FREE] * 6 + [
    Cost.SLIDING_SCALE,
    Cost.INSURANCE,
    Cost.PAID,
    Cost.VARIES,
    Cost.UNKNOWN,
]


@dataclass(frozen=True)
class _Zip:
    code: str
    city: str
    county: str
    state: str
    latitude: float
    longitude: float
    time_zone: str


def _zips() -> list[_Zip]:
    rows = []
    for row in zipcodes.list_all():
        if row.get("lat") and row.get("long") and row.get("timezone") and row.get("county"):
            rows.append(
                _Zip(
                    code=row["zip_code"],
                    city=row["city"],
                    county=row["county"],
                    state=row["state"],
                    latitude=float(row["lat"]),
                    longitude=float(row["long"]),
                    time_zone=row["timezone"],
                )
            )
    return rows


class SyntheticDataError(Exception):
    """Synthetic data cannot be generated (e.g. the taxonomy is not loaded yet)."""


class _Table:
    """Rows for one table, inserted in bulk (``search.bulk_insert``).

    Values are prepared by each field's own ``get_db_prep_save``, exactly as
    ``bulk_create`` would, but without building a model instance and
    compiling an INSERT per row, which is most of ``bulk_create``'s cost at a
    million rows.
    """

    def __init__(self, model, connection, values: dict | None = None) -> None:
        from django.db import models

        self.connection = connection
        self.table = model._meta.db_table
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if not isinstance(f, models.AutoField | models.BigAutoField)
        ]
        now = datetime.datetime.now(tz=datetime.UTC)
        constants = {
            f.attname: (
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else f.get_default()
            )
            for f in self.fields
        }
        constants.update(values or {})
        self.constants = {k: self._prep(k, v) for k, v in constants.items()}
        self.rows: list[tuple] = []

    def _prep(self, attname: str, value):
        field = next(f for f in self.fields if f.attname == attname)
        return field.get_db_prep_save(value, self.connection)

    def add(self, **values) -> None:
        row = dict(self.constants)
        for name, value in values.items():
            row[name] = self._prep(name, value) if self._needs_prep(name) else value
        self.rows.append(tuple(row[f.attname] for f in self.fields))

    _prep_cache: dict[str, bool]

    def _needs_prep(self, name: str) -> bool:
        cache = self.__dict__.setdefault("_prep_cache", {})
        if name not in cache:
            field = next(f for f in self.fields if f.attname == name)
            cache[name] = field.get_internal_type() not in (
                "CharField",
                "TextField",
                "SlugField",
                "URLField",
                "EmailField",
                "BooleanField",
                "FloatField",
                "IntegerField",
                "PositiveSmallIntegerField",
                "PositiveIntegerField",
            )
        return cache[name]

    def flush(self) -> None:
        if self.rows:
            search.bulk_insert(
                table=self.table,
                columns=[f.column for f in self.fields],
                rows=self.rows,
                using=self.connection.alias,
            )
            self.rows = []


def generate_resources(
    *,
    count: int,
    seed: int = 0,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
    using: str = "default",
) -> int:
    """Create ``count`` synthetic, published resources and their details; returns ``count``.

    Deterministic for a given ``seed``. Runs in one transaction: on any
    error nothing is left behind.
    """
    if count < 0:
        raise SyntheticDataError("The count must be zero or more.")
    terms = {
        code: list(TaxonomyTerm.objects.using(using).filter(taxonomy__code=code))
        for code in (Taxonomy.KIND, Taxonomy.TOPIC, Taxonomy.AUDIENCE)
    }
    if not all(terms.values()):
        raise SyntheticDataError("Load the taxonomy first: python manage.py load_seed")
    languages = set(Language.objects.using(using).values_list("code", flat=True))
    if "en" not in languages:
        raise SyntheticDataError("Load the languages first: python manage.py load_seed")
    rng = random.Random(seed)
    # UUIDs from the seeded generator, so a run is reproducible.
    new_id = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
    zips = _zips()
    connection = connections[using]
    today = datetime.date.today()

    with transaction.atomic(using=using), search.bulk_indexing(using=using):
        organization_ids = []
        organizations = _Table(Organization, connection, {"website": "https://example.org"})
        for i in range(max(1, count // 25)):
            organization_ids.append(new_id())
            organizations.add(
                id=organization_ids[-1],
                name=f"Synthetic {rng.choice(PLACE_WORDS)} Organization {i}",
                slug=f"synthetic-org-{organization_ids[-1].hex}",
            )
        organizations.flush()
        tables = {
            "resource": _Table(
                Resource,
                connection,
                {
                    "url": "https://example.org",
                    "status": PublicationStatus.PUBLISHED,
                    "is_synthetic": True,
                },
            ),
            "topic": _Table(Resource.topics.through, connection),
            "audience": _Table(Resource.audiences.through, connection),
            "language": _Table(Resource.languages.through, connection),
            "channel": _Table(ContactChannel, connection),
            "schedule": _Table(Schedule, connection),
            "area": _Table(ServiceArea, connection),
            "location": _Table(Location, connection),
        }
        generator = _Generator(
            rng=rng,
            new_id=new_id,
            tables=tables,
            organization_ids=organization_ids,
            kinds={t.code: t for t in terms[Taxonomy.KIND]},
            topics=terms[Taxonomy.TOPIC],
            audiences=terms[Taxonomy.AUDIENCE],
            spanish="es" in languages,
            zips=zips,
            today=today,
        )
        for done in range(1, count + 1):
            generator.resource()
            if done % batch_size == 0 or done == count:
                for table in tables.values():
                    table.flush()
                if progress:
                    progress(done)
    search.rebuild_vocabulary(using=using)
    search.tidy_after_bulk_change(using=using)
    return count


@dataclass
class _Generator:
    rng: random.Random
    new_id: Callable[[], uuid.UUID]
    tables: dict[str, _Table]
    organization_ids: list[uuid.UUID]
    kinds: dict[str, TaxonomyTerm]
    topics: list[TaxonomyTerm]
    audiences: list[TaxonomyTerm]
    spanish: bool
    zips: list[_Zip]
    today: datetime.date

    def resource(self) -> None:
        rng, t = self.rng, self.tables
        kind_code = rng.choice(list(KIND_NOUNS))
        kind = self.kinds.get(kind_code) or rng.choice(list(self.kinds.values()))
        topics = rng.sample(self.topics, rng.choice((1, 1, 2, 2, 3)))
        audiences = rng.sample(self.audiences, rng.choice((1, 1, 2, 3)))
        where = rng.choice(self.zips)
        topic_phrase = rng.choice(TOPIC_PHRASES.get(topics[0].code, ["mental health"]))
        spanish = self.spanish and rng.random() < 0.2
        values = {
            "kind": kind.name.lower(),
            "topic": topic_phrase,
            "audience": " and ".join(
                AUDIENCE_PHRASES.get(a.code, a.name.lower()) for a in audiences[:2]
            ),
            "place": where.city.title(),
            "state": where.state,
            "spanish": " and Spanish" if spanish else "",
        }
        name_topic = rng.choice(TOPIC_PHRASES.get(topics[0].code, ["wellness"])).title()
        name = f"{rng.choice(PLACE_WORDS)} {name_topic} {rng.choice(KIND_NOUNS[kind_code])}"
        sentences = rng.sample(DESCRIPTION_SENTENCES, rng.randint(2, 5))
        urgency = (
            Urgency.CRISIS
            if kind_code in ("crisis-line", "text-line")
            else rng.choice([Urgency.SOON, Urgency.SOON, Urgency.LEARN])
        )
        open_24_7 = (urgency == Urgency.CRISIS and rng.random() < 0.8) or rng.random() < 0.05
        resource_id = self.new_id()
        t["resource"].add(
            id=resource_id,
            organization_id=rng.choice(self.organization_ids),
            name=name[:200],
            slug=f"synthetic-{resource_id.hex}",
            summary=rng.choice(SUMMARY_TEMPLATES).format(**values)[:300],
            description=" ".join(s.format(**values) for s in sentences),
            kind_id=kind.id,
            urgency=urgency,
            cost=rng.choice(COSTS),
            open_24_7=open_24_7,
            time_zone=where.time_zone,
            last_verified_on=self.today - datetime.timedelta(days=rng.randint(0, 720)),
        )
        for topic in topics:
            t["topic"].add(resource_id=resource_id, taxonomyterm_id=topic.id)
        for audience in audiences:
            t["audience"].add(resource_id=resource_id, taxonomyterm_id=audience.id)
        t["language"].add(resource_id=resource_id, language_id="en")
        if spanish:
            t["language"].add(resource_id=resource_id, language_id="es")
        self._channels(resource_id)
        if not open_24_7:
            self._hours(resource_id)
        self._area(resource_id, where)

    def _channels(self, resource_id: uuid.UUID) -> None:
        rng = self.rng
        kinds = [ChannelKind.PHONE, ChannelKind.TEXT, ChannelKind.CHAT, ChannelKind.TTY]
        for position, kind in enumerate(rng.sample(kinds, rng.randint(1, 3))):
            # Only fictional numbers: the 555-0100 to 555-0199 range.
            area_code = rng.choice(("202", "312", "415", "512", "617"))
            value = (
                "https://example.org/chat"
                if kind == ChannelKind.CHAT
                else f"1{area_code}55501{rng.randint(0, 99):02d}"
            )
            self.tables["channel"].add(
                id=self.new_id(),
                resource_id=resource_id,
                kind=kind,
                value=value,
                position=position,
            )

    def _hours(self, resource_id: uuid.UUID) -> None:
        opens, closes = self.rng.choice(
            [
                (datetime.time(9), datetime.time(17)),
                (datetime.time(8), datetime.time(20)),
                (datetime.time(10), datetime.time(22)),
                (datetime.time(18), datetime.time(2)),  # evenings, past midnight
            ]
        )
        for day in range(7) if self.rng.random() < 0.3 else range(5):
            self.tables["schedule"].add(
                id=self.new_id(),
                resource_id=resource_id,
                weekday=day,
                opens_at=opens,
                closes_at=closes,
            )

    def _area(self, resource_id: uuid.UUID, where: _Zip) -> None:
        rng = self.rng
        scope = rng.choices(
            [AreaScope.NATIONAL, AreaScope.STATE, AreaScope.COUNTY, AreaScope.CITY, AreaScope.ZIP],
            weights=[5, 25, 25, 25, 20],
        )[0]
        self.tables["area"].add(
            id=self.new_id(),
            resource_id=resource_id,
            scope=scope,
            state="" if scope == AreaScope.NATIONAL else where.state,
            name=where.county
            if scope == AreaScope.COUNTY
            else where.city.title()
            if scope == AreaScope.CITY
            else "",
            postal_code=where.code if scope == AreaScope.ZIP else "",
        )
        if scope in (AreaScope.COUNTY, AreaScope.CITY, AreaScope.ZIP) or rng.random() < 0.2:
            self.tables["location"].add(
                id=self.new_id(),
                resource_id=resource_id,
                address_1=f"{rng.randint(1, 9999)} Example Street",
                city=where.city.title(),
                state=where.state,
                postal_code=where.code,
                latitude=round(where.latitude + rng.uniform(-0.03, 0.03), 6),
                longitude=round(where.longitude + rng.uniform(-0.03, 0.03), 6),
            )


def delete_synthetic_resources(*, using: str = "default") -> int:
    """Delete every synthetic resource and synthetic organization; returns how many resources."""
    with transaction.atomic(using=using), search.bulk_indexing(using=using):
        synthetic = Resource.objects.using(using).filter(is_synthetic=True)
        count = synthetic.count()
        # Details first, each in one statement, so the resource delete has nothing to collect.
        for model in (ContactChannel, Schedule, ServiceArea, Location):
            model.objects.using(using).filter(resource__is_synthetic=True).delete()
        for through in (
            Resource.topics.through,
            Resource.audiences.through,
            Resource.languages.through,
        ):
            through.objects.using(using).filter(resource__is_synthetic=True).delete()
        synthetic.delete()
        Organization.objects.using(using).filter(
            slug__startswith="synthetic-", resources__isnull=True
        ).delete()
    search.rebuild_vocabulary(using=using)
    return count
