"""The CSV tabular form of HSDS 3.1: one CSV file per table, in a zip archive.

HSDS defines the same data twice: as nested JSON documents (a service with its
phones, schedules, locations…) and as flat tables that link rows by id
(``phones.csv`` rows carry a ``service_id``). ``flatten`` turns our nested
service and organization documents (``directory.hsds``) into tables and
``assemble`` turns tables (ours, or another directory's, as in the official
``tabular`` example) back into nested documents, so the JSON importer does
the rest. Cell types come back from the HSDS schemas (a ``minimum_age`` cell
is a number), and empty cells mean "not given".
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from directory.hsds import SCHEMA_DIR

# Table file → the schema that types its columns. Read in this order.
TABLES: dict[str, str] = {
    "taxonomies.csv": "taxonomy",
    "taxonomy_terms.csv": "taxonomy_term",
    "organizations.csv": "organization",
    "services.csv": "service",
    "phones.csv": "phone",
    "schedules.csv": "schedule",
    "service_areas.csv": "service_area",
    "languages.csv": "language",
    "attributes.csv": "attribute",
    "urls.csv": "url",
    "contacts.csv": "contact",
    "service_at_location.csv": "service_at_location",
    "locations.csv": "location",
    "addresses.csv": "address",
    "accessibility.csv": "accessibility",
}
# Other spellings found in the wild (the official example uses the singular).
ALIASES = {"service_at_locations.csv": "service_at_location.csv"}


class TabularError(ValueError):
    """The archive cannot be read as HSDS tables; the message says where."""


@dataclass(frozen=True)
class TableProblem:
    table: str
    row: int
    field: str
    message: str


@cache
def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _columns(table: str) -> list[str]:
    """A table's columns: the schema's scalar properties, then its link columns."""
    properties = _schema(TABLES[table])["properties"]
    return [
        name
        for name, spec in properties.items()
        if spec.get("type") not in ("array", "object") and "$ref" not in spec
    ]


def _coerce(table: str, row: dict[str, str], number: int) -> tuple[dict[str, Any], list]:
    schema = _schema(TABLES[table])
    properties = schema["properties"]
    values: dict[str, Any] = {}
    problems = []
    for name, raw in row.items():
        if name is None or raw is None or raw.strip() == "":
            # An empty cell is "not given", except where HSDS requires the field:
            # then it is an empty string (an organization's blank description).
            if name in schema.get("required", ()) and properties[name].get("type") == "string":
                values[name] = ""
            continue
        kind = properties.get(name, {}).get("type")
        if kind in ("number", "integer"):
            try:
                value = float(raw)
            except ValueError:
                problems.append(TableProblem(table, number, name, f"“{raw}” is not a number."))
                continue
            values[name] = int(value) if value.is_integer() else value
        elif kind == "boolean":
            values[name] = raw.strip().lower() in ("true", "1", "yes")
        else:
            values[name] = raw
    return values, problems


# --- Reading ------------------------------------------------------------------


def read_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    """The CSV files of a zip archive, by table name; raises ``TabularError``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise TabularError("The file is not a zip archive of CSV files.") from error
    tables: dict[str, list[dict[str, str]]] = {}
    for info in archive.infolist():
        name = info.filename.rsplit("/", 1)[-1]
        name = ALIASES.get(name, name)
        if info.is_dir() or not name.endswith(".csv"):
            continue
        if name not in TABLES:
            continue  # tables this directory does not hold are reported by the importer
        try:
            text = archive.read(info).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise TabularError(f"{name} is not UTF-8 text.") from error
        tables[name] = list(csv.DictReader(io.StringIO(text)))
    if "services.csv" not in tables and "organizations.csv" not in tables:
        raise TabularError("The archive has neither services.csv nor organizations.csv.")
    return tables


