"""Benchmark the public API over HTTP: gunicorn, 2 sync workers, 16 connections.

For each scenario (list, searches, facets, suggest, HSDS pages) it reports
requests per second and p50/p99 latency, next to a bare Django view that
returns a fixed JSON body on the same server (``config.bench_wsgi``), so
the ratio shows what the API costs over the framework itself. The bare view
is measured again just before each scenario, and each ratio is to that
run, so the machine's drift over a run does not show as overhead. Each scenario
runs twice: uncached (``ALLY_API_RESPONSE_CACHE=0``) and with the response
cache warm, each after a few warm-up requests per worker (steady use, not a
worker's first request). Uncached rows also show the time of a request's
database statements (``db ms``, from the ``Server-Timing`` header that only
``config.bench_wsgi`` adds, one request at a time) and ``db max``: the share
of the bare view the machine's cores could serve if a request took only that
time, an upper bound on what any Python code could reach.

The load comes from ``wrk`` (``apt-get install wrk``) when it is installed,
else from a bounded Python load generator; both talk to 127.0.0.1 only. The
server uses the database this command sees (``DATABASE_URL`` or SQLite) and
Redis as the shared cache when ``REDIS_URL`` is set. With ``--count N`` and
the search module's ``generate_resources`` command available, synthetic
resources are generated first until there are N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ally_api \\
        python manage.py bench_api --count 100000
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from directory.management.commands.bench_search import database_memory, search_mix
from directory.models import Resource

HOST = "127.0.0.1"
BARE_PATH = "/bench/bare/"


def scenarios() -> list[tuple[str, str]]:
    """(label, path) of each scenario: the bare view, the list, every search of
    ``bench_search``'s mix (the same words, from the same data), facets,
    suggest and HSDS pages."""
    searches = [
        (f"v1 {label}", "/api/v1/resources/?" + urllib.parse.urlencode(params))
        for label, params in search_mix()
    ]
    return [
        ("bare Django view (fixed JSON)", BARE_PATH),
        ("v1 list, first page", "/api/v1/resources/"),
        *searches,
        ("v1 facets for a search", "/api/v1/facets/?q=depression"),
        ("v1 suggest", "/api/v1/suggest/?q=cri"),
        ("HSDS services page", "/api/hsds/services?per_page=20"),
        ("HSDS services page, full", "/api/hsds/services?per_page=20&full=true"),
    ]


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


class Command(BaseCommand):
    help = "Benchmark the API under gunicorn (2 sync workers, 16 connections)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=0, help="Generate up to N resources.")
        parser.add_argument("--duration", type=int, default=8, help="Seconds per scenario.")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--port", type=int, default=8103)
        parser.add_argument("--only", default="", help="Run scenarios whose name contains this.")

    def handle(self, *args: Any, **options: Any) -> None:
        self._ensure_data(options["count"])
        total = Resource.objects.published().count()
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        tool = "wrk" if shutil.which("wrk") else "python load generator"
        self.stdout.write(
            f"API benchmark: {total} published resources on {engine}; gunicorn "
            f"{options['workers']} sync workers; {options['connections']} connections "
            f"({tool}); {options['duration']} s per scenario; cache "
            f"{'Redis' if os.environ.get('REDIS_URL') else 'local memory per worker'}."
        )
        if memory := database_memory():
            self.stdout.write(memory)
        chosen = [s for s in scenarios() if options["only"] in s[0] or s[1] == BARE_PATH]
        results: dict[tuple[str, bool], Result] = {}
        # The bare view's figure for each scenario, measured just before it:
        # this machine's speed drifts by a tenth or more over a run, which a
        # single bare measurement at the start would charge to later rows.
        bare_before: dict[tuple[str, bool], Result] = {}
        db_ms: dict[str, float] = {}
        for cached in (False, True):
            with self._server(options, cached=cached):
                for name, path in chosen:
                    if path == BARE_PATH:
                        continue
                    bare_before[(name, cached)] = self._load(options, BARE_PATH)
                    # Warm up each worker as steady use has: its database
                    # connection, the search vocabulary and compiled statements
                    # it keeps, and (when cached) the stored response.
                    for _ in range(options["workers"] * 4):
                        _get(options["port"], path)
                    if not cached:
                        db_ms[name] = _database_ms(options["port"], path)
                    results[(name, cached)] = self._load(options, path)
                bare_runs = [r for (_, c), r in bare_before.items() if c == cached]
                bare = _median_result(bare_runs) if bare_runs else self._load(options, BARE_PATH)
                results[(chosen[0][0], cached)] = bare_before[(chosen[0][0], cached)] = bare
        self._report(chosen, results, bare_before, db_ms)

    # --- Data ---------------------------------------------------------------

    def _ensure_data(self, count: int) -> None:
        have = Resource.objects.count()
        if count <= have:
            return
        if "generate_resources" not in get_commands():
            self.stderr.write(
                f"generate_resources is not available; benchmarking the {have} resources present."
            )
            return
        self.stdout.write(f"Generating {count - have} synthetic resources…")
        call_command("generate_resources", count=count - have)

    # --- Server -------------------------------------------------------------

    def _server(self, options: dict[str, Any], *, cached: bool) -> _Server:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_CONN_MAX_AGE": "600",
            # Each request comes from a random client address (X-Forwarded-For
            # through one trusted proxy), so the real per-IP throttle runs at
            # its real cost without limiting the benchmark.
            "DJANGO_NUM_PROXIES": "1",
            "ALLY_API_RESPONSE_CACHE": "1" if cached else "0",
        }
        command = [
            sys.executable, "-m", "gunicorn", "config.bench_wsgi:application",
            "--workers", str(options["workers"]), "--worker-class", "sync",
            "--bind", f"{HOST}:{options['port']}", "--log-level", "warning",
            "--backlog", "2048",
        ]  # fmt: skip
        return _Server(command, env, options["port"])

    # --- Load ---------------------------------------------------------------

    def _load(self, options: dict[str, Any], path: str) -> Result:
        if shutil.which("wrk"):
            return _wrk(options, path)
        return _python_load(options, path)

    def _report(
        self,
        scenarios: list,
        results: dict[tuple[str, bool], Result],
        bare_before: dict[tuple[str, bool], Result],
        db_ms: dict[str, float],
    ) -> None:
        cores = os.cpu_count() or 1
        header = (
            f"{'scenario':<48} {'uncached rps':>12} {'p50 ms':>7} {'p99 ms':>7} {'% bare':>7}"
            f" {'db ms':>6} {'db max':>7}"
            f" | {'cached rps':>10} {'p50 ms':>7} {'p99 ms':>7} {'% bare':>7}"
        )
        self.stdout.write("\n" + header + "\n" + "-" * len(header))
        for name, _ in scenarios:
            row = f"{name:<48}"
            for cached in (False, True):
                r = results[(name, cached)]
                bare = bare_before[(name, cached)].rps
                share = 100 * r.rps / bare if bare else 0
                if cached:
                    row += f" | {r.rps:>10.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} {share:>6.0f}%"
                else:
                    row += f" {r.rps:>12.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} {share:>6.0f}%"
                    # The most this request could reach if only the database
                    # took time: every core running its statements, Python free.
                    spent = db_ms.get(name, 0.0)
                    most = 100 * cores * 1000 / spent / bare if spent and bare else None
                    ceiling = f"{most:.0f}%" if most is not None else "-"
                    row += f" {spent:>6.1f} {ceiling:>7}"
                if r.errors:
                    row += f" ({r.errors} errors)"
            self.stdout.write(row)
        self.stdout.write(
            "\nThe bare row is the median of the bare view's runs; each row's % bare is"
            " against the bare run just before it. db ms: the median time of a request's"
            f" database statements, one request at a time; db max: the % of bare that"
            f" {cores} cores could serve if a request took only that (an upper bound)."
        )


class _Server:
    def __init__(self, command: list[str], env: dict[str, str], port: int) -> None:
        self.command, self.env, self.port = command, env, port

    def __enter__(self) -> _Server:
        self.process = subprocess.Popen(self.command, env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if _get(self.port, BARE_PATH) == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.process.terminate()
        raise CommandError("gunicorn did not start within 30 seconds")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _median_result(runs: list[Result]) -> Result:
    return Result(
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(r.errors for r in runs),
    )


def _random_client() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


_WRK_SCRIPT = """
request = function()
  local ip = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." ..
             math.random(1, 254)
  return wrk.format(nil, nil, {["X-Forwarded-For"] = ip, ["Accept"] = "application/json"})
