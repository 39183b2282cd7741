"""Tidy a local partial as a textbook writes it: 2·w1^(2 - 1) is 2·w1, 1·w2 is w2.

Only what needs no algebra: a sub-formula of constants becomes its value, x^1 becomes x and a factor 1
goes. The numbers stay the engine's: this changes how a formula reads, never what it is worth.
"""

from __future__ import annotations

from ..expr import Apply, Const, Expr, fold, number
from ..primitives import BY_NAME

_POW, _MUL = BY_NAME["pow"], BY_NAME["mul"]


def tidy(expr: Expr) -> Expr:
    if not isinstance(expr, Apply):
        return expr
    return fold(expr, lambda leaf: leaf, _tidy_apply)


def _tidy_apply(node: Apply, args: list[Expr]) -> Expr:
    if all(_plain(a) for a in args):
        try:
            value = node.prim.evaluate(*(a.value for a in args if isinstance(a, Const)))
        except (ArithmeticError, ValueError):
            return Apply(node.prim, tuple(args))
        if value == value and value - value == 0:
            return Const(value, number(value, 6))
    if node.prim is _POW and _is(args[1], 1.0):
        return args[0]
    if node.prim is _MUL:
        if _is(args[0], 1.0):
            return args[1]
        if _is(args[1], 1.0):
            return args[0]
    return Apply(node.prim, tuple(args))


def _plain(c: Expr) -> bool:
    """A constant written as a plain number (not pi, not a folded 2*pi kept as typed)."""
    return isinstance(c, Const) and c.text.lstrip("-").replace(".", "", 1).isdigit()


def _is(expr: Expr, value: float) -> bool:
    return isinstance(expr, Const) and _plain(expr) and expr.value == value
