"""Who may read the API and how fast: throttles per IP, API keys, CORS, the error shape."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import caches
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from config.api_access import APIKeyThrottle, ClientIPThrottle, WindowRateThrottle
from directory import api as directory_api

pytestmark = pytest.mark.django_db

URL = "/api/v1/taxonomy-terms/"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


NOW = 1_700_000_010.0  # 30 seconds before a minute's window ends


@pytest.fixture
def low_limits(monkeypatch):
    monkeypatch.setattr(ClientIPThrottle, "rate", "3/min", raising=False)
    monkeypatch.setattr(APIKeyThrottle, "rate", "6/min", raising=False)
    # Windows follow the clock; a fixed time keeps a test inside one window.
    monkeypatch.setattr(WindowRateThrottle, "timer", staticmethod(lambda: NOW))


def statuses(api, n, **headers):
    return [api.get(URL, **headers).status_code for _ in range(n)]


def test_anonymous_clients_are_throttled_per_ip_with_retry_after(api, low_limits):
    assert statuses(api, 3, REMOTE_ADDR="192.0.2.1") == [200, 200, 200]
    response = api.get(URL, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert (body["status"], body["code"]) == (429, "throttled")
    assert body["message"].startswith("Request was throttled. Expected available in")
    # Another address has its own allowance.
    assert api.get(URL, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_spoofed_forwarded_for_header_does_not_escape_the_limit(api, low_limits, settings):
    settings.NUM_PROXIES = 0
    codes = [
        api.get(URL, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_behind_a_proxy_the_forwarded_client_address_is_throttled(api, low_limits, settings):
    settings.NUM_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert statuses(api, 3, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy) == [200] * 3
    assert api.get(URL, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 429
    # A different client behind the same proxy is counted apart; what the
    # client itself put further left in the header is ignored.
    assert api.get(URL, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.8", **proxy).status_code == 200


def test_an_api_key_gets_the_higher_limit_counted_per_key(api, low_limits):
    _, key = APIKey.objects.create_key(name="Partner 211")
    codes = statuses(api, 7, REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert codes == [200] * 6 + [429]
    # The key's use does not eat into the anonymous allowance of that address.
    assert api.get(URL, REMOTE_ADDR="192.0.2.1").status_code == 200


def test_the_x_api_key_header_works_too(api, low_limits):
    _, key = APIKey.objects.create_key(name="Partner")
    assert statuses(api, 5, REMOTE_ADDR="192.0.2.9", HTTP_X_API_KEY=key) == [200] * 5


@pytest.mark.parametrize("case", ["unknown", "revoked", "expired", "garbage"])
def test_a_bad_api_key_is_a_401_not_a_silent_downgrade(api, case):
    api_key, key = APIKey.objects.create_key(name="Partner")
    if case == "unknown":
        key = key[:-1] + ("A" if key[-1] != "A" else "B")
    elif case == "revoked":
        api_key.revoked = True
        api_key.save()
    elif case == "expired":
        api_key.expiry_date = timezone.now() - datetime.timedelta(days=1)
        api_key.save()
    else:
        key = "\x00" + "x" * 500
    response = api.get(URL, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["code"] == "invalid_api_key"


def test_api_keys_are_managed_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/rest_framework_api_key/apikey/add/", {"name": "211 of Example County"}
    )
    assert response.status_code == 302
    assert APIKey.objects.get().name == "211 of Example County"


def test_a_new_window_gives_a_new_allowance(api, low_limits, monkeypatch):
    assert statuses(api, 4, REMOTE_ADDR="192.0.2.1") == [200, 200, 200, 429]
    monkeypatch.setattr(WindowRateThrottle, "timer", staticmethod(lambda: NOW + 30))
    assert statuses(api, 1, REMOTE_ADDR="192.0.2.1") == [200]


def test_throttle_counts_are_shared_by_worker_processes_through_redis(
    api, low_limits, shared_redis, settings
):
    first_worker = caches["default"]
    assert statuses(api, 2, REMOTE_ADDR="192.0.2.77") == [200, 200]
    settings.CACHES = shared_redis  # new connections, as another worker has
    assert caches["default"] is not first_worker
    assert statuses(api, 1, REMOTE_ADDR="192.0.2.77") == [200]
    response = api.get(URL, REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 429
    assert response["Retry-After"] == "30"  # the rest of the minute
    assert response.json()["code"] == "throttled"
    # The count is one atomic counter in Redis, not a per-process list.
    assert caches["default"].get(f"throttle_anon_192.0.2.77_{int(NOW // 60)}") == 4


# --- CORS ------------------------------------------------------------------------------


def test_cors_is_open_for_reads_of_the_api(api):
    response = api.get(URL, HTTP_ORIGIN="https://partner.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = api.options(
        URL, HTTP_ORIGIN="https://partner.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert set(preflight["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_cors_does_not_extend_to_the_website_or_admin(client):
    response = client.get("/admin/login/", HTTP_ORIGIN="https://partner.example")
    assert "Access-Control-Allow-Origin" not in response


# --- Errors ----------------------------------------------------------------------------


def test_writes_are_a_405_in_the_error_shape(api):
    for method in (api.post, api.put, api.patch, api.delete):
        response = method("/api/v1/resources/")
        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"


def test_an_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == [
        {
            "field": None,
            "code": "not_found",
            "message": "There is no API endpoint at /api/v1/no-such-thing/. See /api/docs/.",
        }
    ]


def test_an_unexpected_error_is_a_bare_500_without_details(api, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError('SELECT secret FROM "directory_resource" -- password=hunter2')

    monkeypatch.setattr(directory_api.ResourceViewSet, "list", explode)
    response = api.get("/api/v1/resources/")
    assert response.status_code == 500
    assert response.json() == {
        "status": 500,
        "code": "error",
        "message": "Something went wrong on our side. It has been logged; please try again later.",
        "errors": [
            {
                "field": None,
                "code": "error",
                "message": "Something went wrong on our side. It has been logged; "
                "please try again later.",
            }
        ],
    }
    assert "hunter2" not in response.content.decode()
    assert "hunter2" in caplog.text  # logged for us, not shown to them


def test_validation_errors_name_each_field(api):
    response = api.get("/api/hsds/services", {"per_page": 500, "taxonomy_id": "x"})
    assert response.status_code == 400
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert fields == {("per_page", "max_value"), ("taxonomy_id", "invalid")}


def test_the_browsable_api_renders_without_filter_forms(api, seeded):
    response = api.get("/api/v1/taxonomy-terms/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Crisis line" in html
    assert "filtersModal" not in html
    assert "<select" not in html