end
"""


def _database_ms(port: int, path: str, samples: int = 15) -> float:
    """The median time of ``path``'s database statements, from ``Server-Timing``.

    ``config.bench_wsgi`` times every statement a request runs; requests go
    one at a time, so the figure is the database's own work, not queueing.
    """
    spent = []
    for _ in range(samples):
        timing = re.search(r"db;dur=([\d.]+)", _fetch(port, path)[1])
        if timing:
            spent.append(float(timing.group(1)))
    return statistics.median(spent) if spent else 0.0


def _get(port: int, path: str) -> int:
    return _fetch(port, path)[0]


def _fetch(port: int, path: str) -> tuple[int, str]:
    """One GET from a random client address: its status and its ``Server-Timing``."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(
            "GET",
            path,
            headers={"Accept": "application/json", "X-Forwarded-For": _random_client()},
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Server-Timing") or ""
    finally:
        connection.close()


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(options: dict[str, Any], path: str) -> Result:
    url = f"http://{HOST}:{options['port']}{path}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_SCRIPT)
        script.flush()
        output = subprocess.run(
            ["wrk", "-t", "2", "-c", str(options["connections"]), "-d", f"{options['duration']}s",
             "--timeout", "60s", "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def latency(percent: str) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(found.group(1)) * _WRK_UNITS[found.group(2)] if found else float("nan")

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: .*", output)
    return Result(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(map(int, re.findall(r"\d+", socket_errors.group(0)))) if socket_errors else 0),
    )


def _python_load(options: dict[str, Any], path: str) -> Result:
    """Closed-loop load: each connection sends its next request when the last is answered."""
    stop_at = time.monotonic() + options["duration"]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    parsed = urllib.parse.urlsplit(path)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")

    def worker() -> None:
        mine: list[float] = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status = _get(options["port"], target)
            except OSError:
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            if status != 200:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(options["connections"])]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(
        rps=len(latencies) / elapsed,
        p50_ms=quantiles[49],
        p99_ms=quantiles[98],
        errors=errors[0],
    )
