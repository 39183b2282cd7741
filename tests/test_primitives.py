"""Every primitive in the table: numeric partials against finite differences, and
the symbolic partial (printed and re-parsed) against the numeric one."""

from __future__ import annotations

import itertools
import math
import sys

import pytest

from adtrace.expr import Apply, Sym, evaluate, from_syntax, partial_rule, show
from adtrace.language.parser import parse_expression
from adtrace.primitives import ARG_NAMES, PRIMITIVES, Primitive

# Points inside every primitive's domain and away from its kinks.
POINTS = [(0.7, 1.3), (1.9, 0.4), (2.5, -1.2)]


def _args(prim: Primitive, point: tuple[float, float]) -> list[float]:
    a, b = point
    if prim.name in ("log", "sqrt", "pow", "log10", "log2", "log1p"):
        a = abs(a)
    if prim.name in ("asin", "acos", "atanh"):
        a = a / 3  # inside (-1, 1)
    if prim.name == "acosh":
        a = 1 + abs(a)
    if prim.name == "round":
        a += 0.1  # away from round's jump at 2.5
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


# Finite numbers at the edges: zero, the smallest subnormal, around 1, near overflow, and their negatives.
EXTREMES = [
    s * x
    for x in (0.0, 5e-324, 1e-300, 1e-8, 0.5, 1.0, 1.5, 2.0, 3.0, 1e8, 1e150, 1e300, sys.float_info.max)
    for s in (1.0, -1.0)
]


@pytest.mark.parametrize("prim", [p for p in PRIMITIVES if not p.partials_can_fail], ids=lambda p: p.name)
def test_a_finite_value_means_finite_partials_unless_flagged(prim: Primitive) -> None:
    """The forward pass checks partials node by node only for primitives with partials_can_fail; for the
    others it relies on this: wherever the value is finite, so is every local partial."""
    for args in itertools.product(EXTREMES, repeat=prim.arity):
        try:
            ans = prim.evaluate(*args)
            grads = prim.grad(*args, ans)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # raised: the forward pass diagnoses it
        if math.isfinite(ans):
            assert all(math.isfinite(d) for d in grads), (prim.name, args, grads)


@pytest.mark.parametrize("prim", [p for p in PRIMITIVES if p.partials_can_fail], ids=lambda p: p.name)
def test_flagged_primitives_really_can_fail_where_the_value_is_finite(prim: Primitive) -> None:
    """The flag is not set for nothing: each flagged primitive has a finite value with a partial that is not."""
    found = []
    for args in itertools.product(EXTREMES, repeat=prim.arity):
        try:
            ans = prim.evaluate(*args)
            grads = prim.grad(*args, ans)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if math.isfinite(ans) and not all(math.isfinite(d) for d in grads):
            found.append(args)
    assert found, prim.name


def test_every_primitive_takes_one_or_two_arguments() -> None:
    """The lowering and the forward sweep are spelled out for one and two arguments (they run once per
    node); a primitive with three would need them extended first."""
    assert {p.arity for p in PRIMITIVES} <= {1, 2}
