"""Differential tests: adtrace's gradient on random programs against finite differences, sympy and PyTorch.

Programs come from `generated.programs()`: every primitive of the table, 1–6 inputs, shared subexpressions.
Points within 1e-6 of a kink (abs/relu/step/sign at 0, a max/min tie) are skipped: there the derivative is
a convention (stated in the trace), not something a finite difference or another engine agrees on.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest
from generated import ARITHMETIC, GUARDS, OPERATIONS, Program, Tree, programs, show
from hypothesis import HealthCheck, assume, example, given, settings
from sympy_expr import no_delta

from adtrace import AdtraceError, trace
from adtrace.engine.tape import build
from adtrace.engine.trace import Trace
from adtrace.expr import Apply, Const, Sym
from adtrace.expr import show as pretty
from adtrace.primitives import BY_NAME

SCALE = int(os.environ.get("ADTRACE_FUZZ_SCALE", "1"))
"""Multiply the number of cases for a longer hunt: ADTRACE_FUZZ_SCALE=20 python -m pytest tests/test_differential.py"""
FAST = settings(max_examples=400 * SCALE, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
ORACLE = settings(max_examples=300 * SCALE, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


def traced(program: Program) -> Trace:
    """adtrace on a generated program; programs that overflow or are constant are not interesting here."""
    try:
        result = trace(program.source, program.inputs)
    except AdtraceError:
        assume(False)
        raise
    assume(all(abs(v) < 1e6 for v in result.values))
    assume(all(abs(g) < 1e6 for g in result.gradient.values()))
    assume(not _near_kink(result))
    return result


def _near_kink(result: Trace) -> bool:
    for node in result.graph.nodes:
        if node.prim.kink is None:
            continue
        args = [result.values[a] for a in node.args]
        distance = args[0] - args[1] if len(args) == 2 else args[0]
        if abs(distance) < 1e-6:
            return True
    return False


# -- finite differences -----------------------------------------------------------


def value_at(program: Program, point: dict[str, float]) -> float:
    return trace(program.source, point).value


def check_against_finite_differences(program: Program) -> None:
    result = traced(program)
    for name, g in result.gradient.items():
        x = program.inputs[name]
        h = 1e-5 * max(1.0, abs(x))

        def diff(step: float, name: str = name, x: float = x) -> float:
            up = value_at(program, dict(program.inputs, **{name: x + step}))
            down = value_at(program, dict(program.inputs, **{name: x - step}))
            return (up - down) / (2 * step)

        try:
            coarse, fine = diff(h), diff(h / 2)
        except AdtraceError:
            assume(False)
            raise
        # Conditioning-aware: the truncation error shows as the change between two steps, the rounding
        # error is about machine epsilon times |f| over the step.
        rounding = 8 * sys.float_info.epsilon * (1 + abs(result.value)) / (h / 2)
        tolerance = 1e-7 * (1 + abs(g)) + 4 * abs(coarse - fine) + rounding
        assert abs(g - fine) <= tolerance, f"∂z/∂{name}: adtrace {g!r}, finite differences {fine!r} on\n{program}"


@FAST
@given(programs())
def test_gradient_matches_finite_differences(program: Program) -> None:
    check_against_finite_differences(program)


# -- sympy --------------------------------------------------------------------------


def _sympy_table() -> dict[str, Callable[..., Any]]:
    """The one primitive → sympy table (tests/sympy_expr.py), imported only when sympy is there."""
    from sympy_expr import FUNCTIONS

    return FUNCTIONS


def to_sympy(tree: Tree, symbols: dict[str, Any], table: dict[str, Callable[..., Any]]) -> Any:
    import sympy as sp

    if tree[0] == "var":
        return symbols[tree[1]]
    if tree[0] == "const":
        value = tree[1]
        return sp.Integer(int(value)) if value == int(value) else sp.Rational(str(value))
    return table[tree[1]](*(to_sympy(a, symbols, table) for a in tree[2]))


def test_every_primitive_has_a_sympy_oracle() -> None:
    pytest.importorskip("sympy")
    missing = [p.name for p in OPERATIONS if p.name not in _sympy_table()]
    assert not missing, f"add a sympy form for {missing} in tests/test_differential.py"


@ORACLE
@given(programs(max_inputs=4, max_statements=3))
@example(
    Program(
        {"x1": -1.255},
        (
            ("t1", ("op", "add", (("op", "sign", (("const", 2.0),)), ("var", "x1")))),
            (
                "z",
                (
                    "op",
                    "add",
                    (
                        (
                            "op",
                            "sign",
                            (("op", "acos", (("op", "mul", (("const", 0.9), ("op", "tanh", (("var", "t1"),)))),)),),
                        ),
                        ("var", "x1"),
                    ),
                ),
            ),
        ),
    )
)
def test_gradient_matches_sympy(program: Program) -> None:
    sp = pytest.importorskip("sympy")
    result = traced(program)
    symbols = {name: sp.Symbol(name, real=True) for name in program.inputs}
    formula = to_sympy(program.expanded(), symbols, _sympy_table())
    point = {symbols[name]: sp.Float(repr(v), 30) for name, v in program.inputs.items()}
    for name in program.inputs:
        expected = float(no_delta(sp.diff(formula, symbols[name])).subs(point).evalf(20))
        got = result.gradient.get(name, 0.0)  # an input no statement uses has derivative 0
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
            f"∂z/∂{name}: adtrace {got!r}, sympy {expected!r} on\n{program.source}"
        )


# -- PyTorch (only where installed; CI does not install it) ------------------------


@ORACLE
@given(programs(max_inputs=4, max_statements=3))
def test_gradient_matches_pytorch(program: Program) -> None:
    torch = pytest.importorskip("torch")
    result = traced(program)
    table: dict[str, Callable[..., Any]] = {
        **ARITHMETIC,
        "relu": torch.relu,
        "max": torch.maximum,
        "min": torch.minimum,
        "step": lambda a: (torch.sign(a) + 1) / 2,
    }
    inputs = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in program.inputs.items()}
    env: dict[str, Any] = dict(inputs)

    def run(tree: Tree) -> Any:
        if tree[0] == "var":
            return env[tree[1]]
        if tree[0] == "const":
            return torch.tensor(tree[1], dtype=torch.float64)
        f = table.get(tree[1]) or getattr(torch, tree[1])
        return f(*(run(a) for a in tree[2]))

    for name, tree in program.statements:
        env[name] = run(tree)
    out = env[program.statements[-1][0]]
    grads = torch.autograd.grad(out, list(inputs.values()), allow_unused=True)
    for (name, _), g in zip(inputs.items(), grads, strict=True):
        expected = 0.0 if g is None else float(g)
        got = result.gradient.get(name, 0.0)
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (
            f"∂z/∂{name}: adtrace {got!r}, PyTorch {expected!r} on\n{program.source}"
        )


# -- parse(pretty_print(e)) is the same graph -----------------------------------


def to_expr(tree: Tree) -> Any:
    if tree[0] == "var":
        return Sym(tree[1])
    if tree[0] == "const":
        return Const(tree[1], repr(tree[1]))
    return Apply(BY_NAME[tree[1]], tuple(to_expr(a) for a in tree[2]))


def graph_shape(source: str) -> list[tuple[str, tuple[int, ...], float, str | None]]:
    graph = build(source)
    return [(n.prim.name, n.args, n.const, None if n.is_const else n.name) for n in graph.nodes]


@settings(max_examples=1000 * SCALE, deadline=None)
@given(programs(max_statements=1))
@example(Program({"x1": 1.0}, (("z", ("op", "neg", (("op", "pow", (("var", "x1"), ("const", 2.0))),))),)))
@example(Program({"x1": 1.0}, (("z", ("op", "pow", (("op", "neg", (("var", "x1"),)), ("const", 2.0)))),)))
def test_pretty_printed_expression_parses_to_the_same_graph(program: Program) -> None:
    tree = program.statements[-1][1]
    printed = pretty(to_expr(tree), "code")
    try:
        expected = graph_shape(show(tree))
    except AdtraceError:
        assume(False)  # e.g. a constant sub-expression that folds to something not finite
        raise
    assert graph_shape(printed) == expected, f"{printed!r} does not parse back to the graph of {show(tree)!r}"


def test_guards_name_real_primitives() -> None:
    assert set(GUARDS) <= set(BY_NAME)
