"""Loading the ally guide's seed content (``guide/data/guide.yaml``).

The guide uses the directory's seed mechanism (``directory.seed``): records
are identified by stable keys, their UUIDs derived from them, and
``apply_seed`` updates a field only while it still holds what the seed last
wrote, so curators' edits survive every re-run. Related resources and
references name directory resources and organizations by their seed keys.

``load_guide_seed`` runs in one transaction and raises ``SeedError`` naming
the record and field when the file is malformed; nothing is then changed.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import transaction

from directory.models import Organization, Resource
from directory.seed import (
    TRACKED,
    SeedError,
    SeedReport,
    Tracked,
    _check_fields,
    _fk_id,
    _list,
    _require,
    _scalar,
    apply_seed,
    read_seed_file,
    seed_uuid,
)
from guide.models import Guide, PhrasePair, Reference, Section, Tip

GUIDE_SEED_FILE = Path(__file__).resolve().parent / "data" / "guide.yaml"


def _resource_ids(name: str) -> Tracked:
    """A many-to-many of directory resources, tracked as a sorted list of ids."""

    def read(obj: Any) -> Any:
        return sorted(str(pk) for pk in getattr(obj, name).values_list("pk", flat=True))

    def write(obj: Any, value: Any) -> None:
        getattr(obj, name).set([uuid.UUID(pk) for pk in value])

    return Tracked(name, read, write, after_save=True)


PHRASE_FIELDS = ("could_say", "avoid_saying", "why")


def _phrase_rows(section: Section) -> list[dict[str, Any]]:
    return [
        {name: getattr(pair, name) for name in PHRASE_FIELDS}
        for pair in section.phrase_pairs.order_by("position", "id")
    ]


def _write_phrases(section: Section, rows: list[dict[str, Any]]) -> None:
    section.phrase_pairs.all().delete()
    PhrasePair.objects.bulk_create(
        PhrasePair(section=section, position=position, **row) for position, row in enumerate(rows)
    )


TRACKED.update(
    {
        Guide: [
            _scalar(n)
            for n in (
                "title",
                "slug",
                "summary",
                "introduction",
                "conclusion",
                "status",
                "published_on",
                "last_reviewed_on",
                "reviewer",
            )
        ],
        Section: [
            _fk_id("guide"),
            *(
                _scalar(n)
                for n in (
                    "position",
                    "title",
                    "slug",
                    "summary",
                    "body",
                    "status",
                    "share_message",
                )
            ),
            _fk_id("share_resource"),
            _resource_ids("related_resources"),
            Tracked("phrase_pairs", _phrase_rows, _write_phrases, after_save=True),
        ],
        Tip: [
            _fk_id("section"),
            *(_scalar(n) for n in ("position", "title", "slug", "body")),
            _resource_ids("related_resources"),
        ],
        Reference: [
            _fk_id("guide"),
            *(_scalar(n) for n in ("position", "title", "publisher", "url", "accessed_on")),
            _fk_id("organization"),
            _fk_id("resource"),
        ],
    }
)

GUIDE_FIELDS = {
    "key",
    "title",
    "slug",
    "summary",
    "introduction",
    "conclusion",
    "status",
    "published_on",
    "last_reviewed_on",
    "reviewer",
    "sections",
    "references",
}
SECTION_FIELDS = {
    "key",
    "title",
    "slug",
    "summary",
    "body",
    "status",
    "resources",
    "share_card",
    "phrases",
    "tips",
}
TIP_FIELDS = {"key", "title", "slug", "body", "resources"}
REFERENCE_FIELDS = {
    "key",
    "title",
    "publisher",
    "url",
    "accessed_on",
    "organization",
    "resource",
}


class _Keys:
    """Resolves the directory's seed keys to ids, checking that the records exist."""

    def __init__(self) -> None:
        self.resources = {str(pk) for pk in Resource.objects.values_list("pk", flat=True)}
        self.organizations = {str(pk) for pk in Organization.objects.values_list("pk", flat=True)}

    def resource(self, key: Any, label: str) -> str:
        pk = str(seed_uuid("resource", str(key)))
        if pk not in self.resources:
            raise SeedError(f"{label}: no directory resource with key '{key}'.")
        return pk

    def organization(self, key: Any, label: str) -> str:
        pk = str(seed_uuid("organization", str(key)))
        if pk not in self.organizations:
            raise SeedError(f"{label}: no directory organization with key '{key}'.")
        return pk

    def resources_of(self, record: dict[str, Any], label: str) -> list[str]:
        return sorted(
            self.resource(key, f"{label}.resources") for key in _list(record, "resources", label)
        )


def _date(record: dict[str, Any], name: str, label: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, datetime.date):
        raise SeedError(f"{label}.{name}: expected a date (YYYY-MM-DD).")
    return value.isoformat()


