"""The engine end to end on the seed example, plus programs, seeds and forward mode."""

from __future__ import annotations

import math

import pytest
from conftest import central_difference, close

from adtrace import AdtraceError, trace
from adtrace.engine.forward import forward
from adtrace.engine.tape import build
from adtrace.errors import EvaluationError, InputValueError, OptionError
from adtrace.expr import show


def test_seed_example_numbers() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    assert round(t.value, 4) == 6.9093
    assert round(t.gradient["x1"], 4) == 2.5839
    assert t.gradient["x2"] == 2.0


def test_seed_example_decomposition() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    rows = [f"{t.label(i)} = {show(t.definition(i))}" for i in t.graph.numbered]
    assert rows == ["w1 = x1", "w2 = x2", "w3 = w1·w2", "w4 = sin(w1)", "w5 = w3 + w4"]
    assert t.values == [2.0, 3.0, 6.0, math.sin(2.0), 6.0 + math.sin(2.0)]
    parents = {t.label(i): [t.label(p) for p, _ in t.graph.parents[i]] for i in t.graph.numbered}
    assert parents == {"w1": ["w3", "w4"], "w2": ["w3"], "w3": ["w5"], "w4": ["w5"], "w5": []}


def test_seed_example_every_reverse_term() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    rpass = t.reverse[0]
    w1_terms = t.terms(rpass, 0)
    assert [(t.label(x.parent), x.parent_adjoint, x.partial, x.product) for x in w1_terms] == [
        ("w3", 1.0, 3.0, 3.0),
        ("w4", 1.0, math.cos(2.0), math.cos(2.0)),
    ]
    assert [show(t.partial_formula(x.parent, x.position)) for x in w1_terms] == ["w2", "cos(w1)"]
    assert [show(t.partial_formula(x.parent, x.position)) for x in t.terms(rpass, 1)] == ["w1"]
    assert rpass.adjoints == [3.0 + math.cos(2.0), 2.0, 1.0, 1.0, 1.0]
    assert rpass.seeds == {4: 1.0}


def test_constants_are_inline_not_numbered() -> None:
    t = trace("2*x + pi/4", x=1)
    rows = [f"{t.label(i)} = {show(t.definition(i))}" for i in t.graph.numbered]
    assert rows == ["w1 = x", "w2 = 2·w1", "w3 = w2 + (pi/4)"]
    assert t.gradient == {"x": 2.0}


def test_variable_used_twice_by_one_operation_gives_two_terms() -> None:
    t = trace("x*x", x=3)
    assert [(p, pos) for p, pos in t.graph.parents[0]] == [(1, 0), (1, 1)]
    assert [x.product for x in t.terms(t.reverse[0], 0)] == [3.0, 3.0]
    assert t.gradient == {"x": 6.0}


def test_values_may_be_constant_expressions() -> None:
    t = trace("sin(x)", x="pi/2")
    assert t.value == 1.0


@pytest.mark.parametrize(
    ("source", "values", "error", "message"),
    [
        ("log(x)", {"x": -1}, EvaluationError, "w2 = log(w1) is undefined at w1 = -1"),
        ("sqrt(x)", {"x": -4}, EvaluationError, "w2 = sqrt(w1) is undefined at w1 = -4"),
        ("1/x", {"x": 0}, EvaluationError, "w2 = 1/w1 is undefined at w1 = 0"),
        ("exp(x)", {"x": 1000}, EvaluationError, "w2 = exp(w1) overflows"),
        ("x^y", {"x": -8, "y": 0.5}, EvaluationError, "w3 = w1^w2 is undefined"),
        ("x*y", {"x": 1}, InputValueError, "no value for input 'y'"),
        ("x", {"x": "y"}, InputValueError, "not the name 'y'"),
        ("a = x; a*2", {"a": 1, "x": 2}, InputValueError, "assigned in the program"),
        ("z = a + 1; a = x", {"x": 1}, InputValueError, "no value for input 'a'"),  # a is read first: an input
        ("2 + 3", {}, EvaluationError, "depends on no input"),
    ],
)
def test_errors_name_the_problem(
    source: str, values: dict[str, object], error: type[AdtraceError], message: str
) -> None:
    with pytest.raises(error, match=None) as info:
        trace(source, values)  # type: ignore[arg-type]
    assert message in info.value.message


def test_unused_value_is_a_warning() -> None:
    t = trace("x*2", x=1, y=2)
    assert any("y=2 is not used" in w for w in t.warnings)


def test_program_names_versions_and_outputs() -> None:
    t = trace("a = x1*x2; b = sin(x1); z = a + b", x1=2, x2=3)
    assert [t.graph.nodes[i].name for i in t.graph.numbered] == ["x1", "x2", "a", "b", "z"]
    assert round(t.gradient["x1"], 4) == 2.5839
    t = trace("y = x*x; y = y*y; y = y*y", x=2)
    assert [t.graph.nodes[i].name for i in t.graph.numbered] == ["x", "y", "y@2", "y@3"]
    assert t.value == 256.0 and t.gradient == {"x": 8 * 2.0**7}


