"""The shared layered layout: valid layers, crossings counted, coordinates that keep every gap."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from pictures import big_traces, sample_trace

from adtrace import trace
from adtrace.samples import all_samples
from adtrace.views.layout import Item, Layering, _isotonic, layered, place

SAMPLES = [s.name for s in all_samples()]


def check_layering(lay: Layering) -> None:
    graph = lay.graph
    boxes = [item for row in lay.rows for item in row if lay.is_box(item)]
    assert sorted(item.node for item in boxes) == sorted(graph.numbered)  # each node once
    for k, row in enumerate(lay.rows):
        assert len(set(row)) == len(row)
        for item in row:
            assert item.layer == k
            for source in lay.up[item]:
                assert source.layer == k - 1 and source in lay.rows[k - 1]
    for i in graph.numbered:
        for a in graph.nodes[i].args:
            if graph.nodes[a].is_const:
                continue
            chain = lay.chain(a, i)
            assert lay.layer[a] < lay.layer[i]
            assert [c.layer for c in chain] == list(range(lay.layer[a], lay.layer[i] + 1))
            for upper, lower in itertools.pairwise(chain):
                assert upper in lay.up[lower] and lower in lay.down[upper]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_has_a_valid_layering(name: str) -> None:
    check_layering(layered(sample_trace(name).graph))


@pytest.mark.parametrize("name", ["seed", "reuse", "tiny_network", "quotient", "neuron", "polar"])
def test_no_crossings_where_a_crossing_free_layout_exists(name: str) -> None:
    assert layered(sample_trace(name).graph).crossings() == 0


def test_inputs_sit_above_their_first_user_and_the_output_at_the_bottom() -> None:
    lay = layered(sample_trace("tiny_network").graph)
    graph = lay.graph
    for name, i in graph.inputs.items():
        first = min(lay.layer[p] for p, _ in graph.parents[i])
        assert lay.layer[i] == first - 1, name
    assert lay.layer[graph.outputs[0].node] == len(lay.rows) - 1


def test_crossings_count_what_crosses() -> None:
    t = trace("x*y + x*sin(x)", x=1.2, y=0.4)
    lay = layered(t.graph)
    assert lay.crossings() == 0
    w1, w2 = t.graph.inputs["x"], t.graph.inputs["y"]
    swapped = Layering(lay.graph, lay.layer, [row[:] for row in lay.rows], lay.up, lay.down)
    top = swapped.rows[0]
    assert {it.node for it in top} == {w1, w2}
    top.reverse()  # x and y swapped: their lines into the layer below now cross
    assert swapped.crossings() > 0


def test_big_graphs_are_layered_quickly_and_validly() -> None:
    for name, t in big_traces().items():
        lay = layered(t.graph)
        check_layering(lay)
        assert lay.crossings() <= 10, name
        assert layered(t.graph) is lay  # made once per graph


def test_a_width_budget_makes_a_wide_layering_taller() -> None:
    t = big_traces()["net231"]
    widths = {i: 16 for i in t.graph.numbered}
    natural = layered(t.graph)
    narrow = layered(t.graph, widths, 100)
    check_layering(narrow)
    assert len(narrow.rows) > len(natural.rows)
    assert max(sum(17 for it in row if narrow.is_box(it)) for row in narrow.rows) <= 100


@pytest.mark.parametrize("integer", [False, True])
def test_placement_keeps_order_and_gaps(integer: bool) -> None:
    for t in [sample_trace("reuse"), *big_traces().values()]:
        lay = layered(t.graph)

        def width(item: Item, lay: Layering = lay) -> float:
            return 13.0 if lay.is_box(item) else 1.0

        where = place(lay, width, 2, integer=integer)
        for row in lay.rows:
            for a, b in itertools.pairwise(row):
                assert where.left[a] + where.width[a] + 2 <= where.left[b] + 1e-9
            for item in row:
                assert where.left[item] >= -1e-9 and where.left[item] + where.width[item] <= where.total + 1e-9
                if integer:
                    assert where.left[item] == int(where.left[item])
        widest = max(sum(width(it) for it in row) + 2 * (len(row) - 1) for row in lay.rows)
        assert where.total <= widest + (len(lay.rows) if integer else 1e-9)  # rounding may add a cell a layer


def test_a_line_from_a_box_straight_below_it_is_straight() -> None:
    t = trace("sin(cos(x))", x=1)
    lay = layered(t.graph)
    where = place(lay, lambda item: 10.0, 2)
    assert len({where.centre(row[0]) for row in lay.rows}) == 1


def test_isotonic_regression_pools_violators() -> None:
    assert _isotonic([1.0, 3.0, 2.0, 4.0], [1.0, 1.0, 1.0, 1.0]) == [1.0, 2.5, 2.5, 4.0]
    assert _isotonic([5.0, 1.0], [3.0, 1.0]) == [4.0, 4.0]


def test_the_layout_module_is_pure() -> None:
    code = "import sys, adtrace.views.layout; print(any(m == 'rich' or m.startswith('rich.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
