"""Search latency benchmark: ``python manage.py bench_search`` (or ``make bench``).

For each query of a fixed mix it times the first page of 20 results, alone
and with its total (``search.count_results``):

- **ORM**: the queryset ``ResourceFilterSet.filter_queryset`` builds (query
  understanding, search, filters, ordering), compiled, run and turned into
  model instances, as the API and the pages get them;
- **bare**: the identical SQL statements run on a raw cursor, rows fetched as
  tuples; the ratio ORM/bare is what the ORM layer adds;
- **request**: the whole path including building and validating the
  FilterSet from query parameters (django-filter's form), page and total.

Figures are per engine and for the data in the database (generate it with
``generate_resources --count N``). No application cache is involved; the
database's own buffers are warm after the warm-up runs, as in steady use.
The load average is printed, because other work on the machine shows in
every figure.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from directory import search
from directory.filters import ResourceFilterSet
from directory.models import Resource, SearchWord

PAGE_SIZE = 20


def _timed(function: Callable[[], Any], repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def database_memory() -> str:
    """On PostgreSQL, its buffer cache against the database's size, for the report.

    A database larger than ``shared_buffers`` (128 MB as PostgreSQL is
    installed) is read back from the operating system's cache on most
    requests: that shows in every figure (a page of 'health' ~2x slower at
    100k), so the report says which case it measured.
    """
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_bytes(current_setting('shared_buffers')),"
            " pg_database_size(current_database())"
        )
        buffers, size = cursor.fetchone()
    line = f"PostgreSQL shared_buffers {buffers / 2**20:,.0f} MB, database {size / 2**20:,.0f} MB"
    if size > buffers:
        line += " (larger: figures include reads from the OS cache; see README, PostgreSQL)"
    return line


def search_mix() -> list[tuple[str, dict[str, Any]]]:
    """The fixed mix of searches, as (label, FilterSet parameters); ``bench_api``
    runs the same mix through the API."""
    published = Resource.objects.published().count() or 1
    # The rare word is picked from the data, so the mix works on any dataset.
    rare = (
        SearchWord.objects.filter(document_count__range=(2, 20), word__regex=r"^[a-z]{7,}$")
        .order_by("word")
        .values_list("word", flat=True)
        .first()
        or "stronghearts"
    )
    common = (
        SearchWord.objects.filter(word__in=["health", "services", "mental", "crisis"])
        .order_by("-document_count")
        .values_list("word", "document_count")
        .first()
    )
    common_word = common[0] if common else "health"
    share = f"{100 * common[1] / published:.0f}%" if common else "?"
    return [
        (f"very common word ({common_word!r}, {share})", {"q": common_word}),
        ("mid-frequency phrase ('eating disorders')", {"q": "eating disorders"}),
        (f"rare word ({rare!r})", {"q": rare}),
        ("typo ('depresion')", {"q": "depresion"}),
        (
            "filters only (kind+audience+channel)",
            {"kind": "support-group", "audience": "youth", "channel": "text"},
        ),
        (
            "search + filters ('crisis', CA, text)",
            {"q": "crisis", "state": "CA", "channel": "text"},
        ),
        ("near ZIP 94110, by distance", {"near": "94110", "ordering": "distance"}),
    ]


class Command(BaseCommand):
    help = "Time a fixed mix of searches (median and p95, ms) against the bare SQL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=40, help="Timed runs per query.")
        parser.add_argument("--warmup", type=int, default=5, help="Untimed runs first.")
        parser.add_argument(
            "--only", default="", help="Time only the queries whose label contains this."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        repeat, warmup = options["repeat"], options["warmup"]
        total = Resource.objects.count()
        synthetic = Resource.objects.filter(is_synthetic=True).count()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        self.stdout.write(
            f"Engine: {connection.vendor}  resources: {total:,} ({synthetic:,} synthetic)  "
            f"runs: {repeat} after {warmup} warm-up  page: {PAGE_SIZE}  "
            f"exact totals up to {search.EXACT_COUNT_LIMIT:,}  load average: {load}"
        )
        if memory := database_memory():
            self.stdout.write(memory)
        header = (
            f"{'query':<42} {'results':>8} |{'page ORM p50':>13} {'p95':>6} {'bare':>6}"
            f" {'ratio':>5} |{'+total ORM p50':>15} {'p95':>6} {'bare':>6} {'ratio':>5}"
            f" |{'request p50':>12} {'p95':>6}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        search.parse_query("warm the synonym and vocabulary caches")
        worst = {"page": 0.0, "total": 0.0, "ratio": 0.0, "request": 0.0}
        for label, data in search_mix():
            if options["only"] not in label:
                continue
            r = self.measure(data, repeat, warmup)
            worst["page"] = max(worst["page"], r["page_p95"])
            worst["total"] = max(worst["total"], r["total_p95"])
            worst["ratio"] = max(worst["ratio"], r["total_ratio"])
            worst["request"] = max(worst["request"], r["request_p95"])
            self.stdout.write(
                f"{label:<42} {r['results']:>8} |{r['page_p50']:>13.1f} {r['page_p95']:>6.1f}"
                f" {r['bare_page_p50']:>6.1f} {r['page_ratio']:>5.2f}"
                f" |{r['total_p50']:>15.1f} {r['total_p95']:>6.1f}"
                f" {r['bare_total_p50']:>6.1f} {r['total_ratio']:>5.2f}"
                f" |{r['request_p50']:>12.1f} {r['request_p95']:>6.1f}"
            )
        self.stdout.write("-" * len(header))
        self.stdout.write(
            f"worst p95: page {worst['page']:.1f} ms, page + total {worst['total']:.1f} ms, "
            f"request {worst['request']:.1f} ms; worst ORM/bare ratio (page + total) "
            f"{worst['ratio']:.2f}x"
        )
        self.floor(repeat, warmup)
        if not options["only"]:
            self.extras(repeat, warmup)

    def measure(self, data: dict[str, Any], repeat: int, warmup: int) -> dict[str, Any]:
        def validated() -> ResourceFilterSet:
            filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
            if not filterset.is_valid():
                raise SystemExit(f"Invalid benchmark filters {data}: {filterset.errors}")
            return filterset

        prepared = validated()
        limit = search.EXACT_COUNT_LIMIT

        def queryset():
            return prepared.filter_queryset(Resource.objects.published())

        def page() -> list:
            return list(queryset()[:PAGE_SIZE])

        # The total first, as the API and the pages ask: a search may then
        # count and rank its window in one statement (search.shared_window).
        def page_and_total() -> tuple:
            qs = queryset()
            total = search.count_results(qs, limit=limit)
            return list(qs[:PAGE_SIZE]), total

        def request() -> tuple:
            qs = validated().qs
            total = search.count_results(qs, limit=limit)
            return list(qs[:PAGE_SIZE]), total

        # The statements Django runs for the same answer, compiled once:
        # the page, then as count_results does, a part's count first where
        # it has one (enough when it passes the limit), then every match's;
        # above the limit, the engine's estimate of the total (the answer
        # shows it), of every match after a part's count, else of the
        # counted rows. Where the window is counted with the total, that
        # statement first, then the page of the best keys it gave.
        qs = queryset()
        page_sql = qs[:PAGE_SIZE].query.sql_with_params()
        part, matches = search.count_parts(qs)
        counts = []
        if part is not None:
            every = search.matches_of(qs).values("pk").query.sql_with_params()
            counts.append((*search.count_statement(part, limit=limit + 1)[:2], every))
        statement, params, sql = search.count_statement(matches, limit=limit + 1)
        counts.append((statement, params, (sql, params)))

        def bare_page() -> list:
            with connection.cursor() as cursor:
                cursor.execute(*page_sql)
                return cursor.fetchall()

        def bare_page_then_total() -> tuple:
            with connection.cursor() as cursor:
                cursor.execute(*page_sql)
                rows = cursor.fetchall()
                for count_sql, count_params, (estimated_sql, estimated_params) in counts:
                    cursor.execute(count_sql, count_params)
                    found = cursor.fetchone()[0]
                    if found > limit:
                        estimate = search.estimated_rows(
                            estimated_sql, estimated_params, using=connection.alias
                        )
                        return rows, max(found, estimate or 0)
                return rows, found

        bare_page_and_total = self.bare_with_window(qs, limit) or bare_page_then_total
        count = search.count_results(queryset(), limit=limit)
        if (bare_total := bare_page_and_total()[1]) != count.value:
            raise CommandError(
                f"The bare statements give a total of {bare_total} for {data}, "
                f"the ORM {count.value}: they are not the same answer."
            )
        timings = {
            "page": _timed(page, repeat, warmup),
            "bare_page": _timed(bare_page, repeat, warmup),
            "total": _timed(page_and_total, repeat, warmup),
            "bare_total": _timed(bare_page_and_total, repeat, warmup),
            "request": _timed(request, repeat, warmup),
        }
        row: dict[str, Any] = {
            "results": f"{count.value:,}" + ("" if count.exact else "~"),
        }
        for name, samples in timings.items():
            row[f"{name}_p50"] = statistics.median(samples)
            row[f"{name}_p95"] = _p95(samples)
        row["page_ratio"] = row["page_p50"] / row["bare_page_p50"]
        row["total_ratio"] = row["total_p50"] / row["bare_total_p50"]
        return row

    @staticmethod
    def bare_with_window(qs: Any, limit: int) -> Callable[[], tuple] | None:
        """The bare statements of ``qs``'s total and page where the total
        counts its rank window (``search.shared_window``), else None: the
        count that ranks the window, the estimate above the limit, and the
        page of the best keys the count gave."""
        window = search.shared_window(qs)
        if window is None:
            return None
        statement, params, sql = search.window_count_statement(
            window, limit=limit + 1, using=connection.alias
        )
        # The page as Django compiles it once the keys are known; stand-ins
        # mark the parameter that carries them.
        stand_ins = [uuid.UUID(int=n + 1) for n in range(PAGE_SIZE)]
        window.known_keys = stand_ins
        page_sql, page_params = qs[:PAGE_SIZE].query.sql_with_params()
        window.known_keys = None
        keys_at = list(page_params).index(stand_ins)

        def bare() -> tuple:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                found, keys = cursor.fetchone()
                if found > limit:
                    estimate = search.estimated_rows(sql, params, using=connection.alias)
                    found = max(found, estimate or 0)
                page = list(page_params)
                page[keys_at] = list(keys or ())[:PAGE_SIZE]
                cursor.execute(page_sql, page)
                return cursor.fetchall(), found

        return bare

    def floor(self, repeat: int, warmup: int) -> None:
        """Django's own cost on the cheapest query there is, to read the ratios by.

        The simplest page a queryset can ask for (20 published resources by
        primary key) and its count, through the ORM and as bare SQL: what the
        ORM adds there (building, compiling, turning rows into instances) is
        the least any ORM page + total pays, whatever the search does.
        """
        keys = list(Resource.objects.published().order_by("pk").values_list("pk", flat=True)[:20])

        def queryset():
            return Resource.objects.published().filter(pk__in=keys).order_by("pk")

        def orm() -> tuple:
            qs = queryset()
            return list(qs[:PAGE_SIZE]), qs.count()

        # The same two statements Django runs: the page, and COUNT(*) with its WHERE.
        query = queryset()[:PAGE_SIZE].query
        page_sql = query.sql_with_params()
        where, params = query.get_compiler(connection.alias).compile(query.where)
        count_sql = (f"SELECT COUNT(*) FROM {Resource._meta.db_table} WHERE {where}", params)

        def bare() -> tuple:
            with connection.cursor() as cursor:
                cursor.execute(*page_sql)
                rows = cursor.fetchall()
                cursor.execute(*count_sql)
                return rows, cursor.fetchone()[0]

        orm_ms, bare_ms = _timed(orm, repeat, warmup), _timed(bare, repeat, warmup)
        self.stdout.write(
            f"Django's floor (20 resources by key, page + count): ORM p50 "
            f"{statistics.median(orm_ms):.1f} ms, bare {statistics.median(bare_ms):.1f} ms, "
            f"ratio {statistics.median(orm_ms) / statistics.median(bare_ms):.2f}"
        )

    def extras(self, repeat: int, warmup: int) -> None:
        """Facets and suggestions, for the record (no target in the issue)."""
        common = {"q": "crisis"}
        filterset = ResourceFilterSet(common, queryset=Resource.objects.published())
        filterset.is_valid()
        facet_ms = _timed(lambda: search.facets(filterset.qs), max(5, repeat // 4), 1)
        suggest_ms = _timed(lambda: search.suggest("cris"), repeat, warmup)
        self.stdout.write(
            f"facets for 'crisis' (every group): p50 {statistics.median(facet_ms):.1f} ms, "
            f"p95 {_p95(facet_ms):.1f} ms; suggest 'cris': p50 "
            f"{statistics.median(suggest_ms):.1f} ms, p95 {_p95(suggest_ms):.1f} ms"
        )
