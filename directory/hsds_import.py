"""Importing Open Referral HSDS 3.1 data: JSON documents or the CSV tabular form.

``hsds_import`` is the one entry point, used by ``manage.py import_hsds`` and
the admin's import page. It inverts the mapping in ``directory.hsds`` (which
the export uses), so export → import → export gives the same document.

What it promises:

- **Every problem, by record and field.** The whole file is checked before
  anything is kept: the HSDS schemas, then our own rules (``full_clean``) for
  each record. Problems name the record (``services[2] “Crisis Line”``) and
  the field (``phones[0].number``).
- **All or nothing.** One blocking problem and nothing is written; a dry run
  writes nothing either but reports exactly what a real run would do.
- **Idempotent by HSDS id.** Our UUIDs are HSDS ids: a record already here is
  updated in place (and left untouched when nothing changed), so importing
  the same file twice changes nothing the second time.
- **Duplicates become merge proposals.** A service with a new id but the name
  of an existing listing and the same phone number or website is not created
  again: its data becomes a draft change of the existing listing, for an
  editor to review like any other change.

What HSDS carries that this directory does not keep (funding, programs, cost
options, required documents, numbers outside North America, non-US
addresses…) is not an error: it is left out with a warning, the listing is
flagged for verification, and what was left out is written into its internal
notes, so a curator can act on it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from directory import hsds, hsds_tabular, phones
from directory.models import (
    AreaScope,
    AuditEvent,
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
    Weekday,
    validate_time_zone,
)

# HSDS fields of a service that this directory does not keep.
UNKEPT_SERVICE_FIELDS = (
    "interpretation_services",
    "wait_time",
    "fees",
    "accreditations",
    "licenses",
    "alert",
    "funding",
    "cost_options",
    "program",
    "program_id",
    "required_documents",
    "capacities",
    "metadata",
)
UNKEPT_ORGANIZATION_FIELDS = (
    "additional_websites",
    "tax_status",
    "tax_id",
    "year_incorporated",
    "legal_status",
    "logo",
    "uri",
    "parent_organization_id",
    "funding",
    "contacts",
    "phones",
    "locations",
    "programs",
    "organization_identifiers",
    "attributes",
    "metadata",
)
HSDS_PHONE_KINDS = {value: key for key, value in hsds.PHONE_TYPES.items()} | {"cell": "phone"}
URL_LABEL_KINDS = {str(label).lower(): value for value, label in ChannelKind.choices}
TAXONOMY_LINKS = (Taxonomy.KIND, Taxonomy.TOPIC, Taxonomy.AUDIENCE)
TIME_ZONE_IN_DESCRIPTION = re.compile(r", ([A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)+) time\.$")
# USPS codes of the states, DC and the territories.
_US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
    "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI"
)
US_STATES = frozenset(_US_STATE_CODES.split())


PLURALS = {
    "organization": "organizations",
    "service": "services",
    "taxonomy": "taxonomies",
    "taxonomy_term": "taxonomy_terms",
    "location": "locations",
    "service_at_location": "service_at_locations",
}


class ImportFileError(ValueError):
    """The file cannot be read at all (not JSON, not a zip of CSV files)."""


@dataclass(frozen=True)
class Problem:
    record: str
    field: str
    message: str
    blocking: bool = True

    def __str__(self) -> str:
        where = f"{self.record}: {self.field}" if self.field else self.record
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class MergeProposal:
    record: str
    existing: Resource
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.record} looks like the existing listing “{self.existing.name}” "
            f"({self.reason}); proposed as a change to it, not a copy."
        )


@dataclass
class ImportReport:
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    merges: list[MergeProposal] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    @property
    def committed(self) -> bool:
        return not self.dry_run and not self.errors

    def summary(self) -> str:
        def fmt(counter: Counter) -> str:
            return ", ".join(f"{n} {name}" for name, n in sorted(counter.items())) or "nothing"

        if self.errors:
            head = f"Not imported: {len(self.errors)} problem(s) must be fixed first."
        elif self.dry_run:
            head = "Dry run: the file can be imported; nothing was changed."
        else:
            head = "Imported."
        verb = "would be" if self.dry_run or self.errors else "were"
        return "\n".join(
            [
                head,
                f"Created ({verb}): {fmt(self.created)}.",
                f"Updated ({verb}): {fmt(self.updated)}.",
                f"Unchanged: {fmt(self.unchanged)}.",
                *(f"MERGE {m}" for m in self.merges),
                *(f"ERROR {p}" for p in self.errors),
                *(f"WARNING {p}" for p in self.warnings),
            ]
        )


class _Rollback(Exception):
    pass


# --- Reading files into documents ----------------------------------------------


def read_documents(data: bytes, *, filename: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """HSDS documents from a JSON, NDJSON or zipped-CSV file; raises ``ImportFileError``."""
    if filename.lower().endswith(".zip") or data[:2] == b"PK":
        try:
            tables = hsds_tabular.read_tables(data)
        except hsds_tabular.TabularError as error:
            raise ImportFileError(str(error)) from error
        documents, table_problems = hsds_tabular.assemble(tables)
        problems = [Problem(f"{p.table} row {p.row}", p.field, p.message) for p in table_problems]
        problems += [
            Problem(name, "", "This directory has no such table; its rows are left out.", False)
            for name in hsds_tabular.unknown_tables(data)
        ]
        return documents, problems
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError("The file is not UTF-8 text.") from error
    try:
        parsed: Any = json.loads(text)
    except json.JSONDecodeError as error:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            parsed = [json.loads(line) for line in lines]
        except json.JSONDecodeError:
            raise ImportFileError(
                f"The file is not valid JSON (line {error.lineno}, column {error.colno}: "
                f"{error.msg})."
            ) from error
    if isinstance(parsed, dict) and isinstance(parsed.get("contents"), list):
        parsed = parsed["contents"]  # an HSDS API page
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(d, dict) for d in parsed):
        raise ImportFileError("Expected an HSDS document, a list of them, or an HSDS page.")
    return parsed, []


def document_kind(document: dict[str, Any]) -> str | None:
    if "services" in document or "website" in document or "legal_status" in document:
        return "organization"
    if "status" in document or "organization" in document or "organization_id" in document:
        return "service"
    if "taxonomy_id" in document or "taxonomy_detail" in document or "parent_id" in document:
        return "taxonomy_term"
    if "location_type" in document:
        return "location"
    if "location" in document or "location_id" in document:
        return "service_at_location"
    if set(document) <= {"id", "name", "description", "uri", "version"} and "name" in document:
        return "taxonomy"
    return None


# --- The import ----------------------------------------------------------------


def hsds_import(
    *,
    data: bytes,
    filename: str,
    dry_run: bool,
    user: AbstractBaseUser | None = None,
) -> ImportReport:
    """Import an HSDS file (see the module docstring); raises ``ImportFileError``."""
    documents, problems = read_documents(data, filename=filename)
    report = ImportReport(dry_run=dry_run, problems=problems)
    importer = _Importer(report=report, user=user, source=filename)
    try:
        with transaction.atomic():
            importer.run(documents)
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if report.committed:
        AuditEvent.objects.create(
            actor=user,
            action=AuditEvent.Action.IMPORTED,
            object_repr=filename[:200],
            detail={
                "created": dict(report.created),
                "updated": dict(report.updated),
                "merges": [str(m) for m in report.merges],
                "warnings": len(report.warnings),
            },
        )
    return report


def _label(kind: str, index: int, document: dict[str, Any]) -> str:
    name = document.get("name")
    return f"{kind}[{index}]" + (f" “{name}”" if name else "")


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    return "" if value is None else str(value).strip()


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _normal_url(url: str) -> str:
    url = url.strip().lower()
    url = re.sub(r"^https?://(www\.)?", "", url)
    return url.rstrip("/")


@dataclass
class _Importer:
    report: ImportReport
    user: AbstractBaseUser | None
    source: str
    # Resources this run wrote or matched, to catch two file records claiming one listing.
    claimed: dict[uuid.UUID, str] = field(default_factory=dict)
    # Records already saved in this run (a term shared by many services is saved once).
    done: dict[tuple[type, Any], models.Model] = field(default_factory=dict)
    # Positions for new taxonomy terms, from the order services list them in.
    term_positions: dict[str, int] = field(default_factory=dict)

    # --- bookkeeping ------------------------------------------------------------

    def problem(self, record: str, field_name: str, message: str, *, blocking=True) -> None:
        self.report.problems.append(Problem(record, field_name, message, blocking))

    def validation_problems(self, record: str, prefix: str, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                where = f"{prefix}{name}" if name != "__all__" else prefix.rstrip(".")
                for message in messages:
                    self.problem(record, where, message)
        else:
            for message in error.messages:
                self.problem(record, prefix.rstrip("."), message)

    def save(
        self,
        obj: models.Model,
        *,
        record: str,
        prefix: str = "",
        exclude: list[str] | None = None,
    ) -> bool:
        """Validate and save ``obj`` in a savepoint; count it; False on a problem."""
        label = str(obj._meta.verbose_name_plural)
        if (type(obj), obj.pk) in self.done:
            return True
        created = obj._state.adding
        try:
            obj.full_clean(exclude=exclude)
        except ValidationError as error:
            self.validation_problems(record, prefix, error)
            return False
        if not created and not self._changed(obj):
            self.done[(type(obj), obj.pk)] = obj
            self.report.unchanged[label] += 1
            return True
        obj._history_user = self.user
        obj._change_reason = f"Imported from {self.source}"[:100]
        with transaction.atomic():
            obj.save()
        self.done[(type(obj), obj.pk)] = obj
        (self.report.created if created else self.report.updated)[label] += 1
        return True

    @staticmethod
    def _changed(obj: models.Model) -> bool:
        stored = type(obj).objects.filter(pk=obj.pk).values().first()
        if stored is None:
            return True
        return any(
            stored[f.attname] != getattr(obj, f.attname)
            for f in obj._meta.concrete_fields
            if f.attname in stored and f.name not in ("updated_at", "created_at")
        )

    # --- documents --------------------------------------------------------------

    def run(self, documents: list[dict[str, Any]]) -> None:
        kinds = [document_kind(d) for d in documents]
        self.term_positions = _term_order(documents)
        # Schema first: a document that is not HSDS is reported as a whole.
        valid = []
        for index, (document, kind) in enumerate(zip(documents, kinds, strict=True)):
            label = _label(PLURALS.get(kind, "documents"), index, document)
            if kind is None:
                self.problem(label, "", "Not an HSDS service, organization or taxonomy term.")
                continue
            if kind in ("location", "service_at_location"):
                self.problem(
                    label,
                    "",
                    "A location cannot be imported on its own: in this directory every "
                    "location belongs to a service. Import the service with its locations.",
                )
                continue
            for message in hsds.validation_errors(document, kind):
                where, _, text = message.partition(": ")
                self.problem(label, where.removeprefix("$").lstrip("."), text)
            # Even a document that breaks the schema is checked against our own
            # rules, so one run reports every problem of the file.
            valid.append((index, kind, document))

        for kind_order in ("taxonomy", "taxonomy_term", "organization", "service"):
            for index, kind, document in valid:
                if kind != kind_order:
                    continue
                label = _label(PLURALS[kind], index, document)
                try:
                    self.document(kind, document, label)
                except (AttributeError, TypeError, ValueError, KeyError):
                    # Values of the wrong shape, which the schema check has
                    # already reported for this record.
                    if not self.report.errors:
                        raise

    def document(self, kind: str, document: dict[str, Any], label: str) -> None:
        if kind == "taxonomy":
            self.taxonomy(document, label=label)
        elif kind == "taxonomy_term":
            self.term(document, label=label)
        elif kind == "organization":
            organization = self.organization(document, label=label)
            for position, service in enumerate(document.get("services") or []):
                name = service.get("name")
                self.service(
                    service,
                    label=f"{label}.services[{position}]" + (f" “{name}”" if name else ""),
                    organization=organization,
                )
        else:
            self.service(document, label=label)

    def taxonomy(self, document: dict[str, Any], *, label: str, code: str = "") -> Taxonomy | None:
        pk = _uuid(document.get("id"))
        if pk is None:
            self.problem(label, "id", "Not a UUID.")
            return None
        taxonomy = Taxonomy.objects.filter(pk=pk).first()
        if taxonomy is None:
            code = code or slugify(_text(document, "name"))[:50] or "taxonomy"
            if Taxonomy.objects.filter(code=code).exists():
                code = f"{code[:40]}-{pk.hex[:8]}"
            taxonomy = Taxonomy(pk=pk, code=code)
        taxonomy.name = _text(document, "name")[:200]
        taxonomy.description = _text(document, "description")
        taxonomy.uri = _text(document, "uri")
        taxonomy.version = _text(document, "version")[:50]
        return taxonomy if self.save(taxonomy, record=label) else None

    def term(
        self, document: dict[str, Any], *, label: str, taxonomy_code: str = ""
    ) -> TaxonomyTerm | None:
        pk = _uuid(document.get("id"))
        if pk is None:
            self.problem(label, "id", "Not a UUID.")
            return None
        term = TaxonomyTerm.objects.filter(pk=pk).select_related("taxonomy").first()
        taxonomy = None
        if document.get("taxonomy_detail"):
            taxonomy = self.taxonomy(
                document["taxonomy_detail"],
                label=f"{label}.taxonomy_detail",
                code=taxonomy_code,
            )
        elif _uuid(document.get("taxonomy_id")):
            taxonomy = Taxonomy.objects.filter(pk=_uuid(document["taxonomy_id"])).first()
        elif term is not None:
            taxonomy = term.taxonomy
        if taxonomy is None:
            self.problem(label, "taxonomy_id", "No such taxonomy in the file or the directory.")
            return None
        if term is None:
            term = TaxonomyTerm(pk=pk, position=self.term_positions.get(str(pk), 0))
        term.taxonomy = taxonomy
        term.code = slugify(_text(document, "code") or _text(document, "name"))[:80]
        term.name = _text(document, "name")[:200]
        term.description = _text(document, "description")
        parent = _uuid(document.get("parent_id"))
        term.parent = TaxonomyTerm.objects.filter(pk=parent).first() if parent else None
        if parent and term.parent is None:
            self.problem(
                label, "parent_id", "The parent term is not in the directory.", blocking=False
            )
        return term if self.save(term, record=label) else None

    def organization(self, document: dict[str, Any], *, label: str) -> Organization | None:
        pk = _uuid(document.get("id"))
        if pk is None:
            self.problem(label, "id", "Not a UUID.")
            return None
        organization = Organization.objects.filter(pk=pk).first()
        if organization is None:
            # The same organization under another id: use ours rather than a copy.
            same = Organization.objects.filter(name__iexact=_text(document, "name"))
            website = _text(document, "website")
            match = next(
                (
                    o
                    for o in same
                    if not website
                    or not o.website
                    or _normal_url(o.website) == _normal_url(website)
                ),
                None,
            )
            if match is not None:
                self.problem(
                    label,
                    "id",
                    f"Matched the existing organization “{match.name}” by name; "
                    "its services are attached to it.",
                    blocking=False,
                )
                return match
            organization = Organization(pk=pk, slug=self._slug(Organization, document))
        organization.name = _text(document, "name")
        organization.alternate_name = _text(document, "alternate_name")
        organization.description = _text(document, "description")
        organization.website = _text(document, "website")
        organization.email = _text(document, "email")
        for key in UNKEPT_ORGANIZATION_FIELDS:
            if document.get(key) not in (None, "", []):
                self.problem(label, key, "Not kept by this directory; left out.", blocking=False)
        return organization if self.save(organization, record=label) else None

    @staticmethod
    def _slug(model: type[models.Model], document: dict[str, Any]) -> str:
        base = slugify(_text(document, "name"))[:180] or "listing"
        slug, n = base, 1
        while model.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    # --- services -----------------------------------------------------------------

    def service(
        self,
        document: dict[str, Any],
        *,
        label: str,
        organization: Organization | None = None,
    ) -> None:
        pk = _uuid(document.get("id"))
        if pk is None:
            self.problem(label, "id", "Not a UUID.")
            return
        if organization is None:
            organization = self._service_organization(document, label)
            if organization is None:
                return
        notes: list[str] = []
        values = self.service_values(document, label=label, notes=notes)
        existing = Resource.objects.filter(pk=pk).first()
        target = existing
        if existing is None:
            duplicate = self._duplicate(document, values)
            if duplicate is not None:
                resource, reason = duplicate
                if resource.pk in self.claimed:
                    self.problem(
                        label, "", f"The same listing as {self.claimed[resource.pk]} ({reason})."
                    )
                    return
                self.report.merges.append(MergeProposal(label, resource, reason))
                from directory.services import resource_change_start

                target = resource_change_start(resource=resource, user=self.user)
        if target is not None and target.pk in self.claimed:
            self.problem(
                label, "id", f"The same listing as {self.claimed[target.pk]} in this file."
            )
            return
        if target is None:
            target = Resource(pk=pk, slug=self._slug(Resource, document))
        self.claimed[target.pk] = label
        merging = target.pk != pk
        target.organization = organization
        for name, value in values["fields"].items():
            if merging and name == "status":
                continue  # a merge is a draft change; publishing is the editor's call
            setattr(target, name, value)
        if notes:
            target.needs_verification = True
            note = f"Left out when importing {self.source}:\n" + "\n".join(notes)
            if note not in target.internal_notes:
                target.internal_notes = "\n\n".join(p for p in (target.internal_notes, note) if p)
        if not self.save(target, record=label, exclude=["seed_values"]):
            return
        self._set_m2m(target, values)
        self._children(target, values, label)
        modified = values["last_modified"]
        if modified is not None and not merging:
            # Keep the source's last_modified, so a round trip gives the same document.
            Resource.objects.filter(pk=target.pk).update(updated_at=modified)

    def _service_organization(self, document: dict[str, Any], label: str) -> Organization | None:
        if isinstance(document.get("organization"), dict):
            return self.organization(document["organization"], label=f"{label}.organization")
        org_id = _uuid(document.get("organization_id"))
        organization = Organization.objects.filter(pk=org_id).first() if org_id else None
        if organization is None:
            self.problem(
                label,
                "organization_id",
                "Every service needs its organization, in the file or already in the directory.",
            )
        return organization

    def _duplicate(
        self, document: dict[str, Any], values: dict[str, Any]
    ) -> tuple[Resource, str] | None:
        name = values["fields"].get("name", "")
        candidates = Resource.objects.live().filter(name__iexact=name).prefetch_related("channels")
        numbers = {c.value for c in values["channels"] if c.kind in ContactChannel.NUMBER_KINDS}
        url = values["fields"].get("url", "")
        for candidate in candidates:
            same_numbers = numbers & {c.value for c in candidate.channels.all()}
            if same_numbers:
                return candidate, f"same name and phone {phones.format_number(min(same_numbers))}"
            if url and candidate.url and _normal_url(url) == _normal_url(candidate.url):
                return candidate, f"same name and website {candidate.url}"
        return None

    def service_values(
        self, document: dict[str, Any], *, label: str, notes: list[str]
    ) -> dict[str, Any]:
        """Our field values for an HSDS service, with what is left out noted."""
        summary, _, description = _text(document, "description").partition("\n\n")
        if len(summary) > 300:
            summary, description = (
                summary[:297].rsplit(" ", 1)[0] + "…",
                _text(document, "description"),
            )
        status = _text(document, "status")
        fields: dict[str, Any] = {
            "name": _text(document, "name"),
            "alternate_name": _text(document, "alternate_name"),
            "summary": summary,
            "description": description.strip(),
            "url": _text(document, "url"),
            "email": _text(document, "email"),
            "status": hsds.HSDS_TO_STATUS.get(status, PublicationStatus.DRAFT),
            "application_process": _text(document, "application_process"),
            "fees": _text(document, "fees_description"),
            "eligibility": _text(document, "eligibility_description"),
            "minimum_age": document.get("minimum_age"),
            "maximum_age": document.get("maximum_age"),
            "last_verified_on": parse_date(_text(document, "assured_date") or "") or None,
            "urgency": Urgency.SOON,
            "cost": Cost.UNKNOWN,
            "open_24_7": False,
            "hours_notes": "",
        }
        if status == "temporarily closed":
            notes.append("status: temporarily closed (kept as a draft)")
            self.problem(
                label, "status", "Temporarily closed: imported as a draft.", blocking=False
            )
        for key in UNKEPT_SERVICE_FIELDS:
            if document.get(key) not in (None, "", []):
                self.problem(label, key, "Not kept by this directory; left out.", blocking=False)
        modified = parse_datetime(_text(document, "last_modified") or "")
        if modified is not None and timezone.is_naive(modified):
            modified = timezone.make_aware(modified, timezone.utc)

        values: dict[str, Any] = {
            "fields": fields,
            "last_modified": modified,
            "kind": None,
            "topics": [],
            "audiences": [],
            "languages": [],
            "channels": [],
            "schedules": [],
            "areas": [],
            "locations": [],
        }
        self._attributes(document, label, values, notes)
        self._languages(document, label, values)
        self._phones(document, label, values, notes)
        self._urls_and_contacts(document, label, values, notes)
        self._schedules(document, label, values, notes)
        self._areas(document, label, values, notes)
        self._locations(document, label, values, notes)
        if values["kind"] is None:
            values["kind"] = self._fallback_kind(label, notes)
        fields["kind"] = values["kind"]
        return values

    def _attributes(self, document, label, values, notes) -> None:
        for i, attribute in enumerate(document.get("attributes") or []):
            where = f"attributes[{i}]"
            link_type = _text(attribute, "link_type")
            value = _text(attribute, "value")
            if link_type == "urgency":
                if value in Urgency.values:
                    values["fields"]["urgency"] = value
                else:
                    self.problem(label, f"{where}.value", f"Unknown urgency “{value}”.")
                continue
            if link_type == "cost":
                if value in Cost.values:
                    values["fields"]["cost"] = value
                else:
                    self.problem(label, f"{where}.value", f"Unknown cost “{value}”.")
                continue
            term_document = attribute.get("taxonomy_term")
            if link_type not in TAXONOMY_LINKS or not (
                term_document or attribute.get("taxonomy_term_id")
            ):
                name = (term_document or {}).get("name") or value or link_type
                notes.append(f"{where}: {name}")
                self.problem(
                    label,
                    where,
                    f"Not one of this directory's taxonomies (kind, topic, audience): “{name}”; "
                    "left out.",
                    blocking=False,
                )
                continue
            if term_document:
                term = self.term(term_document, label=f"{label}.{where}", taxonomy_code=link_type)
            else:
                term = TaxonomyTerm.objects.filter(pk=_uuid(attribute["taxonomy_term_id"])).first()
            if term is None:
                self.problem(label, f"{where}.taxonomy_term_id", "No such taxonomy term.")
                continue
            if term.taxonomy.code != link_type:
                self.problem(
                    label,
                    f"{where}.link_type",
                    f"The term “{term.name}” is in the taxonomy “{term.taxonomy.code}”, "
                    f"not “{link_type}”.",
                )
                continue
            if link_type == Taxonomy.KIND:
                values["kind"] = term
            else:
                values[f"{link_type}s"].append(term)

    def _fallback_kind(self, label: str, notes: list[str]) -> TaxonomyTerm | None:
        term = (
            TaxonomyTerm.objects.filter(
                taxonomy__code=Taxonomy.KIND, code="local-services"
            ).first()
            or TaxonomyTerm.objects.filter(taxonomy__code=Taxonomy.KIND).first()
        )
        if term is None:
            self.problem(
                label, "attributes", "No kind of resource is given, and none exists here."
            )
            return None
        notes.append(f"kind: none given; set to “{term.name}”")
        self.problem(
            label, "attributes", f"No kind given; set to “{term.name}” for review.", blocking=False
        )
        return term

    def _language(self, document: dict[str, Any]) -> Language | None:
        code = _text(document, "code").lower()
        if not code:
            return None
        language = Language.objects.filter(pk=code).first()
        if language is None:
            language = Language(code=code, name=_text(document, "name") or code)
            with transaction.atomic():
                language.save()
            self.report.created["languages"] += 1
        return language

    def _languages(self, document, label, values) -> None:
        for i, item in enumerate(document.get("languages") or []):
            language = self._language(item)
            if language is None:
                self.problem(label, f"languages[{i}].code", "A language needs its code.")
            else:
                values["languages"].append(language)

    def _phones(self, document, label, values, notes) -> None:
        for i, phone in enumerate(document.get("phones") or []):
            where = f"phones[{i}]"
            raw = _text(phone, "number").strip('"')
            kind = HSDS_PHONE_KINDS.get(_text(phone, "type") or "voice")
            if kind is None:
                notes.append(f"{where}: {raw} ({phone.get('type')})")
                self.problem(
                    label,
                    f"{where}.type",
                    f"“{phone.get('type')}” numbers are not listed here; left out.",
                    blocking=False,
                )
                continue
            try:
                number = phones.normalize_number(raw, text_only=kind == ChannelKind.TEXT)
            except ValidationError as error:
                if raw.startswith("+") and not raw.startswith("+1"):
                    notes.append(f"{where}: {raw}")
                    self.problem(
                        label,
                        f"{where}.number",
                        f"{raw} is outside North America, which this directory does not list; "
                        "left out.",
                        blocking=False,
                    )
                else:
                    for message in error.messages:
                        self.problem(label, f"{where}.number", message)
                continue
            # Our export writes "VANITY. instructions" (directory.hsds.phone_document).
            description = _text(phone, "description")
            vanity, _, rest = description.partition(". ")
            vanity = vanity.rstrip(".")
            if re.search(r"[A-Za-z]", vanity) and re.fullmatch(r"[0-9A-Za-z\-\s().+]+", vanity):
                try:
                    phones.check_vanity(vanity, number)
                except ValidationError:
                    vanity = ""
            else:
                vanity = ""
            instructions = rest if vanity else description
            languages = [self._language(item) for item in phone.get("languages") or []]
            values["channels"].append(
                ContactChannel(
                    pk=_uuid(phone.get("id")) or uuid.uuid4(),
                    kind=kind,
                    value=number,
                    vanity=vanity[:40],
                    instructions=instructions[:300],
                    language=next((lang for lang in languages if lang), None),
                )
            )

    def _urls_and_contacts(self, document, label, values, notes) -> None:
        for i, item in enumerate(document.get("additional_urls") or []):
            kind = URL_LABEL_KINDS.get(_text(item, "label").lower())
            if kind not in ContactChannel.URL_KINDS:
                notes.append(f"additional_urls[{i}]: {_text(item, 'url')}")
                self.problem(
                    label,
                    f"additional_urls[{i}]",
                    "Only chat and web-form links are kept; left out.",
                    blocking=False,
                )
                continue
            values["channels"].append(
                ContactChannel(
                    pk=_uuid(item.get("id")) or uuid.uuid4(), kind=kind, value=_text(item, "url")
                )
            )
        for i, contact in enumerate(document.get("contacts") or []):
            if not _text(contact, "email"):
                self.problem(
                    label,
                    f"contacts[{i}]",
                    "Contacts without an email are not kept; left out.",
                    blocking=False,
                )
                continue
            values["channels"].append(
                ContactChannel(
                    pk=_uuid(contact.get("id")) or uuid.uuid4(),
                    kind=ChannelKind.EMAIL,
                    value=_text(contact, "email"),
                    instructions=_text(contact, "name")[:300],
                )
            )

    def _schedules(self, document, label, values, notes) -> None:
        fields = values["fields"]
        for i, schedule in enumerate(document.get("schedules") or []):
            where = f"schedules[{i}]"
            days = [d.strip().upper() for d in _text(schedule, "byday").split(",") if d.strip()]
            opens, closes = _time(schedule.get("opens_at")), _time(schedule.get("closes_at"))
            description = _text(schedule, "description")
            if _text(schedule, "notes"):
                fields["hours_notes"] = _text(schedule, "notes")[:300]
            if description == hsds.OPEN_24_7_DESCRIPTION or (
                sorted(days) == sorted(hsds.BYDAY) and opens == time(0) and closes == time(23, 59)
            ):
                fields["open_24_7"] = True
                continue
            usable = (
                (_text(schedule, "freq") or "WEEKLY").upper() == "WEEKLY"
                and days
                and all(d in hsds.BYDAY for d in days)
                and opens is not None
                and closes is not None
                and opens != closes
            )
            if not usable:
                notes.append(f"{where}: {description or json.dumps(schedule)[:200]}")
                self.problem(
                    label,
                    where,
                    "Only weekly hours with days and opening and closing times are kept; "
                    "left out.",
                    blocking=False,
                )
                continue
            if match := TIME_ZONE_IN_DESCRIPTION.search(description):
                try:
                    validate_time_zone(match.group(1))
                except ValidationError:
                    pass
                else:
                    fields["time_zone"] = match.group(1)
            schedule_id = _uuid(schedule.get("id")) or uuid.uuid4()
            for day in days:
                pk = (
                    schedule_id if len(days) == 1 else uuid.UUID(hsds.derived_id(schedule_id, day))
                )
                values["schedules"].append(
                    Schedule(
                        pk=pk,
                        weekday=Weekday(hsds.BYDAY.index(day)),
                        opens_at=opens,
                        closes_at=closes,
                    )
                )

    def _areas(self, document, label, values, notes) -> None:
        scopes = {str(s.label): s.value for s in AreaScope}
        for i, area in enumerate(document.get("service_areas") or []):
            name, description = _text(area, "name"), _text(area, "description")
            pk = _uuid(area.get("id")) or uuid.uuid4()
            row = None
            if name == str(AreaScope.NATIONAL.label) and not description:
                row = ServiceArea(pk=pk, scope=AreaScope.NATIONAL)
            elif scopes.get(description) == AreaScope.STATE and name.upper() in US_STATES:
                row = ServiceArea(pk=pk, scope=AreaScope.STATE, state=name.upper())
            elif scopes.get(description) in (AreaScope.COUNTY, AreaScope.CITY):
                place, _, state = name.rpartition(", ")
                if place and state.upper() in US_STATES:
                    row = ServiceArea(
                        pk=pk, scope=scopes[description], name=place, state=state.upper()
                    )
            elif scopes.get(description) == AreaScope.ZIP and (
                match := re.fullmatch(r"(\d{5}) \(([A-Z]{2})\)", name)
            ):
                row = ServiceArea(pk=pk, scope=AreaScope.ZIP, postal_code=match[1], state=match[2])
            if row is None:
                notes.append(f"service_areas[{i}]: {name} {description}".strip())
                self.problem(
                    label,
                    f"service_areas[{i}]",
                    "Not an area this directory can represent (nationwide, a US state, county, "
                    "city or ZIP code); left out.",
                    blocking=False,
                )
                continue
            values["areas"].append(row)

    def _locations(self, document, label, values, notes) -> None:
        for i, link in enumerate(document.get("service_at_locations") or []):
            where = f"service_at_locations[{i}].location"
            location = link.get("location")
            if not isinstance(location, dict):
                self.problem(
                    label, where, "The location is not in the file; left out.", blocking=False
                )
                continue
            addresses = location.get("addresses") or []
            address = next(
                (a for a in addresses if a.get("address_type") == "physical"),
                addresses[0] if addresses else None,
            )
            state = _text(address or {}, "state_province").upper()
            country = (_text(address or {}, "country") or "US").upper()
            latitude, longitude = location.get("latitude"), location.get("longitude")
            reason = ""
            if address is None:
                reason = "it has no address"
            elif country != "US" or state not in US_STATES:
                reason = f"“{state or country}” is not a US state"
            elif (latitude is not None and not -90 <= latitude <= 90) or (
                longitude is not None and not -180 <= longitude <= 180
            ):
                reason = "its coordinates are out of range"
            if reason:
                notes.append(f"{where}: {_text(location, 'name')} ({reason})")
                self.problem(label, where, f"Not kept because {reason}; left out.", blocking=False)
                continue
            accessibility = "\n".join(
                _text(a, "description") for a in location.get("accessibility") or []
            )
            values["locations"].append(
                Location(
                    pk=_uuid(location.get("id")) or uuid.uuid4(),
                    name=_text(location, "name")[:200],
                    address_1=_text(address, "address_1")[:200],
                    address_2=_text(address, "address_2")[:200],
                    city=_text(address, "city")[:100],
                    state=state,
                    postal_code=_text(address, "postal_code")[:10],
                    country=country,
                    latitude=latitude,
                    longitude=longitude,
                    accessibility=accessibility,
                    transportation=_text(location, "transportation")[:300],
                )
            )

    # --- writing related rows -------------------------------------------------------

    def _set_m2m(self, resource: Resource, values: dict[str, Any]) -> None:
        for name in ("topics", "audiences", "languages"):
            wanted = {obj.pk for obj in values[name]}
            current = set(getattr(resource, name).values_list("pk", flat=True))
            if wanted != current:
                getattr(resource, name).set(wanted)

    def _children(self, resource: Resource, values: dict[str, Any], label: str) -> None:
        for key, model, prefix in (
            ("channels", ContactChannel, "phones"),
            ("schedules", Schedule, "schedules"),
            ("areas", ServiceArea, "service_areas"),
            ("locations", Location, "service_at_locations"),
        ):
            incoming = values[key]
            keep = {row.pk for row in incoming}
            for stale in model.objects.filter(resource=resource).exclude(pk__in=keep):
                stale._history_user = self.user
                stale.delete()
                self.report.updated[str(model._meta.verbose_name_plural)] += 1
            for position, row in enumerate(incoming):
                stored = model.objects.filter(pk=row.pk).first()
                row.resource = resource
                if isinstance(row, ContactChannel):
                    row.position = position
                    if stored is not None:
                        row.needs_verification = stored.needs_verification
                        row.keyword = stored.keyword
                if stored is not None:
                    row._state.adding = False
                self.save(row, record=label, prefix=f"{prefix}[{position}].")


def _term_order(documents: list[dict[str, Any]]) -> dict[str, int]:
    """A position for each taxonomy term, consistent with the order in which every
    service lists its terms (HSDS has no position; ours orders topics on a page).

    Each service's list is a chain of "comes before" links; a topological sort
    of all chains, breaking ties by first appearance, puts every pair of terms
    that share a service in the file's order.
    """
    services = []
    for document in documents:
        services += document.get("services") or []
        if document_kind(document) == "service":
            services.append(document)
    before: dict[str, set[str]] = {}
    first_seen: dict[str, int] = {}
    for service in services:
        previous: dict[str, str] = {}
        for attribute in service.get("attributes") or []:
            term_id = str((attribute.get("taxonomy_term") or {}).get("id") or "")
            link = _text(attribute, "link_type")
            if not term_id:
                continue
            first_seen.setdefault(term_id, len(first_seen))
            before.setdefault(term_id, set())
            if link in previous:
                before[term_id].add(previous[link])
            previous[link] = term_id
    order: dict[str, int] = {}
    remaining = sorted(first_seen, key=first_seen.__getitem__)
    while remaining:
        ready = next(
            (t for t in remaining if before[t] <= order.keys()),
            remaining[0],  # a cycle: go on
        )
        order[ready] = len(order)
        remaining.remove(ready)
    return order


def _time(value: Any) -> time | None:
    if not value:
        return None
    try:
        return time.fromisoformat(str(value)[:8])
    except ValueError:
        return None
