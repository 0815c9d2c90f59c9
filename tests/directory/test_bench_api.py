"""The API benchmark's report: each scenario's share of the bare view's throughput."""

from __future__ import annotations

import io

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

    command._report(scenarios, results, bare_before)

    rows = {line.split()[0]: line for line in command.stdout._out.getvalue().splitlines() if line}
    assert rows["list"].split()[4] == "10%" and rows["list"].split()[-1] == "50%"
    assert rows["search"].split()[4] == "50%" and rows["search"].split()[-1] == "25%"
    assert rows["bare"].split()[1] == "900" and rows["bare"].split()[4] == "100%"
