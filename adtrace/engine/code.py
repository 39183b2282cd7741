"""Names and formulas as generated code writes them (the adjoint programs, scalar and array): a label as a
Python name adtrace reads as one name, and a local partial tidied as a textbook writes it."""

from __future__ import annotations

import math
import re

from ..expr import Apply, Const, Expr, fold
from ..primitives import BY_NAME
from .graph import ascii_label

_POW = BY_NAME["pow"]
_MUL = BY_NAME["mul"]


def python_name(name: str) -> str:
    """A name as a Python identifier adtrace reads as one name: x[0] → x_0 and W[1,2] → W_1_2 (the elements of
    an array program taken apart, --elements), c@2 → c_2; a plain name stays as it is."""
    if name.isidentifier():
        return name
    return re.sub(r"\W+", "_", ascii_label(name).replace("]", "")).strip("_") or "x"


def tidy(expr: Expr) -> Expr:
    """A partial as a textbook writes it, with no change to its value: 2*w1**(2 - 1) is 2*w1, and a
    sub-formula of plain numbers is its value (exactly: repr of the float)."""
    return fold(expr, lambda leaf: leaf, _tidy_apply)


def _tidy_apply(node: Apply, args: list[Expr]) -> Expr:
    if all(_plain(a) for a in args):
        try:
            value = node.prim.evaluate(*(a.value for a in args if isinstance(a, Const)))
        except (ArithmeticError, ValueError):
            value = math.nan
        if math.isfinite(value):
            text = repr(value)
            return Const(value, text[:-2] if text.endswith(".0") and abs(value) < 1e15 else text)
    if node.prim is _POW and is_number(args[1], 1.0):
        return args[0]
    if node.prim is _MUL and is_number(args[0], 1.0):
        return args[1]
    if node.prim is _MUL and is_number(args[1], 1.0):
        return args[0]
    return Apply(node.prim, tuple(args))


def _plain(expr: Expr) -> bool:
    """A constant written as a plain number (not pi, not a folded 2*pi kept as typed)."""
    return isinstance(expr, Const) and expr.text.lstrip("-").replace(".", "", 1).isdigit()


def is_number(expr: Expr, value: float) -> bool:
    return isinstance(expr, Const) and _plain(expr) and expr.value == value
