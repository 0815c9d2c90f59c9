"""check_links against a local HTTP server (pytest-httpserver), never the internet."""

from __future__ import annotations

import time

import httpx
import pytest
from django.core.management import call_command
from pytest_httpserver import HTTPServer
from werkzeug import Response

from directory.links import check_links, directory_urls
from directory.models import ContactChannel, LinkCheck, Resource
from tests.factories import ContactChannelFactory, ResourceFactory


@pytest.fixture(scope="module")
def make_httpserver():
    """pytest-httpserver's server, threaded so a slow page never holds up the next."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Fail any test here that would send a request beyond this machine."""
    send = httpx.AsyncClient.send

    async def guarded(self, request, **kwargs):
        assert request.url.host in {"localhost", "127.0.0.1", "::1"}, f"{request.url} is remote"
        return await send(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", guarded)


@pytest.fixture
def site(httpserver):
    """A local site with a good page, redirects, a missing page and a slow one."""
    httpserver.expect_request("/good").respond_with_data("ok")
    httpserver.expect_request("/old").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/good")})
    )
    httpserver.expect_request("/login").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/good")})
    )
    httpserver.expect_request("/missing").respond_with_data("no", status=404)

    def slow(request):
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    return httpserver


def run(urls, **kwargs):
    options = {"timeout": 0.3, "retries": 0, "backoff": 0.01, "concurrency": 4}
    return check_links(urls=urls, **{**options, **kwargs})


def test_each_kind_of_url_is_recorded_correctly(db, site):
    urls = {name: site.url_for(f"/{name}") for name in ("good", "old", "login", "missing", "slow")}
    report = run(urls.values())

    checks = {c.url: c for c in LinkCheck.objects.all()}
    good = checks[urls["good"]]
    assert (good.result, good.status_code, good.final_url) == ("ok", 200, urls["good"])
    moved = checks[urls["old"]]
    assert (moved.result, moved.final_url) == ("moved", urls["good"])
    redirected = checks[urls["login"]]
    assert (redirected.result, redirected.final_url) == ("redirected", urls["good"])
    missing = checks[urls["missing"]]
    assert (missing.result, missing.status_code) == ("broken", 404)
    slow = checks[urls["slow"]]
    assert (slow.result, slow.status_code, slow.error) == ("broken", None, "timed out")
    assert all(c.checked_at for c in checks.values())
    assert report.summary() == (
        "Checked 5 link(s): 1 working, 1 working, temporarily redirected, "
        "1 moved permanently, 2 broken."
    )


def test_a_temporary_failure_is_retried(db, httpserver):
    httpserver.expect_oneshot_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_request("/flaky").respond_with_data("ok")
    run([httpserver.url_for("/flaky")], retries=2)
    assert LinkCheck.objects.get().result == "ok"
    assert [r.path for r, _ in httpserver.log if r.path == "/flaky"] == ["/flaky", "/flaky"]


def test_a_missing_page_is_not_retried(db, httpserver):
    httpserver.expect_request("/missing").respond_with_data("no", status=404)
    run([httpserver.url_for("/missing")], retries=2)
    assert [r.path for r, _ in httpserver.log if r.path == "/missing"] == ["/missing"]


def test_requests_carry_a_polite_user_agent(db, httpserver, settings):
    settings.LINK_CHECK_USER_AGENT = "AllyDirectoryLinkChecker/test"
    httpserver.expect_request(
        "/ua", headers={"User-Agent": "AllyDirectoryLinkChecker/test"}
    ).respond_with_data("ok")
    run([httpserver.url_for("/ua")])
    assert LinkCheck.objects.get().result == "ok"


def test_consecutive_failures_are_counted_and_reset_on_success(db, httpserver):
    httpserver.expect_oneshot_request("/down").respond_with_data("no", status=404)
    httpserver.expect_oneshot_request("/down").respond_with_data("no", status=404)
    httpserver.expect_request("/down").respond_with_data("ok")
    url = httpserver.url_for("/down")
    run([url])
    run([url])
    assert LinkCheck.objects.get().failures == 2
    run([url])
    assert LinkCheck.objects.get().failures == 0


def test_the_command_checks_the_directory_and_flags_listings_into_the_queue(db, site, capsys):
    # Every address is the local server's: tests never reach the internet.
    broken = ResourceFactory(name="Broken", url=site.url_for("/missing"), organization__website="")
    moved = ResourceFactory(name="Moved", organization__website=site.url_for("/old"))
    fine = ResourceFactory(name="Fine", url=site.url_for("/good"), organization__website="")
    ContactChannelFactory(
        resource=fine, kind=ContactChannel.Kind.CHAT, value=site.url_for("/login")
    )

    call_command("check_links", "--timeout=0.3", "--retries=0")

    out = capsys.readouterr().out
    assert f"BROKEN   {site.url_for('/missing')}" in out
    assert "Checked 4 link(s)" in out
    assert set(Resource.objects.with_link_problems()) == {broken, moved}
    assert set(Resource.objects.verification_queue()) >= {broken, moved}


def test_draft_copies_and_non_web_values_are_not_checked(db):
    live = ResourceFactory(url="https://example.org/live", organization__website="")
    ResourceFactory(url="https://example.org/draft", organization__website="", draft_of=live)
    ContactChannelFactory(resource=live, kind=ContactChannel.Kind.EMAIL, value="help@example.org")
    assert directory_urls() == ["https://example.org/live"]


def test_the_api_shows_each_resources_website_check(db, client):
    from tests.factories import LinkCheckFactory

    checked = ResourceFactory(url="https://example.org/gone", organization__website="")
    unchecked = ResourceFactory(url="https://example.org/new", organization__website="")
    LinkCheckFactory(
        url="https://example.org/gone", result=LinkCheck.Result.BROKEN, status_code=404
    )

    body = client.get(f"/api/v1/resources/{checked.pk}/").json()
    assert body["website_check"]["result"] == "broken"
    assert body["website_check"]["checked_at"]
    assert client.get(f"/api/v1/resources/{unchecked.pk}/").json()["website_check"] is None
    listed = {
        r["id"]: r["website_check"] for r in client.get("/api/v1/resources/").json()["results"]
    }
    assert listed[str(checked.pk)]["result"] == "broken"