def _keyed_records(
    parent: dict[str, Any], name: str, fields: set[str], label: str
) -> Iterator[tuple[int, dict[str, Any], str, str]]:
    """Each record of the list ``parent[name]``, checked: (position, record, key, label)."""
    seen: set[str] = set()
    for position, record in enumerate(_list(parent, name, label)):
        record_label = f"{label}.{name}[{position}]"
        record = _check_fields(record, fields, record_label)
        key = str(_require(record, "key", record_label))
        if key in seen:
            raise SeedError(f"{record_label}.key: '{key}' is used twice.")
        seen.add(key)
        yield position, record, key, record_label


def _phrase_values(pair: Any, label: str) -> dict[str, Any]:
    pair = _check_fields(pair, set(PHRASE_FIELDS), label)
    return {
        "could_say": _require(pair, "could_say", label),
        "avoid_saying": _require(pair, "avoid_saying", label),
        "why": pair.get("why", ""),
    }


def _load_section(
    row: dict[str, Any],
    *,
    key: str,
    label: str,
    guide: Guide,
    guide_key: str,
    position: int,
    keys: _Keys,
    report: SeedReport,
) -> Section:
    share = _check_fields(
        row.get("share_card", {}), {"message", "resource"}, f"{label}.share_card"
    )
    values = {
        "guide": str(guide.pk),
        "position": position,
        "title": _require(row, "title", label),
        "slug": _require(row, "slug", label),
        "summary": _require(row, "summary", label),
        "body": row.get("body", ""),
        "status": row.get("status", "published"),
        "share_message": share.get("message", ""),
        "share_resource": (
            keys.resource(share["resource"], f"{label}.share_card.resource")
            if share.get("resource")
            else None
        ),
        "related_resources": keys.resources_of(row, label),
        "phrase_pairs": [
            _phrase_values(pair, f"{label}.phrases[{i}]")
            for i, pair in enumerate(_list(row, "phrases", label))
        ],
    }
    section = apply_seed(
        model=Section,
        pk=seed_uuid("guide-section", f"{guide_key}:{key}"),
        values=values,
        label=f"section '{guide_key}:{key}'",
        report=report,
    )
    for position, tip, tip_key, tip_label in _keyed_records(row, "tips", TIP_FIELDS, label):
        apply_seed(
            model=Tip,
            pk=seed_uuid("guide-tip", f"{guide_key}:{key}:{tip_key}"),
            values={
                "section": str(section.pk),
                "position": position,
                "title": _require(tip, "title", tip_label),
                "slug": _require(tip, "slug", tip_label),
                "body": _require(tip, "body", tip_label),
                "related_resources": keys.resources_of(tip, tip_label),
            },
            label=f"tip '{guide_key}:{key}:{tip_key}'",
            report=report,
        )
    return section


@transaction.atomic
def load_guide_seed(*, path: Path = GUIDE_SEED_FILE) -> SeedReport:
    """Load the guide seed file; the directory's seed must be loaded first."""
    data = read_seed_file(path)
    if unknown := set(data) - {"guides"}:
        raise SeedError(
            f"Unknown section(s) in the guide seed file: {', '.join(sorted(unknown))}."
        )
    report = SeedReport()
    keys = _Keys()
    for _, row, guide_key, label in _keyed_records(data, "guides", GUIDE_FIELDS, "guides"):
        guide = apply_seed(
            model=Guide,
            pk=seed_uuid("guide", guide_key),
            values={
                "title": _require(row, "title", label),
                "slug": _require(row, "slug", label),
                "summary": _require(row, "summary", label),
                "introduction": _require(row, "introduction", label),
                "conclusion": row.get("conclusion", ""),
                "status": row.get("status", "published"),
                "published_on": _date(row, "published_on", label),
                "last_reviewed_on": _date(row, "last_reviewed_on", label),
                "reviewer": row.get("reviewer", ""),
            },
            label=f"guide '{guide_key}'",
            report=report,
        )
        sections = _keyed_records(row, "sections", SECTION_FIELDS, label)
        for position, section, key, section_label in sections:
            _load_section(
                section,
                key=key,
                label=section_label,
                guide=guide,
                guide_key=guide_key,
                position=position,
                keys=keys,
                report=report,
            )
        references = _keyed_records(row, "references", REFERENCE_FIELDS, label)
        for position, ref, ref_key, ref_label in references:
            apply_seed(
                model=Reference,
                pk=seed_uuid("guide-reference", f"{guide_key}:{ref_key}"),
                values={
                    "guide": str(guide.pk),
                    "position": position,
                    "title": _require(ref, "title", ref_label),
                    "publisher": _require(ref, "publisher", ref_label),
                    "url": _require(ref, "url", ref_label),
                    "accessed_on": _date(ref, "accessed_on", ref_label),
                    "organization": (
                        keys.organization(ref["organization"], f"{ref_label}.organization")
                        if ref.get("organization")
                        else None
                    ),
                    "resource": (
                        keys.resource(ref["resource"], f"{ref_label}.resource")
                        if ref.get("resource")
                        else None
                    ),
                },
                label=f"reference '{guide_key}:{ref_key}'",
                report=report,
            )
    return report
