"""The OpenAPI schema and the interactive docs, served offline from our own static files."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Ally Directory API"


def test_the_schema_covers_both_apis(schema):
    paths = set(schema["paths"])
    assert {
        "/api/v1/resources/",
        "/api/v1/resources/{id}/",
        "/api/v1/resource-changes/",
        "/api/v1/organizations/",
        "/api/v1/taxonomy-terms/",
        "/api/hsds/",
        "/api/hsds/services",
        "/api/hsds/services/{id}",
        "/api/hsds/service_at_locations",
        "/api/hsds/organizations/{id}",
        "/api/hsds/taxonomies",
        "/api/hsds/taxonomy_terms",
    } <= paths


def test_every_operation_documents_the_error_responses(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("400", "401", "404", "405", "429", "500"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/Error"}, (path, method, status)
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["status", "code", "message", "errors"]


def test_parameters_and_enums_are_described(schema):
    services = schema["paths"]["/api/hsds/services"]["get"]["parameters"]
    names = {p["name"] for p in services}
    assert {"search", "page", "per_page", "taxonomy_id", "taxonomy_term_id", "organization_id",
            "modified_after", "minimal", "full", "format"} <= names  # fmt: skip
    per_page = next(p for p in services if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    fmt = next(p for p in services if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["json", "ndjson"] or "$ref" in fmt["schema"]
    resource = schema["components"]["schemas"]["Resource"]["properties"]
    assert "$ref" in resource["urgency"] or "enum" in resource["urgency"]


def test_hsds_operations_reference_the_official_schemas(schema):
    components = schema["components"]["schemas"]
    service = schema["paths"]["/api/hsds/services/{id}"]["get"]["responses"]["200"]
    assert service["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HSDSService"
    }
    assert components["HSDSService"]["required"] == ["id", "name", "status"]
    assert components["HSDSService"]["properties"]["phones"]["items"] == {
        "$ref": "#/components/schemas/HSDSPhone"
    }
    assert "core" not in components["HSDSService"]["properties"]["id"]


def test_api_keys_are_documented_as_an_optional_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert {} in schema["paths"]["/api/v1/resources/"]["get"]["security"]


def _local_assets(html: str) -> list[str]:
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not served by us"
    return assets


def test_swagger_ui_is_served_from_local_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    for asset in _local_assets(response.content.decode()):
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_redoc_is_served_from_local_static_files_without_web_fonts(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "googleapis" not in html and "gstatic" not in html
    for asset in _local_assets(html):
        assert finders.find(asset.removeprefix("/static/")), asset