def test_several_outputs_give_the_jacobian_both_ways() -> None:
    src = "u = x*y; v = sin(x); f = u + v; g = u*v"
    t = trace(src, x=2, y=3, outputs=["f", "g"], mode="both")
    assert len(t.reverse) == 2 and len(t.forward) == 2
    graph = build(src, ["f", "g"])
    for out in ("f", "g"):
        node = next(o.node for o in graph.outputs if o.name == out)

        def f(p: dict[str, float], node: int = node) -> float:
            return forward(graph, p).values[node]

        for name in ("x", "y"):
            fd = central_difference(f, {"x": 2.0, "y": 3.0}, name)
            assert close(t.jacobian[out][name], fd)
    for tpass in t.forward:
        assert tpass.input is not None
        for o in graph.outputs:
            assert close(tpass.tangents[o.node], t.jacobian[o.name][tpass.input], 1e-12, 1e-12)


def test_seeds_scale_and_select() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3, seed=2)
    assert t.reverse[0].adjoints[0] == pytest.approx(2 * t.gradient["x1"])
    t = trace("u = x*y; f = u + 1; g = u*u", x=2, y=3, outputs=["f", "g"], seed={"f": 1, "g": 0})
    assert t.reverse[0].adjoints[0] == pytest.approx(t.jacobian["f"]["x"])
    with pytest.raises(OptionError, match="not an output"):
        trace("x*y", x=1, y=2, seed={"q": 1})


def test_forward_mode_directional_derivative() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3, mode="forward", seed={"x1": 1, "x2": 2})
    expected = t.jacobian["z"]["x1"] * 1 + t.jacobian["z"]["x2"] * 2
    assert t.forward[0].tangents[t.graph.outputs[0].node] == pytest.approx(expected)


def test_big_chain_is_iterative() -> None:
    source = "y = x\n" + "y = y*1.0001 + 0.5\n" * 20_000
    t = trace(source, x=0.1)
    assert t.gradient["x"] == pytest.approx(1.0001**20_000)


def test_repr_is_short_and_says_what_was_found() -> None:
    assert repr(trace("x*y", x=2, y=3)) == "Trace('x*y', value=6.0, gradient={'x': 3.0, 'y': 2.0})"
    assert repr(trace("x*y")) == "Trace('x*y', gradient_symbolic={'x': 'y', 'y': 'x'})"


# The sweeps check finiteness in bulk (forward.py, reverse.py): the error must still be the first failure.


def test_an_overflow_is_reported_where_it_happens_even_when_a_later_node_raises() -> None:
    # x*y overflows to inf without raising; sin(inf) raises later: the mul is the failure to report.
    with pytest.raises(EvaluationError, match=r"^w3 = w1·w2 is not finite"):
        trace("sin(x*y) + 1", x=1e200, y=1e200)


def test_an_overflow_is_reported_before_a_later_partial_that_fails() -> None:
    # w3 = x*y is inf; w5 = 1/(w4) with w4 = w3 - w3 = nan: the mul comes first in evaluation order.
    with pytest.raises(EvaluationError, match=r"^w3 = w1·w2 is not finite"):
        trace("a = x*y; 1/(a - a)", x=1e200, y=1e200)


def test_a_nan_partial_on_a_constant_argument_is_not_a_failure() -> None:
    # ∂(a^b)/∂b = a^b·log(a) is nan at a = -3, but b is the constant 2: never used.
    t = trace("x^2", x=-3)
    assert t.value == 9.0
    assert t.gradient == {"x": -6.0}


def test_huge_but_finite_values_whose_sum_overflows_are_not_a_failure() -> None:
    t = trace("x - y", x=1e308, y=1e308)
    assert t.value == 0.0
    assert t.gradient == {"x": 1.0, "y": -1.0}


def test_a_tiny_divisor_fails_on_its_partial_with_the_reason() -> None:
    # 1/y overflows the partial ∂(x/y)/∂x = 1/y where the value x/y is still finite.
    with pytest.raises(EvaluationError, match=r"^w3 = w1/w2 has a local partial ∂w3/∂w1 that is not finite"):
        trace("x/y", x=1e-300, y=5e-324)


def test_a_partial_of_a_power_that_overflows_on_a_constant_is_not_a_failure() -> None:
    # ∂(a^b)/∂a at the constant a = 0.5 overflows (b = -1023), but only ∂/∂y is used: finite.
    t = trace("0.5^y", y=-1023)
    assert t.value == 2.0**1023
    assert t.gradient["y"] == 2.0**1023 * math.log(0.5)
    # ∂(a^b)/∂a at the constant a = 0 is infinite for 0 < b < 1; ∂/∂b there is 0 by convention.
    assert trace("0^y", y=0.5).gradient == {"y": 0.0}


@pytest.mark.parametrize(
    ("source", "values", "partial"),
    [
        ("x^0.5", {"x": 0}, "∂w2/∂w1"),  # an infinite slope at 0
        ("x^y", {"x": 1e-200, "y": -1.5}, "∂w3/∂w1"),  # b·a^(b-1) too large for a float
        ("x^y", {"x": 0.5, "y": -1023}, "∂w3/∂w1"),
    ],
)
def test_a_power_names_the_partial_that_is_not_finite(source: str, values: dict[str, float], partial: str) -> None:
    with pytest.raises(EvaluationError, match=f"has a local partial {partial} that is not finite"):
        trace(source, values)


def test_errors_label_nodes_in_the_notation_of_the_trace() -> None:
    with pytest.raises(EvaluationError, match=r"^v1 = v-1\^v0 has no local partial ∂v1/∂v0 at v-1 = -2, v0 = 3"):
        trace("x^y", x=-2, y=3, notation="v")
    # the value is 1e100, each local partial 1e200, and the adjoint of x their product, 1e400
    with pytest.raises(EvaluationError, match=r"^the adjoint of v0 is not finite"):
        trace("x*1e200*1e200", x=1e-300, notation="v")