def unknown_tables(data: bytes) -> list[str]:
    """CSV files in the archive that this directory has no table for."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [i.filename.rsplit("/", 1)[-1] for i in archive.infolist() if not i.is_dir()]
    return sorted(n for n in names if n.endswith(".csv") and ALIASES.get(n, n) not in TABLES)


def assemble(
    tables: dict[str, list[dict[str, str]]],
) -> tuple[list[dict[str, Any]], list[TableProblem]]:
    """Nested HSDS documents (organizations with their services, and services
    without a known organization) from ``tables``, and the problems found."""
    problems: list[TableProblem] = []
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        typed = []
        for number, row in enumerate(tables.get(table, []), start=2):  # row 1 is the header
            values, row_problems = _coerce(table, row, number)
            problems += row_problems
            values["_row"] = f"{table} row {number}"
            typed.append(values)
        rows[table] = typed

    def by(table: str, key: str) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows[table]:
            if row.get(key):
                grouped[row[key]].append(row)
        return grouped

    def clean(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not k.startswith("_")}

    taxonomies = {r["id"]: clean(r) for r in rows["taxonomies.csv"] if "id" in r}
    terms = {}
    for row in rows["taxonomy_terms.csv"]:
        term = clean(row)
        if term.get("taxonomy_id") in taxonomies:
            term["taxonomy_detail"] = taxonomies[term["taxonomy_id"]]
        terms[term.get("id")] = term
    phone_languages = by("languages.csv", "phone_id")
    service_languages = by("languages.csv", "service_id")
    addresses = by("addresses.csv", "location_id")
    accessibility = by("accessibility.csv", "location_id")
    locations = {r["id"]: r for r in rows["locations.csv"] if "id" in r}

    def location(location_id: str) -> dict[str, Any]:
        doc = clean(locations[location_id])
        doc["addresses"] = [clean(a) for a in addresses.get(location_id, [])]
        doc["accessibility"] = [clean(a) for a in accessibility.get(location_id, [])]
        return {k: v for k, v in doc.items() if v != []}

    def attribute(row: dict[str, Any]) -> dict[str, Any]:
        doc = clean(row)
        term_id = doc.get("taxonomy_term_id")
        if term_id in terms:
            doc["taxonomy_term"] = terms[term_id]
        elif term_id:
            problems.append(
                TableProblem(
                    "attributes.csv",
                    int(row["_row"].rsplit(" ", 1)[1]),
                    "taxonomy_term_id",
                    f"{term_id} is not in taxonomy_terms.csv.",
                )
            )
        return doc

    children = {
        "phones": by("phones.csv", "service_id"),
        "schedules": by("schedules.csv", "service_id"),
        "service_areas": by("service_areas.csv", "service_id"),
        "additional_urls": by("urls.csv", "service_id"),
        "contacts": by("contacts.csv", "service_id"),
        "service_at_locations": by("service_at_location.csv", "service_id"),
        "attributes": by("attributes.csv", "link_id"),
    }
    service_ids = {r.get("id") for r in rows["services.csv"]}
    for table, key in (
        ("phones.csv", "service_id"),
        ("schedules.csv", "service_id"),
        ("service_areas.csv", "service_id"),
        ("service_at_location.csv", "service_id"),
    ):
        for row in rows[table]:
            if row.get(key) and row[key] not in service_ids:
                number = int(row["_row"].rsplit(" ", 1)[1])
                problems.append(
                    TableProblem(table, number, key, f"{row[key]} is not in services.csv.")
                )

    services_by_org: dict[str, list[dict[str, Any]]] = defaultdict(list)
    orphans = []
    organization_ids = {r.get("id") for r in rows["organizations.csv"]}
    for row in rows["services.csv"]:
        service = clean(row)
        sid = service.get("id")
        service["phones"] = [
            {
                **clean(p),
                "languages": [clean(lang) for lang in phone_languages.get(p.get("id"), [])],
            }
            for p in children["phones"].get(sid, [])
        ]
        for name in ("schedules", "service_areas", "additional_urls", "contacts"):
            service[name] = [clean(r) for r in children[name].get(sid, [])]
        service["languages"] = [
            clean(r) for r in service_languages.get(sid, []) if not r.get("phone_id")
        ]
        service["attributes"] = [attribute(r) for r in children["attributes"].get(sid, [])]
        sals = []
        for sal in children["service_at_locations"].get(sid, []):
            doc = clean(sal)
            if doc.get("location_id") in locations:
                doc["location"] = location(doc["location_id"])
            elif doc.get("location_id"):
                number = int(sal["_row"].rsplit(" ", 1)[1])
                problems.append(
                    TableProblem(
                        "service_at_location.csv",
                        number,
                        "location_id",
                        f"{doc['location_id']} is not in locations.csv.",
                    )
                )
            sals.append(doc)
        service["service_at_locations"] = sals
        for phone in service["phones"]:
            if not phone["languages"]:
                del phone["languages"]
        service = {k: v for k, v in service.items() if v != []}
        if service.get("organization_id") in organization_ids:
            services_by_org[service["organization_id"]].append(service)
        else:
            orphans.append(service)

    documents = []
    for row in rows["organizations.csv"]:
        organization = clean(row)
        organization.setdefault("description", "")
        organization["services"] = services_by_org.get(organization.get("id"), [])
        documents.append(organization)
    return documents + orphans, problems


# --- Writing ------------------------------------------------------------------


def flatten(organizations: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Tables from organization documents with nested ``services`` (our export form)."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    seen: dict[str, set[str]] = defaultdict(set)

    def add(table: str, row: dict[str, Any]) -> None:
        # Shared rows (a taxonomy term used by many services) are written once.
        if row.get("id") in seen[table]:
            return
        seen[table].add(row.get("id"))
        tables[table].append(row)

    for organization in organizations:
        add("organizations.csv", organization)
        for service in organization.get("services", []):
            add("services.csv", {**service, "organization_id": organization["id"]})
            sid = service["id"]
            for phone in service.get("phones", []):
                add("phones.csv", {**phone, "service_id": sid})
                for language in phone.get("languages", []):
                    add("languages.csv", {**language, "phone_id": phone["id"]})
            for name, table in (
                ("schedules", "schedules.csv"),
                ("service_areas", "service_areas.csv"),
                ("additional_urls", "urls.csv"),
                ("contacts", "contacts.csv"),
            ):
                for row in service.get(name, []):
                    add(table, {**row, "service_id": sid})
            for language in service.get("languages", []):
                add("languages.csv", {**language, "service_id": sid})
            for attribute in service.get("attributes", []):
                term = attribute.get("taxonomy_term")
                if term:
                    if term.get("taxonomy_detail"):
                        add("taxonomies.csv", term["taxonomy_detail"])
                    add("taxonomy_terms.csv", term)
                add("attributes.csv", attribute)
            for sal in service.get("service_at_locations", []):
                add("service_at_location.csv", sal)
                location = sal.get("location")
                if location:
                    add("locations.csv", location)
                    for address in location.get("addresses", []):
                        add("addresses.csv", {**address, "location_id": location["id"]})
                    for item in location.get("accessibility", []):
                        add("accessibility.csv", {**item, "location_id": location["id"]})
    return tables


def write_zip(tables: dict[str, list[dict[str, Any]]]) -> bytes:
    """A zip of one CSV per non-empty table, columns in the schema's order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, table_rows in tables.items():
            if not table_rows:
                continue
            out = io.StringIO()
            writer = csv.DictWriter(
                out, fieldnames=_columns(table), extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            for row in table_rows:
                writer.writerow({k: v for k, v in row.items() if not isinstance(v, (list, dict))})
            # A fixed timestamp makes the same data give the same archive.
            info = zipfile.ZipInfo(table, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, out.getvalue())
    return buffer.getvalue()
