"""drf-spectacular hooks: the error shape on every operation, and HSDS schemas as components.

The HSDS 3.1 JSON Schemas in ``directory/hsds_schema/`` become components
named ``HSDS<Table>`` (their file-name ``$ref``s rewritten to component
references, their non-OpenAPI keywords dropped), so the ``/api/hsds/``
operations document exactly the official fields, and schema-aware clients and
tests check our HSDS responses against them.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from directory.hsds import SCHEMA_DIR

ERROR_RESPONSES = {
    "400": "A query parameter is not valid; `errors` names each one and why.",
    "401": "The API key sent is unknown, revoked or expired.",
    "404": "No such object, page or endpoint.",
    "405": "The API is read-only: only GET, HEAD and OPTIONS are allowed.",
    "429": "Rate limit exceeded; retry after the number of seconds in `Retry-After`.",
    "500": "An unexpected error on our side (logged; no details are exposed).",
}
ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every error response.",
    "required": ["status", "code", "message", "errors"],
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status code."},
        "code": {"type": "string", "description": "A stable, machine-readable code."},
        "message": {"type": "string", "description": "What went wrong, in plain words."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "description": "The parameter at fault; null for the whole request.",
                    },
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
# Keywords of the HSDS files that OpenAPI schema objects also have.
_OPENAPI_KEYWORDS = {
    "type", "properties", "items", "format", "enum", "description", "title", "required",
    "example",
}  # fmt: skip


def hsds_component_name(file_name: str) -> str:
    table = file_name.removesuffix(".json")
    return "HSDS" + "".join(part.title() for part in table.split("_"))


def _to_openapi(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_to_openapi(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return {"$ref": f"#/components/schemas/{hsds_component_name(schema['$ref'])}"}
    converted = {}
    for key, value in schema.items():
        if key == "properties":
            converted[key] = {name: _to_openapi(prop) for name, prop in value.items()}
        elif key == "items":
            converted[key] = _to_openapi(value)
        elif key in _OPENAPI_KEYWORDS:
            converted[key] = value
    return converted


@cache
def hsds_components() -> dict[str, Any]:
    components = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        if path.name in ("openapi.json", "meta_table_description.json"):
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        components[hsds_component_name(path.name)] = _to_openapi(schema)
    # The HSDS API's extra nested documents (see directory.hsds).
    service_ref = {"$ref": "#/components/schemas/HSDSService"}
    organization = components["HSDSOrganization"]
    organization["properties"]["services"] = {"type": "array", "items": service_ref}
    components["HSDSServiceAtLocation"]["properties"]["service"] = service_ref
    return components


def add_hsds_components(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict:
    """Add the HSDS components and document the error shape on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(hsds_components())
    schemas["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
            if "304" not in responses:
                responses["304"] = {"description": "Not modified since the ETag you sent."}
    return result
