"""The API benchmark's report: each scenario's share of the bare view's throughput."""

from __future__ import annotations

import io
from wsgiref.util import setup_testing_defaults

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from directory.management.commands import bench_api
from directory.management.commands.bench_api import BARE_PATH, Command, Result, _median_result


def _result(rps: float) -> Result:
    return Result(rps=rps, p50_ms=1.0, p99_ms=2.0, errors=0)


def test_each_share_is_against_the_bare_run_just_before_it_and_the_bare_row_is_their_median():
    scenarios = [("bare", BARE_PATH), ("list", "/api/v1/resources/"), ("search", "/s")]
    bare_before = {
        ("list", False): _result(1000),
        ("search", False): _result(800),
        ("list", True): _result(2000),
        ("search", True): _result(1600),
    }
    results = {
        ("list", False): _result(100),
        ("search", False): _result(400),
        ("list", True): _result(1000),
        ("search", True): _result(400),
    }
    for cached in (False, True):
        runs = [r for (_, c), r in bare_before.items() if c == cached]
        results[("bare", cached)] = bare_before[("bare", cached)] = _median_result(runs)
    command = Command(stdout=io.StringIO())

    command._report(scenarios, results, bare_before, {})

    rows = {line.split()[0]: line for line in command.stdout._out.getvalue().splitlines() if line}
    assert rows["list"].split()[4] == "10%" and rows["list"].split()[-1] == "50%"
    assert rows["search"].split()[4] == "50%" and rows["search"].split()[-1] == "25%"
    assert rows["bare"].split()[1] == "900" and rows["bare"].split()[4] == "100%"


def test_the_database_bound_share_is_what_the_cores_could_serve_on_database_time_alone(
    monkeypatch,
):
    monkeypatch.setattr(bench_api.os, "cpu_count", lambda: 2)
    scenarios = [("bare", BARE_PATH), ("search", "/s")]
    bare_before = {(name, cached): _result(1000) for name, _ in scenarios for cached in (0, 1)}
    results = {(name, cached): _result(100) for name, _ in scenarios for cached in (0, 1)}
    command = Command(stdout=io.StringIO())

    # 2 cores, 8 ms of statements a request: at most 250 requests a second.
    command._report(scenarios, results, bare_before, {"search": 8.0})

    lines = command.stdout._out.getvalue().splitlines()
    rows = {line.split()[0]: line.split() for line in lines if line}
    assert rows["search"][5:7] == ["8.0", "25%"]
    assert rows["bare"][5:7] == ["0.0", "-"]


def _get(application, path: str) -> tuple[str, dict[str, str]]:
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, HTTP_HOST="testserver", HTTP_ACCEPT="application/json")
    started: dict = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    # As Django's test client does: the test's database connection (and its
    # transaction) must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"]


def test_the_benchmark_server_says_how_long_each_response_spent_in_the_database(seeded, settings):
    # Importing the module points ROOT_URLCONF at its URLs: inside this
    # override, which the fixture undoes after the test.
    settings.ROOT_URLCONF = "config.urls"
    from config import bench_wsgi

    settings.ROOT_URLCONF = bench_wsgi.__name__

    status, headers = _get(bench_wsgi.application, "/api/v1/resources/")
    bare_status, bare_headers = _get(bench_wsgi.application, BARE_PATH)

    assert status.startswith("200") and bare_status.startswith("200")
    assert float(headers["Server-Timing"].removeprefix("db;dur=")) > 0
    assert bare_headers["Server-Timing"] == "db;dur=0.000"
