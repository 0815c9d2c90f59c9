"""Search behaviour that only shows with many matches: the rank window, counts, plans."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from directory import search
from directory.filters import ResourceFilterSet
from directory.models import Resource
from directory.synthetic import generate_resources
from tests.factories import ContactChannelFactory, ResourceFactory


@pytest.fixture
def many(seeded):
    generate_resources(count=600, seed=11)


def test_a_common_word_ranks_a_bounded_window_but_counts_every_match(many, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 50)
    results = Resource.objects.published().search("health")

    every = search.count_results(results, limit=10_000)
    assert every.exact and every.value > 300
    page = list(results[:20])
    assert len(page) == 20
    ranks = [r.search_rank for r in page]
    assert ranks == sorted(ranks, reverse=True)
    # Facets count every match too.
    kinds = search.facets(results)["kind"]
    assert sum(v.count for v in kinds) == every.value


def test_paging_through_the_window_never_repeats_or_skips(many, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 60)
    results = Resource.objects.published().search("health")

    pages = [list(results[i : i + 20].values_list("pk", flat=True)) for i in range(0, 60, 20)]
    flat = [pk for page in pages for pk in page]

    assert len(flat) == len(set(flat)) == 60
    assert flat == list(results.values_list("pk", flat=True))


def test_a_page_of_the_window_equals_the_slice_of_the_whole_window(many, monkeypatch):
    # PostgreSQL ranks the window on the index rows and keeps a page's best
    # before joining resources; the rows and their order must not change.
    monkeypatch.setattr(search, "RANK_WINDOW", 120)
    results = Resource.objects.published().search("health support")
    whole = [(r.pk, r.search_rank) for r in results]
    assert len(whole) == 120

    for offset, size in [(0, 20), (20, 20), (95, 10), (110, 20)]:
        page = [(r.pk, r.search_rank) for r in results.all()[offset : offset + size]]
        assert page == whole[offset : offset + size]


def test_a_filter_added_after_the_search_still_fills_the_page(many, monkeypatch):
    # The page's best are taken before the join only for the search's own
    # query: a later filter would otherwise leave most of the page empty.
    monkeypatch.setattr(search, "RANK_WINDOW", 200)
    results = Resource.objects.published().search("health").filter(kind__code="support-group")
    whole = list(results.values_list("pk", flat=True))
    assert len(whole) > 10

    assert list(results.all()[:10].values_list("pk", flat=True)) == whole[:10]


@pytest.mark.parametrize("limit", [40, 10_000])
@pytest.mark.parametrize(
    "data",
    [{"q": "health support"}, {"q": "health", "kind": "support-group"}, {"q": "crisis"}],
)
def test_a_page_after_its_total_is_the_page_without_it(many, monkeypatch, data, limit):
    # The API and the pages count first; on PostgreSQL the count then ranks
    # the window too, and the page takes its best keys from it. Nothing a
    # page shows may change: rows, their order and rank, on any page of the
    # window, whether the count's limit is below the window or above it.
    monkeypatch.setattr(search, "RANK_WINDOW", 120)

    def results():
        filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
        assert filterset.is_valid()
        return filterset.qs

    pages = 0
    for offset, size in [(0, 20), (20, 20), (95, 10), (110, 20)]:
        page_first = results()
        expected = [(r.pk, r.search_rank) for r in page_first[offset : offset + size]]
        expected_total = search.count_results(page_first, limit=limit)

        total_first = results()
        total = search.count_results(total_first, limit=limit)
        page = [(r.pk, r.search_rank) for r in total_first[offset : offset + size]]

        assert (page, total) == (expected, expected_total)
        pages += bool(page)
    assert pages >= 2


def test_a_filter_after_the_search_is_counted_apart_from_the_window(many):
    # The window holds the search's own matches; a later filter narrows the
    # total, so the window cannot give it.
    results = Resource.objects.published().search("health").filter(kind__code="support-group")

    assert search.shared_window(results) is None
    every = search.matches_of(results).values_list("pk", flat=True)
    assert search.count_results(results, limit=10_000).value == len(every)
    # Nor is a window that reads resource rows (open now: weekly hours),
    # whose count plans differ from the index's.
    open_now = ResourceFilterSet(
        {"q": "health", "open_now": "true"}, queryset=Resource.objects.published()
    )
    assert open_now.is_valid()
    assert search.shared_window(open_now.qs) is None


@pytest.mark.postgres
def test_postgres_counts_a_search_and_ranks_its_window_in_one_scan(many, monkeypatch):
    # A GIN scan builds its bitmap of every candidate before the first row:
    # the total and the window used to build it once each.
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "RANK_WINDOW", 50)
    alone = Resource.objects.published().search("health support")
    with CaptureQueriesContext(connection) as without_total:
        expected = list(alone[:20])
    results = Resource.objects.published().search("health support")

    with CaptureQueriesContext(connection) as statements:
        total = search.count_results(results, limit=10_000)
        page = list(results[:20])

    count, page_statement = (query["sql"] for query in statements.captured_queries)
    assert "array_agg" in count and "LIMIT 10001" in count
    # The page tests the keys the count ranked; it reads no window of its own.
    assert "LIMIT 50" in without_total.captured_queries[0]["sql"]
    assert "LIMIT 50" not in page_statement and "::uuid[]" in page_statement
    assert page == expected and total.exact and total.value > 50


def test_below_the_window_the_ranking_is_over_every_match(many):
    results = Resource.objects.published().search("eating disorders")
    count = search.count_results(results)

    assert count.exact and count.value < search.RANK_WINDOW
    assert len(list(results)) == count.value


def test_a_total_counts_matches_without_reading_their_keys(many):
    # SQLite reads a stored key from FTS5's content table row by row; a
    # count needs none.
    matches = search.counted(Resource.objects.published().search("health"))
    statement, _, _ = search.count_statement(matches, limit=10)

    assert "resource_id" not in statement.split(" FROM ")[1]


def test_a_total_of_distinct_resources_counts_each_once(db):
    # A filter across contact channels repeats a resource per channel; the
    # count must still see one row per resource.
    for _ in range(2):
        resource = ResourceFactory()
        ContactChannelFactory.create_batch(2, resource=resource)
    distinct = Resource.objects.published().filter(channels__kind="phone").distinct()

    assert search.count_results(distinct) == search.ResultCount(value=2, exact=True)


def test_totals_above_the_limit_are_marked_estimated(many):
    count = search.count_results(Resource.objects.published().search("health"), limit=100)

    assert not count.exact
    assert count.value > 100


def test_filters_apply_inside_the_rank_window(many, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 10)
    data = {"q": "health", "kind": "support-group"}
    filterset = ResourceFilterSet(data, queryset=Resource.objects.published())
    assert filterset.is_valid()

    page = list(filterset.qs[:20])

    assert len(page) == 10
    assert {r.kind.code for r in page} == {"support-group"}


def test_orderings_other_than_relevance_list_every_match(many, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 10)
    filterset = ResourceFilterSet(
        {"q": "health", "ordering": "name"}, queryset=Resource.objects.published()
    )
    assert filterset.is_valid()

    names = list(filterset.qs.values_list("name", flat=True))

    assert len(names) == search.count_results(filterset.qs, limit=10_000).value > 10
    assert names == sorted(names)


def test_a_near_total_counts_every_match_up_to_the_limit_and_no_further(many):
    filterset = ResourceFilterSet({"near": "94110"}, queryset=Resource.objects.published())
    assert filterset.is_valid()
    matches = len(list(search.matches_of(filterset.qs)))
    assert matches > 10

    every = search.count_results(filterset.qs, limit=10_000)
    bounded = search.count_results(filterset.qs, limit=10)

    assert every.exact and every.value == matches
    assert not bounded.exact and bounded.value > 10
    # The statement itself stops counting at the limit.
    statement, params, _ = search.count_statement(search.counted(filterset.qs), limit=7)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        assert cursor.fetchone()[0] == 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner only")
def test_a_near_total_is_planned_for_every_row_and_a_word_total_starts_fast(many):
    # "near" tests each row's tags against the place's areas and grid cells,
    # costly row by row: a plan that starts fast would test thousands.
    near = ResourceFilterSet({"near": "94110"}, queryset=Resource.objects.published())
    word = ResourceFilterSet({"q": "health"}, queryset=Resource.objects.published())
    assert near.is_valid() and word.is_valid()

    near_statement, _, _ = search.count_statement(search.counted(near.qs), limit=10)
    word_statement, _, _ = search.count_statement(search.counted(word.qs), limit=10)

    assert "MATERIALIZED" in near_statement
    assert "MATERIALIZED" not in word_statement


def test_bench_search_prints_the_table(many, capsys, monkeypatch):
    # A low limit, so totals are estimated (on PostgreSQL) as at scale: the
    # benchmark checks that its bare statements give the ORM's very total.
    monkeypatch.setattr(search, "EXACT_COUNT_LIMIT", 40)
    call_command("bench_search", "--repeat", "2", "--warmup", "0")

    out = capsys.readouterr().out
    assert f"Engine: {connection.vendor}" in out
    assert "very common word ('health'" in out
    assert "near ZIP 94110" in out
    assert "worst p95" in out
    assert "Django's floor (20 resources by key, page + count)" in out
    # What PostgreSQL's cache holds of the database shows in every figure.
    assert ("PostgreSQL shared_buffers" in out) == (connection.vendor == "postgresql")


@pytest.mark.postgres
def test_postgres_search_plan_uses_the_gin_index(seeded):
    generate_resources(count=3000, seed=7)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {search.SEARCH_TABLE}")
        cursor.execute("ANALYZE directory_resource")
    queryset = Resource.objects.published().search("stronghearts")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert f"Bitmap Index Scan on {search.SEARCH_TABLE}_document_tags" in plan, plan
    assert "stronghearts-native-helpline" in queryset.values_list("slug", flat=True)


@pytest.mark.postgres
def test_postgres_estimates_come_from_the_planner(many):
    matches = search.matches_of(Resource.objects.published().search("health"))
    estimate = search._engine("default").estimate_count(matches)

    assert estimate and 100 < estimate < 2000
