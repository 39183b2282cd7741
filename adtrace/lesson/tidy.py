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
    try:
        return _tidy_nested(expr, 0)
    except RecursionError:  # nested deeper than recursion may go (never a local partial): the iterative fold
        return fold(expr, lambda leaf: leaf, _tidy_apply)


_NESTED = 100
"""How deep the recursive walk goes before the iterative one (a local partial is a few levels deep)."""


def _tidy_nested(expr: Expr, depth: int) -> Expr:
    """As fold(expr, leaf → leaf, _tidy_apply), recursively: the formulas tidied are small."""
    if expr.__class__ is not Apply:
        return expr
    if depth > _NESTED:
        raise RecursionError
    return _tidy_apply(expr, [_tidy_nested(a, depth + 1) for a in expr.args])


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
