"""Every primitive in the table: numeric partials against finite differences, and
the symbolic partial (printed and re-parsed) against the numeric one."""

from __future__ import annotations

import math

import pytest

from adtrace.expr import Apply, Sym, evaluate, from_syntax, partial_rule, show
from adtrace.parser import parse_expression
from adtrace.primitives import ARG_NAMES, PRIMITIVES, Primitive

# Points inside every primitive's domain and away from its kinks.
POINTS = [(0.7, 1.3), (1.9, 0.4), (2.5, -1.2)]


def _args(prim: Primitive, point: tuple[float, float]) -> list[float]:
    a, b = point
    if prim.name in ("log", "sqrt", "pow"):
        a = abs(a)
    return [a, b][: prim.arity]


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@pytest.mark.parametrize("point", POINTS)
def test_numeric_partials_match_finite_differences(prim: Primitive, point: tuple[float, float]) -> None:
    args = _args(prim, point)
    ans = prim.evaluate(*args)
    grads = prim.grad(*args, ans)
    assert len(grads) == prim.arity
    for k in range(prim.arity):
        h = 1e-6
        up = list(args)
        down = list(args)
        up[k] += h
        down[k] -= h
        numeric = (prim.evaluate(*up) - prim.evaluate(*down)) / (2 * h)
        assert math.isclose(grads[k], numeric, rel_tol=1e-5, abs_tol=1e-6), (prim.name, k)


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@pytest.mark.parametrize("point", POINTS)
def test_symbolic_partials_match_numeric(prim: Primitive, point: tuple[float, float]) -> None:
    args = _args(prim, point)
    env = dict(zip(ARG_NAMES, args, strict=False))
    grads = prim.grad(*args, prim.evaluate(*args))
    for k in range(prim.arity):
        rule = partial_rule(prim, k)
        assert math.isclose(evaluate(rule, env), grads[k], rel_tol=1e-12, abs_tol=1e-12), (prim.name, k)


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
def test_printing_round_trips_through_the_parser(prim: Primitive) -> None:
    expr = Apply(prim, tuple(Sym(n) for n in ARG_NAMES[: prim.arity]))
    code = show(expr, "code")
    assert from_syntax(parse_expression(code)) == expr
    assert show(expr, "plain") and show(expr, "latex")
    for k in range(prim.arity):
        rule = partial_rule(prim, k)
        assert from_syntax(parse_expression(show(rule, "code"))) == rule


def test_kink_conventions_are_stated() -> None:
    by_name = {p.name: p for p in PRIMITIVES}
    assert by_name["abs"].grad(0.0, 0.0) == (0.0,)
    assert by_name["relu"].grad(0.0, 0.0) == (0.5,)
    assert by_name["max"].grad(1.0, 1.0, 1.0) == (0.5, 0.5)
    for name, args in [("abs", (0.0,)), ("relu", (0.0,)), ("max", (1.0, 1.0)), ("min", (2.0, 2.0))]:
        kink = by_name[name].kink
        assert kink is not None and kink(*args)
