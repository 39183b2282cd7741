"""The symbolic layer: closed-form gradients against reverse mode and against sympy, round trips, blow-up."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest
import sympy
from conftest import close
from sympy_expr import to_sympy

from adtrace import trace
from adtrace.engine.simplify import size
from adtrace.engine.symbolic import LIMIT, MAX_NODES, SymbolicTrace
from adtrace.engine.tape import build
from adtrace.engine.trace import Trace
from adtrace.errors import InputValueError, NoValuesError, OptionError
from adtrace.expr import Expr, from_syntax, show
from adtrace.language.parser import parse, parse_expression
from adtrace.language.syntax import Assign
from adtrace.language.values import parse_assignments
from adtrace.samples import Sample, all_samples

SAMPLES = [s for s in all_samples() if not s.arrays]  # array samples: tests/test_arrays.py
LINES = [s for s in SAMPLES if not build(s.source, None, parse_assignments(s.values)).is_program]
"""Straight-line samples: a symbolic trace of any of them needs no values. A program's control flow needs
them (test_program_closed_form_is_of_the_path_taken)."""
PROGRAMS = [s for s in SAMPLES if s not in LINES]


def code(expr: Expr) -> str:
    return show(expr, "code")


def assert_round_trip(expr: Expr) -> None:
    """parse(print(e)) prints as e, and has the same value."""
    text = code(expr)
    back = from_syntax(parse_expression(text))
    assert code(back) == text


def every_formula(t: Trace) -> list[Expr]:
    """Every formula adtrace prints in its own syntax (the JSON): values, adjoints, closed forms, 'where' lists."""
    sym = t.symbolic
    assert sym is not None
    out = [*sym.forward, *sym.forward_where.values()]
    for spass in {id(p): p for p in (*sym.passes, *sym.units.values())}.values():
        out += [*spass.adjoint, *spass.closed, *spass.where.values()]
    return list({code(e): e for e in out}.values())


def test_seed_example_closed_form_and_layers() -> None:
    t = trace("x1*x2 + sin(x1)")
    assert t.gradient_symbolic is not None
    assert {k: show(v) for k, v in t.gradient_symbolic.items()} == {"x1": "x2 + cos(x1)", "x2": "x1"}
    assert t.symbolic is not None
    spass = t.symbolic.passes[0]
    assert show(spass.expanded[0]) == "1·w2 + 1·cos(w1)"
    assert show(spass.adjoint[0]) == "w2 + cos(w1)"
    assert show(spass.adjoint[1]) == "w1"
    assert [show(f) for f in t.symbolic.forward] == ["x1", "x2", "x1·x2", "sin(x1)", "x1·x2 + sin(x1)"]
    assert show(t.gradient_symbolic["x1"], "latex") == "x_{2} + \\cos(x_{1})"


def test_trace_with_values_has_the_same_formulas_and_the_numbers() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    assert t.gradient_symbolic is not None
    assert show(t.gradient_symbolic["x1"]) == "x2 + cos(x1)"
    assert t.gradient["x1"] == pytest.approx(3 + math.cos(2))
    assert trace("x1*x2 + sin(x1)", x1=2, x2=3, symbolic=False).symbolic is None


def test_no_values_means_no_numbers() -> None:
    t = trace("x1*x2 + sin(x1)")
    assert t.symbolic_only and t.reverse == () and t.jacobian == {}
    for what in ("value", "gradient", "outputs"):
        with pytest.raises(NoValuesError, match="read gradient_symbolic"):
            getattr(t, what)
    assert "∂z/∂x1 = x2 + cos(x1)" in str(t)


def test_some_values_need_symbolic_and_then_evaluate_partially() -> None:
    with pytest.raises(InputValueError, match="no value for input 'x2'"):
        trace("x1*x2 + sin(x1)", x1=2)
    t = trace("x1*x2 + sin(x1)", x1=2, symbolic=True)
    assert t.symbolic is not None and t.symbolic.symbolic_inputs == ("x2",)
    assert t.gradient_symbolic is not None
    assert {k: code(v) for k, v in t.gradient_symbolic.items()} == {"x1": "x2 + cos(2)", "x2": "2"}
    assert t.values[3] == pytest.approx(math.sin(2)) and math.isnan(t.values[4])
    assert "x2 stays a symbol" in str(t)


def test_partial_values_are_substituted_exactly() -> None:
    t = trace("x*y^2 + x", x=0.1, symbolic=True)
    assert t.gradient_symbolic is not None
    assert code(t.gradient_symbolic["x"]) == "y^2 + 1"
    assert code(t.gradient_symbolic["y"]) == "y/5"


def test_options_that_need_values() -> None:
    with pytest.raises(OptionError, match="needs a value for every input"):
        trace("x*y", mode="forward")
    big = "y = x\n" + "y = y*1.5 + 1\n" * MAX_NODES
    with pytest.raises(OptionError, match="a symbolic trace is limited"):
        trace(big)
    t = trace(big, x=0.5)
    assert t.symbolic is None and "symbolic layer left out" in t.symbolic_note


def test_seeds_and_several_outputs() -> None:
    t = trace("x*y", seed=2)
    assert t.gradient_symbolic is not None and t.symbolic is not None
    assert code(t.symbolic.passes[0].closed[0]) == "2*y"
    assert code(t.gradient_symbolic["x"]) == "y"  # the gradient is always the unit-seed row
    t = trace("u = x*y; f = u + sin(x); g = u*u", outputs=["f", "g"])
    assert t.symbolic is not None
    jac = {o: {n: code(e) for n, e in row.items()} for o, row in t.symbolic.jacobian.items()}
    assert jac == {"f": {"x": "y + cos(x)", "y": "x"}, "g": {"x": "2*x*y^2", "y": "2*x^2*y"}}


def sample_gradient_check(sample: Sample) -> None:
    values = parse_assignments(sample.values)
    outputs = list(sample.outputs) or None
    numeric = trace(sample.source, values, outputs=outputs)
    symbolic = trace(sample.source, outputs=outputs)
    sym = symbolic.symbolic
    assert sym is not None and numeric.symbolic is not None
    rng = random.Random(sample.name)
    for out, row in sym.jacobian.items():
        for name, formula in row.items():
            assert close(sym.value_of(formula, values, sym.units[out]), numeric.jacobian[out][name], 1e-9, 1e-12)
            # the same formula as the trace with values carries
            assert code(formula) == code(numeric.symbolic.jacobian[out][name])
        for _ in range(3):
            point = {n: v * rng.uniform(0.8, 1.2) for n, v in values.items()}
            other = trace(sample.source, point, outputs=outputs, symbolic=False)
            for name, formula in row.items():
                assert close(sym.value_of(formula, point, sym.units[out]), other.jacobian[out][name], 1e-9, 1e-12)


@pytest.mark.parametrize("sample", LINES, ids=lambda s: s.name)
def test_sample_closed_form_equals_reverse_mode(sample: Sample) -> None:
    sample_gradient_check(sample)


@pytest.mark.parametrize("sample", PROGRAMS, ids=lambda s: s.name)
def test_program_closed_form_is_of_the_path_taken(sample: Sample) -> None:
    """With values, a program's symbolic layer is the closed form of the tape that ran: at those values it
    equals reverse mode."""
    values = parse_assignments(sample.values)
    t = trace(sample.source, values, outputs=list(sample.outputs) or None, symbolic=True)
    sym = t.symbolic
    assert sym is not None
    for out, row in sym.jacobian.items():
        for name, formula in row.items():
            assert close(sym.value_of(formula, dict(t.inputs), sym.units[out]), t.jacobian[out][name], 1e-9, 1e-12)


@pytest.mark.parametrize("sample", LINES, ids=lambda s: s.name)
def test_sample_closed_form_equals_sympy(sample: Sample) -> None:
    outputs = list(sample.outputs) or None
    t = trace(sample.source, outputs=outputs)
    assert t.symbolic is not None
    symbols: dict[str, sympy.Symbol] = {}
    bound: dict[str, Any] = {}  # a program's assigned names, written out in the inputs by sympy itself
    last: Any = None
    for statement in parse(sample.source).statements:
        tree = statement.value if isinstance(statement, Assign) else statement
        last = to_sympy(from_syntax(tree), symbols).subs({symbols[n]: f for n, f in bound.items() if n in symbols})
        if isinstance(statement, Assign):
            bound[statement.target] = last
    for out, gradient in t.symbolic.jacobian.items():
        f = bound.get(out, last)
        for name, formula in gradient.items():
            ours = to_sympy(formula, symbols)
            named = {n: to_sympy(e, symbols) for n, e in t.symbolic.bindings([formula])}  # "where w̄11 = …"
            while any(str(x) in named for x in ours.free_symbols):
                ours = ours.subs({symbols[n]: e for n, e in named.items()})
            assert sympy.simplify(ours - sympy.diff(f, symbols[name])) == 0, (sample.name, out, name, code(formula))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_every_printed_formula_parses_back(sample: Sample) -> None:
    t = trace(sample.source, parse_assignments(sample.values), outputs=list(sample.outputs) or None)
    for formula in every_formula(t):
        assert_round_trip(formula)


# -- random expressions, respecting every function's domain --------------
_UNARY = (
    "sin({})",
    "cos({})",
    "tanh({})",
    "sigmoid({})",
    "exp(sin({}))",
    "log(1 + ({})^2)",
    "sqrt(1 + ({})^2)",
    "-({})",
    "({})^2",
    "({})^3",
)
_BINARY = ("({}) + ({})", "({}) - ({})", "({})*({})", "({})/(1 + ({})^2)", "(1 + ({})^2)^sin({})", "pow({}, 2)*({})")


def random_expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["x", "y", "z", "x", "y", "2", "0.5"])
    if rng.random() < 0.45:
        return rng.choice(_UNARY).format(random_expression(rng, depth - 1))
    template = rng.choice(_BINARY)
    return template.format(random_expression(rng, depth - 1), random_expression(rng, depth - 1))


RANDOM = [e for e in (random_expression(random.Random(seed), 3) for seed in range(400)) if re.search(r"\b[xyz]\b", e)][
    :300
]


@pytest.mark.parametrize("chunk", range(6))
def test_random_closed_forms_equal_reverse_mode_and_sympy(chunk: int) -> None:
    """All 300 against reverse mode at random points (and printed formulas parse back); 120 against sympy too."""
    rng = random.Random(chunk)
    checked = 0
    for k, source in enumerate(RANDOM[chunk::6]):
        t = trace(source)
        sym = t.symbolic
        assert sym is not None
        checked += 1
        for formula in [*sym.gradient.values(), *(e for _, e in sym.bindings(sym.gradient.values()))]:
            assert_round_trip(formula)
        derivatives = {}
        symbols: dict[str, sympy.Symbol] = {n: sympy.Symbol(n) for n in sym.inputs}
        if k % 5 < 2:
            f = to_sympy(from_syntax(parse_expression(source)), symbols)
            derivatives = {n: sympy.diff(f, symbols[n]) for n in sym.inputs}
        for _ in range(2):
            point = {n: rng.uniform(-1.5, 1.5) for n in sym.inputs}
            numeric = trace(source, point, symbolic=False)
            at = {symbols[n]: sympy.Float(v, 30) for n, v in point.items()}
            for name, formula in sym.gradient.items():
                ours = sym.value_of(formula, point)
                assert close(ours, numeric.gradient[name], 1e-8, 1e-9), (source, name, code(formula))
                if derivatives:
                    reference = float(derivatives[name].xreplace(at).evalf(20))
                    assert close(ours, reference, 1e-8, 1e-9), (source, name, code(formula))
    assert checked == 50


@pytest.mark.parametrize(
    "source",
    [
        "relu(x*y) + abs(x - y)",
        "max(x, y^2) - min(sin(x), y)",
        "x^y + pow(y, 3)/x",
        "tan(x)*sqrt(abs(y) + 1) - step(x)*sign(y)",
        "log(x^2 + 1)^0.5 + exp(-x*y)",
        "u = x*y; v = u*u + x; w = v/u; w - log(abs(u) + 1)",
    ],
)
def test_functions_with_kinks_and_powers_match_reverse_mode(source: str) -> None:
    t = trace(source)
    sym = t.symbolic
    assert sym is not None
    rng = random.Random(source)
    for _ in range(20):
        point = {n: rng.choice([-1, 1]) * rng.uniform(0.2, 2.0) for n in sym.inputs}
        if "x^y" in source:
            point["x"] = abs(point["x"])  # x^y needs x > 0
        numeric = trace(source, point, symbolic=False)
        for name, formula in sym.gradient.items():
            assert close(sym.value_of(formula, point), numeric.gradient[name], 1e-9, 1e-12), (source, name)
        for formula in every_formula(t):
            assert_round_trip(formula)


def check_blow_up(t: Trace, point: dict[str, float]) -> SymbolicTrace:
    sym = t.symbolic
    assert sym is not None
    numeric = trace(t.source, point, symbolic=False)
    for name, formula in sym.gradient.items():
        assert close(sym.value_of(formula, point), numeric.gradient[name], 1e-9, 1e-12)
    for formula in every_formula(t):
        assert size(formula) <= 10 * LIMIT  # one term of at most ~3·LIMIT per parent
        assert_round_trip(formula)
    return sym


def test_repeated_squaring_stays_small() -> None:
    t = trace("y = x*x\n" + "y = y*y\n" * 19)
    sym = check_blow_up(t, {"x": 1.0})
    assert code(sym.gradient["x"]) == "1048576*x^1048575"
    assert not sym.notes


def test_a_doubling_formula_keeps_named_intermediates() -> None:
    t = trace("y = x\n" + "y = y*sin(y)\n" * 20)
    sym = check_blow_up(t, {"x": 0.7})
    assert sym.notes and "kept as named intermediates" in sym.notes[0]
    gradient = sym.gradient["x"]
    where = sym.bindings([gradient])
    assert where and size(gradient) <= LIMIT
    assert sum(size(e) for _, e in where) < 40 * LIMIT  # linear in the graph, not 2^20
    assert code(gradient) == "wbar3*sin(x) + wbar3*x*cos(x)"
    assert show(gradient, "latex").startswith("\\bar w_{3}")


def test_deep_graph_within_the_limit_is_fine() -> None:
    t = trace("y = x\n" + "y = sin(y)*y + cos(y)\n" * 30)
    check_blow_up(t, {"x": 0.3})
