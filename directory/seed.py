"""Loading the seed data idempotently, without overwriting curators' edits.

The seed file (``directory/data/seed.yaml``) describes records by a stable
``key``; each record's UUID is derived from it, so a record keeps its
identity however a curator renames it.

How curator edits survive a re-run: every seeded record stores, in
``seed_values``, the value the loader last wrote to each field (scalars, and
collections such as a resource's channels or topics as one value each). On
the next run a field is updated only while its current value still equals
what the seed last wrote; if a curator changed it since, it is left alone and
reported. Nothing is ever deleted.

The whole load runs in one transaction: a malformed file raises
``SeedError`` naming the record and field, and the database is untouched.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction

from directory.models import (
    ContactChannel,
    Language,
    Organization,
    Resource,
    Schedule,
    ServiceArea,
    Taxonomy,
    TaxonomyTerm,
)

SEED_FILE = Path(__file__).resolve().parent / "data" / "seed.yaml"
# Namespace for the UUIDs derived from seed keys; never change it, or every
# seeded record would be loaded again as a new one.
SEED_NAMESPACE = uuid.UUID("6f1c9a52-3c1e-4d0b-9a54-0c2f8d9b7e10")


class SeedError(Exception):
    """The seed file is malformed; the message names the record and field."""


def seed_uuid(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}")


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # (record, field) pairs left alone because a curator edited them.
    kept: list[tuple[str, str]] = field(default_factory=list)

    def count(self, bucket: dict[str, int], label: str) -> None:
        bucket[label] = bucket.get(label, 0) + 1

    def summary(self) -> str:
        def fmt(bucket: dict[str, int]) -> str:
            return ", ".join(f"{n} {label}" for label, n in sorted(bucket.items())) or "nothing"

        lines = [f"Created: {fmt(self.created)}.", f"Updated: {fmt(self.updated)}."]
        if self.kept:
            lines.append(
                f"Kept {len(self.kept)} curator edit(s): "
                + "; ".join(f"{record}.{name}" for record, name in self.kept)
                + "."
            )
        return "\n".join(lines)


# --- Reading a record's seeded fields as plain values ------------------------
#
# A "tracked field" has a reader, giving its current value as plain JSON data
# (comparable with what the seed wrote), and a writer. Writers of scalar
# fields run before save, writers of collections after it.


@dataclass(frozen=True)
class Tracked:
    name: str
    read: Callable[[Any], Any]
    write: Callable[[Any, Any], None]
    after_save: bool = False


def _scalar(name: str) -> Tracked:
    def read(obj: Any) -> Any:
        value = getattr(obj, name)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, uuid.UUID):
            return str(value)
        return value

    def write(obj: Any, value: Any) -> None:
        setattr(obj, name, value)

    return Tracked(name, read, write)


def _m2m_codes(name: str, attr: str = "code") -> Tracked:
    def read(obj: Any) -> Any:
        return sorted(getattr(item, attr) for item in getattr(obj, name).all())

    def write(obj: Any, value: Any) -> None:
        manager = getattr(obj, name)
        model = manager.model
        if model is TaxonomyTerm:
            taxonomy = {"topics": Taxonomy.TOPIC, "audiences": Taxonomy.AUDIENCE}[name]
            items = list(model.objects.filter(taxonomy__code=taxonomy, code__in=value))
        else:
            items = list(model.objects.filter(pk__in=value))
        manager.set(items)

    return Tracked(name, read, write, after_save=True)


def _channel_rows(resource: Resource) -> list[dict[str, Any]]:
    return [
        {
            "kind": c.kind,
            "value": c.value,
            "vanity": c.vanity,
            "instructions": c.instructions,
            "keyword": c.keyword,
            "needs_verification": c.needs_verification,
        }
        for c in resource.channels.order_by("position", "kind", "value")
    ]


def _write_channels(resource: Resource, rows: list[dict[str, Any]]) -> None:
    resource.channels.all().delete()
    for position, row in enumerate(rows):
        ContactChannel.objects.create(resource=resource, position=position, **row)


def _schedule_rows(resource: Resource) -> list[dict[str, Any]]:
    return [
        {
            "weekday": s.weekday,
            "opens_at": f"{s.opens_at:%H:%M}",
            "closes_at": f"{s.closes_at:%H:%M}",
        }
        for s in resource.schedules.order_by("weekday", "opens_at")
    ]


def _write_schedules(resource: Resource, rows: list[dict[str, Any]]) -> None:
    resource.schedules.all().delete()
    Schedule.objects.bulk_create(
        Schedule(
            resource=resource,
            weekday=row["weekday"],
            opens_at=datetime.time.fromisoformat(row["opens_at"]),
            closes_at=datetime.time.fromisoformat(row["closes_at"]),
        )
        for row in rows
    )


def _area_rows(resource: Resource) -> list[dict[str, Any]]:
    return [
        {"scope": a.scope, "state": a.state, "name": a.name, "postal_code": a.postal_code}
        for a in resource.service_areas.order_by("scope", "state", "name", "postal_code")
    ]


def _write_areas(resource: Resource, rows: list[dict[str, Any]]) -> None:
    resource.service_areas.all().delete()
    ServiceArea.objects.bulk_create(ServiceArea(resource=resource, **row) for row in rows)


def _fk_code(name: str) -> Tracked:
    def read(obj: Any) -> Any:
        return getattr(obj, name).code

    def write(obj: Any, value: Any) -> None:
        setattr(obj, name, TaxonomyTerm.objects.get(taxonomy__code=Taxonomy.KIND, code=value))

    return Tracked(name, read, write)


def _fk_id(name: str) -> Tracked:
    def read(obj: Any) -> Any:
        value = getattr(obj, f"{name}_id")
        return None if value is None else str(value)

    def write(obj: Any, value: Any) -> None:
        setattr(obj, f"{name}_id", None if value is None else uuid.UUID(value))

    return Tracked(name, read, write)


TRACKED: dict[type[models.Model], list[Tracked]] = {
    Taxonomy: [_scalar(n) for n in ("code", "name", "description")],
    TaxonomyTerm: [
        _fk_id("taxonomy"),
        *(_scalar(n) for n in ("code", "name", "description", "position")),
        _fk_id("parent"),
    ],
    Organization: [
        _scalar(n) for n in ("name", "slug", "alternate_name", "description", "website", "email")
    ],
    Resource: [
        _fk_id("organization"),
        *(
            _scalar(n)
            for n in (
                "name",
                "slug",
                "alternate_name",
                "summary",
                "description",
                "url",
                "email",
                "status",
                "urgency",
                "cost",
                "eligibility",
                "fees",
                "application_process",
                "minimum_age",
                "maximum_age",
                "open_24_7",
                "time_zone",
                "hours_notes",
                "last_verified_on",
                "verification_source",
                "needs_verification",
            )
        ),
        _fk_code("kind"),
        _m2m_codes("topics"),
        _m2m_codes("audiences"),
        _m2m_codes("languages"),
        Tracked("channels", _channel_rows, _write_channels, after_save=True),
        Tracked("schedules", _schedule_rows, _write_schedules, after_save=True),
        Tracked("service_areas", _area_rows, _write_areas, after_save=True),
    ],
}


def current_seed_values(obj: models.Model) -> dict[str, Any]:
    """The current value of every tracked field of ``obj``, as the seed writes them."""
    return {t.name: t.read(obj) for t in TRACKED.get(type(obj), [])}


def apply_seed(
    *,
    model: type[models.Model],
    pk: Any,
    values: dict[str, Any],
    label: str,
    report: SeedReport,
    tracked: Iterable[Tracked] | None = None,
) -> models.Model:
    """Create or update one seeded record, keeping fields a curator changed.

    ``values`` holds plain values for tracked fields. Raises ``SeedError``
    when the resulting record does not validate.
    """
    tracked = list(tracked if tracked is not None else TRACKED[model])
    obj = model.objects.filter(pk=pk).first()
    created = obj is None
    if created:
        obj = model(pk=pk)
    previous: dict[str, Any] = dict(obj.seed_values)
    current = {} if created else current_seed_values(obj)
    kept: set[str] = set()
    to_write: dict[str, Any] = {}
    for t in tracked:
        if t.name not in values:
            continue
        if not created and t.name in previous and current[t.name] != previous[t.name]:
            kept.add(t.name)
        elif created or current[t.name] != values[t.name]:
            to_write[t.name] = values[t.name]
    report.kept.extend((label, name) for name in sorted(kept))
    # For a kept field, remember what the seed wrote before, so that the
    # curator's value keeps being recognised as an edit.
    seed_values = {**previous, **{n: v for n, v in values.items() if n not in kept}}
    if not created and not to_write and seed_values == previous:
        return obj

    for t in tracked:
        if t.name in to_write and not t.after_save:
            t.write(obj, to_write[t.name])
    try:
        obj.full_clean()
    except ValidationError as error:
        raise SeedError(f"{label}: {_describe(error)}") from error
    obj.seed_values = seed_values
    obj.save()
    for t in tracked:
        if t.name in to_write and t.after_save:
            t.write(obj, to_write[t.name])
    report.count(
        report.created if created else report.updated, str(model._meta.verbose_name_plural)
    )
    return obj


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


# --- Validating the file's shape ---------------------------------------------


def _require(record: dict[str, Any], name: str, label: str, kind: type = str) -> Any:
    if name not in record or record[name] in (None, ""):
        raise SeedError(f"{label}: missing required field '{name}'.")
    if not isinstance(record[name], kind):
        raise SeedError(f"{label}.{name}: expected {kind.__name__}, got {record[name]!r}.")
    return record[name]


def _list(data: dict[str, Any], name: str, label: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise SeedError(f"{label}.{name}: expected a list.")
    return value


def _check_fields(record: Any, allowed: set[str], label: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise SeedError(f"{label}: expected a mapping, got {record!r}.")
    unknown = set(record) - allowed
    if unknown:
        raise SeedError(f"{label}: unknown field(s) {', '.join(sorted(unknown))}.")
    return record


def read_seed_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(f"Cannot read the seed file {path}: {error.strerror}.") from error
    except yaml.YAMLError as error:
        raise SeedError(f"The seed file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise SeedError(f"The seed file {path} must be a mapping of sections.")
    return data


ORGANIZATION_FIELDS = {"key", "name", "slug", "alternate_name", "description", "website", "email"}
RESOURCE_SCALARS = {
    "name",
    "slug",
    "alternate_name",
    "summary",
    "description",
    "url",
    "email",
    "urgency",
    "cost",
    "eligibility",
    "fees",
    "application_process",
    "minimum_age",
    "maximum_age",
    "open_24_7",
    "time_zone",
    "hours_notes",
    "verification_source",
    "needs_verification",
}
RESOURCE_FIELDS = RESOURCE_SCALARS | {
    "key",
    "organization",
    "kind",
    "topics",
    "audiences",
    "languages",
    "hours",
    "areas",
    "channels",
    "last_verified_on",
    "status",
}
CHANNEL_FIELDS = {"kind", "value", "vanity", "instructions", "keyword", "needs_verification"}


def _resource_values(record: dict[str, Any], label: str, org_ids: dict[str, uuid.UUID]) -> dict:
    org_key = _require(record, "organization", label)
    if org_key not in org_ids:
        raise SeedError(f"{label}.organization: no organization with key '{org_key}'.")
    values: dict[str, Any] = {
        "organization": str(org_ids[org_key]),
        "kind": _require(record, "kind", label),
        "status": record.get("status", "published"),
    }
    _require(record, "name", label)
    _require(record, "slug", label)
    _require(record, "summary", label)
    for name in RESOURCE_SCALARS:
        if name in record:
            values[name] = record[name]
    verified = record.get("last_verified_on")
    if verified is not None and not isinstance(verified, datetime.date):
        raise SeedError(f"{label}.last_verified_on: expected a date (YYYY-MM-DD).")
    values["last_verified_on"] = verified.isoformat() if verified else None
    for name in ("topics", "audiences", "languages"):
        values[name] = sorted(_list(record, name, label))
    channels = []
    for i, row in enumerate(_list(record, "channels", label)):
        row_label = f"{label}.channels[{i}]"
        row = _check_fields(row, CHANNEL_FIELDS, row_label)
        kind = _require(row, "kind", row_label)
        if kind not in ContactChannel.Kind.values:
            raise SeedError(f"{row_label}.kind: unknown channel kind '{kind}'.")
        channel = ContactChannel(kind=kind, value=str(_require(row, "value", row_label)))
        try:
            channel.clean()
        except ValidationError as error:
            raise SeedError(f"{row_label}: {_describe(error)}") from error
        channels.append(
            {
                "kind": kind,
                "value": channel.value,
                "vanity": row.get("vanity", ""),
                "instructions": row.get("instructions", ""),
                "keyword": row.get("keyword", ""),
                "needs_verification": bool(row.get("needs_verification", False)),
            }
        )
    values["channels"] = channels
    schedules = []
    for i, row in enumerate(_list(record, "hours", label)):
        row_label = f"{label}.hours[{i}]"
        row = _check_fields(row, {"days", "opens_at", "closes_at"}, row_label)
        for bound in ("opens_at", "closes_at"):
            try:
                datetime.time.fromisoformat(str(_require(row, bound, row_label)))
            except ValueError:
                raise SeedError(f"{row_label}.{bound}: expected a time as HH:MM.") from None
        for day in _require(row, "days", row_label, list):
            if day not in range(7):
                raise SeedError(f"{row_label}.days: {day!r} is not a weekday number 0–6.")
            schedules.append(
                {"weekday": day, "opens_at": row["opens_at"], "closes_at": row["closes_at"]}
            )
    values["schedules"] = sorted(schedules, key=lambda r: (r["weekday"], r["opens_at"]))
    areas = []
    for i, row in enumerate(_list(record, "areas", label)):
        row_label = f"{label}.areas[{i}]"
        row = _check_fields(row, {"scope", "state", "name", "postal_code"}, row_label)
        area = {
            "scope": _require(row, "scope", row_label),
            "state": row.get("state", ""),
            "name": row.get("name", ""),
            "postal_code": str(row.get("postal_code", "")),
        }
        try:
            ServiceArea(**area).clean()
        except ValidationError as error:
            raise SeedError(f"{row_label}: {_describe(error)}") from error
        areas.append(area)
    values["service_areas"] = sorted(
        areas, key=lambda r: (r["scope"], r["state"], r["name"], r["postal_code"])
    )
    return values


@transaction.atomic
def load_seed(*, path: Path = SEED_FILE) -> SeedReport:
    """Load the seed file into the database; see the module docstring."""
    data = read_seed_file(path)
    if unknown := set(data) - {"languages", "taxonomies", "organizations", "resources"}:
        raise SeedError(f"Unknown section(s) in the seed file: {', '.join(sorted(unknown))}.")
    report = SeedReport()

    for i, row in enumerate(_list(data, "languages", "languages")):
        row = _check_fields(row, {"code", "name"}, f"languages[{i}]")
        code = _require(row, "code", f"languages[{i}]")
        name = _require(row, "name", f"languages[{i}]")
        _, created = Language.objects.get_or_create(code=code, defaults={"name": name})
        if created:
            report.count(report.created, "languages")

    for i, tax in enumerate(_list(data, "taxonomies", "taxonomies")):
        label = f"taxonomies[{i}]"
        tax = _check_fields(tax, {"code", "name", "description", "terms"}, label)
        code = _require(tax, "code", label)
        taxonomy = apply_seed(
            model=Taxonomy,
            pk=seed_uuid("taxonomy", code),
            values={
                "code": code,
                "name": _require(tax, "name", label),
                "description": tax.get("description", ""),
            },
            label=f"taxonomy '{code}'",
            report=report,
        )
        for position, term in enumerate(_list(tax, "terms", label)):
            term_label = f"{label}.terms[{position}]"
            term = _check_fields(term, {"code", "name", "description", "parent"}, term_label)
            term_code = _require(term, "code", term_label)
            parent = term.get("parent")
            if (
                parent is not None
                and not TaxonomyTerm.objects.filter(
                    pk=seed_uuid("term", f"{code}:{parent}")
                ).exists()
            ):
                raise SeedError(f"{term_label}.parent: '{parent}' must be listed before it.")
            values = {
                "code": term_code,
                "name": _require(term, "name", term_label),
                "description": term.get("description", ""),
                "position": position,
                "parent": str(seed_uuid("term", f"{code}:{parent}")) if parent else None,
            }
            apply_seed(
                model=TaxonomyTerm,
                pk=seed_uuid("term", f"{code}:{term_code}"),
                values={**values, "taxonomy": str(taxonomy.pk)},
                label=f"term '{code}:{term_code}'",
                report=report,
            )

    org_ids: dict[str, uuid.UUID] = {}
    for i, row in enumerate(_list(data, "organizations", "organizations")):
        label = f"organizations[{i}]"
        row = _check_fields(row, ORGANIZATION_FIELDS, label)
        key = _require(row, "key", label)
        _require(row, "name", label)
        _require(row, "slug", label)
        if key in org_ids:
            raise SeedError(f"{label}.key: '{key}' is used twice.")
        org_ids[key] = seed_uuid("organization", key)
        apply_seed(
            model=Organization,
            pk=org_ids[key],
            values={name: row.get(name, "") for name in ORGANIZATION_FIELDS - {"key"}},
            label=f"organization '{key}'",
            report=report,
        )

    seen: set[str] = set()
    for i, row in enumerate(_list(data, "resources", "resources")):
        label = f"resources[{i}]"
        row = _check_fields(row, RESOURCE_FIELDS, label)
        key = str(_require(row, "key", label))
        if key in seen:
            raise SeedError(f"{label}.key: '{key}' is used twice.")
        seen.add(key)
        values = _resource_values(row, label, org_ids)
        if not TaxonomyTerm.objects.filter(
            taxonomy__code=Taxonomy.KIND, code=values["kind"]
        ).exists():
            raise SeedError(f"{label}.kind: no kind term with code '{values['kind']}'.")
        for name, taxonomy in (("topics", Taxonomy.TOPIC), ("audiences", Taxonomy.AUDIENCE)):
            known = set(
                TaxonomyTerm.objects.filter(
                    taxonomy__code=taxonomy, code__in=values[name]
                ).values_list("code", flat=True)
            )
            if missing := sorted(set(values[name]) - known):
                raise SeedError(f"{label}.{name}: unknown term(s) {', '.join(missing)}.")
        known_languages = set(
            Language.objects.filter(code__in=values["languages"]).values_list("code", flat=True)
        )
        if missing := sorted(set(values["languages"]) - known_languages):
            raise SeedError(f"{label}.languages: unknown language code(s) {', '.join(missing)}.")
        apply_seed(
            model=Resource,
            pk=seed_uuid("resource", key),
            values=values,
            label=f"resource '{key}'",
            report=report,
        )
    return report
