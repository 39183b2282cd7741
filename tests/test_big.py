"""Big graphs: the engine in linear time and memory, sharing kept, and a terminal trace that stays readable."""

from __future__ import annotations

import gc
import math
import time
import tracemalloc

import pytest
from click.testing import CliRunner

from adtrace import trace
from adtrace.cli import main
from adtrace.views.terminal import DEFAULT_MAX_ROWS, to_text

INPUTS = {"x1": 0.5, "x2": 1.5, "x3": 0.7, "x4": -0.3}
TERMS = ("x1*x2", "sin(x3)", "x3*exp(x4/3)", "tanh(x2 - x1)", "log(1 + x4^2)", "sqrt(1 + x4*x4)/x1")


def expression(nodes: int) -> str:
    """About `nodes` graph nodes: a long sum of small terms over four inputs."""
    return " + ".join(TERMS[k % len(TERMS)] for k in range(terms_for(nodes)))


def terms_for(nodes: int) -> int:
    return nodes // 4 + 1  # four nodes a term, on average, with the + joining it


def engine_time_and_memory(source: str) -> tuple[int, float, int]:
    gc.collect()
    start = time.perf_counter()
    result = trace(source, INPUTS)
    elapsed = time.perf_counter() - start
    nodes = len(result.graph.nodes)
    del result
    gc.collect()
    tracemalloc.start()
    trace(source, INPUTS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return nodes, elapsed, peak


def expected_gradient(terms: int) -> dict[str, float]:
    """The sum's gradient, term by term, in plain Python."""
    x1, x2, x3, x4 = INPUTS.values()
    per_term = [
        {"x1": x2, "x2": x1},
        {"x3": math.cos(x3)},
        {"x3": math.exp(x4 / 3), "x4": x3 * math.exp(x4 / 3) / 3},
        {"x2": 1 - math.tanh(x2 - x1) ** 2, "x1": -(1 - math.tanh(x2 - x1) ** 2)},
        {"x4": 2 * x4 / (1 + x4**2)},
        {"x4": x4 / math.sqrt(1 + x4 * x4) / x1, "x1": -math.sqrt(1 + x4 * x4) / x1**2},
    ]
    total = dict.fromkeys(INPUTS, 0.0)
    for k in range(terms):
        for name, d in per_term[k % len(per_term)].items():
            total[name] += d
    return total


def test_a_100k_node_expression_in_linear_time_and_memory() -> None:
    small_nodes, small_time, small_peak = engine_time_and_memory(expression(10_000))
    nodes, elapsed, peak = engine_time_and_memory(expression(100_000))
    assert nodes >= 100_000
    assert elapsed < 30
    # Ten times the nodes: about ten times the time and memory (generous bounds: CI machines are noisy).
    assert elapsed / nodes < 3 * small_time / small_nodes
    assert peak / nodes < 1.5 * small_peak / small_nodes
    gradient = trace(expression(100_000), INPUTS).gradient
    for name, value in expected_gradient(terms_for(100_000)).items():
        assert math.isclose(gradient[name], value, rel_tol=1e-9), name


@pytest.mark.slow
def test_a_million_node_expression() -> None:
    source = expression(1_000_000)
    gc.collect()
    start = time.perf_counter()
    result = trace(source, INPUTS)
    elapsed = time.perf_counter() - start
    assert len(result.graph.nodes) >= 1_000_000
    assert elapsed < 120
    for name, value in expected_gradient(terms_for(1_000_000)).items():
        assert math.isclose(result.gradient[name], value, rel_tol=1e-9), name


def test_a_chain_of_a_thousand_reassignments_is_a_thousand_nodes() -> None:
    source = "y = x*x\n" + "y = y*y\n" * 999
    result = trace(source, x=1.0)
    operations = [n for n in result.graph.nodes if n.args]
    assert len(operations) == 1000
    assert len(result.graph.nodes) == 1001
    assert result.gradient == {"x": 2.0**1000}  # y = x^(2^1000): shared, not a tree of 2^1000 leaves


def test_deep_programs_are_iterative_everywhere() -> None:
    source = "y = x\n" + "y = sin(y) + y*0.5\n" * 20_000
    result = trace(source, x=0.3)
    assert len(result.graph.nodes) > 60_000
    assert math.isfinite(result.gradient["x"])


# -- the terminal trace of a big graph ----------------------------------------------


def test_a_big_trace_shows_head_tail_and_what_was_skipped() -> None:
    result = trace("y = x\n" + "y = sin(y)*0.5 + y\n" * 300, x=0.3)
    numbered = result.graph.numbered
    assert len(numbered) > DEFAULT_MAX_ROWS
    text = to_text(result, width=100)
    skipped = len(numbered) - DEFAULT_MAX_ROWS
    assert f"⋮ {skipped:,} nodes skipped: --max-rows 0 shows all of them" in text
    assert f"⋮ {skipped:,} rows skipped" in text
    assert f"⋮ {skipped:,} steps skipped" in text
    last, first = result.label(numbered[-1]), result.label(numbered[0])
    assert f"{last} (y@301) = " in text and f"{first} = x" in text  # the tail and the head
    assert f"{result.label(numbered[len(numbered) // 2])} " not in text  # the middle is skipped
    full = to_text(result, width=100, max_rows=0)
    assert "skipped" not in full
    assert f"{result.label(numbered[len(numbered) // 2])} " in full


def test_small_traces_are_not_cut() -> None:
    result = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    assert "skipped" not in to_text(result)
    cut = to_text(result, max_rows=3)
    assert "⋮ 2 nodes skipped" in cut and "w1 = x1" in cut and "w5 = w3 + w4" in cut and "w3 = " not in cut


def test_cli_max_rows(runner: CliRunner) -> None:
    source = "y = x\n" + "y = y*0.5 + sin(y)\n" * 100
    cut = runner.invoke(main, [source, "x=0.3", "--max-rows", "10", "--width", "100"])
    assert cut.exit_code == 0, cut.output
    assert cut.output.count("skipped: --max-rows 0 shows all of them") == 4  # decomposition, graph, forward, reverse
    assert "w1 = x" in cut.output and "w301 (y@101) = w299 + w300" in cut.output
    everything = runner.invoke(main, [source, "x=0.3", "--max-rows", "0", "--width", "100"])
    assert everything.exit_code == 0
    assert "skipped" not in everything.output and "w150 " in everything.output
    bad = runner.invoke(main, [source, "x=0.3", "--max-rows", "-1"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_cli_renders_a_100k_node_trace_quickly(runner: CliRunner) -> None:
    start = time.perf_counter()
    result = runner.invoke(main, [expression(100_000), *(f"{k}={v}" for k, v in INPUTS.items()), "--width", "100"])
    assert result.exit_code == 0
    assert result.output.count("skipped") >= 4
    assert time.perf_counter() - start < 60


def test_a_long_constant_is_folded_once_without_recursion() -> None:
    ones = "+".join(["1"] * 20_000)
    result = trace(f"x*({ones})", x=2)
    assert result.gradient == {"x": 20_000.0}
    assert len(result.graph.numbered) == 2  # x and one product; the constant is inline
    assert to_text(result, max_rows=10)  # and it renders


def test_thirty_thousand_distinct_inputs() -> None:
    """Each input's first appearance is found in one pass over the tokens (a search per name was quadratic)."""
    names = [f"x{i}" for i in range(30_000)]
    result = trace(" + ".join(f"{n}*{n}" for n in names), {n: 1.5 for n in names})
    assert list(result.graph.inputs) == names
    assert result.gradient["x29999"] == 3.0
