"""The formulas a lesson step shows, as data: sums of products of formulas, adjoints and partial symbols.

A step's lines are not strings: `w̄1 = w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1` is a `Sum` of `Prod`s of an adjoint
(`Sym("w̄3")`) and a `Partial("w3", "w1")`. Every view prints the same tree in its own format with
`show` (plain text for the terminal and the stepper, LaTeX for markdown), so no view assembles a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from ..expr import Apply, Const, Expr, Sym, latex_name, number
from ..expr import show as show_expr
from ..primitives import ATOM

Format = Literal["plain", "latex"]

BAR = "\u0304"  # combining macron: w̄
OVERLINE = "\u0305"  # combining overline, on every letter of a longer name: l̅o̅s̅s̅
DOT = "\u0307"  # combining dot above: ẇ


class Partial(NamedTuple):
    """The symbol ∂num/∂den: of labels (∂w3/∂w1), or of a rule's formula (∂(a·b)/∂a)."""

    num: str | Expr
    den: str


class Prod(NamedTuple):
    """Factors multiplied: w̄3·∂w3/∂w1 (printed with a middle dot)."""

    factors: tuple[Math, ...]


class Sum(NamedTuple):
    """Terms added: printed with ' + ', a negative term after the first in parentheses (3 + (-0.4161))."""

    terms: Sequence[Math]
    """A tuple, or for a node with many parents a lazy sequence (made when printed)."""


class Titled(NamedTuple):
    """A node's label with the name the program gave it: w3 (a)."""

    label: str
    name: str


class Running(NamedTuple):
    """The first `shown` of a step's products, and the terms still to come: 3 + (-0.4161) + …

    Every term of a step shares one sequence of products, so a node with many parents costs linear space."""

    terms: Sequence[Math]
    shown: int


MORE = Sym("…")
"""What a running sum ends with: the terms still to come."""


class Formula(NamedTuple):
    """A formula the lesson wrote out itself, in both formats: an array rule (w̄5 = w̄6·w2ᵀ), a shape."""

    plain: str
    latex: str


class Matrix(NamedTuple):
    """An array's numbers as shown: nested tuples of printed numbers (a vector is one tuple, a scalar a str).

    Plain text reads as numpy writes lists, [[1, 2], [3, 4]]; LaTeX is a bmatrix (a vector a row)."""

    rows: str | tuple[str, ...] | tuple[tuple[str, ...], ...]


Math = Expr | Partial | Prod | Sum | Titled | Running | Formula | Matrix


def bar(label: str) -> str:
    """w3 → w̄3 (the macron sits on the letter, before the digits); a name of several letters gets a line
    over all of them (l̅o̅s̅s̅), since a macron on its last letter alone would read as another letter; an array's
    element keeps its index bare (ȳ[0])."""
    if label.endswith("]") and "[" in label:
        name, _, index = label.partition("[")
        return bar(name) + "[" + index
    head = label.rstrip("0123456789-")
    if len(head) > 1:
        return "".join(c + OVERLINE for c in head) + label[len(head) :]
    return head + BAR + label[len(head) :] if head else label + BAR


def dot(label: str) -> str:
    """w3 → ẇ3, the tangent of w3."""
    head = label.rstrip("0123456789-")
    return head + DOT + label[len(head) :] if head else label + DOT


@lru_cache(maxsize=4096)
def adjoint(label: str) -> Sym:
    """The adjoint of a label as a symbol (w̄3): made once for the steps that each node's adjoint appears in."""
    return Sym(bar(label))


def tangent(label: str) -> Sym:
    return Sym(dot(label))


def num(value: float, digits: int) -> Const:
    """A value as shown with `digits` significant digits."""
    return Const(value, number(value, digits))


def seed_num(value: float) -> Const:
    """A seed as the user typed it (2, 0.5), not rounded."""
    return Const(value, f"{value:g}")


def show(math: Math, fmt: Format = "plain") -> str:
    """Print a lesson formula; `Expr` leaves go through the one formula printer (expr.show)."""
    printer = _PRINTERS.get(math.__class__)
    return show_expr(math, fmt) if printer is None else printer(math, fmt)  # type: ignore[arg-type]


def _sum(math: Sum, fmt: Format) -> str:
    terms = math.terms
    if len(terms) == 1:  # most steps: one parent
        return show(terms[0], fmt)
    pieces = [sum_piece(show(t, fmt), k, fmt) for k, t in enumerate(terms)]
    return "".join(pieces) if pieces else "0"


def _prod(math: Prod, fmt: Format) -> str:
    sep = " \\cdot " if fmt == "latex" else "·"
    return sep.join([_factor(f, fmt) for f in math.factors])


def _running(math: Running, fmt: Format) -> str:
    return show(Sum((*math.terms[: math.shown], MORE)), fmt)


def _titled(math: Titled, fmt: Format) -> str:
    sep = "\\ " if fmt == "latex" else " "
    return f"{name(math.label, fmt)}{sep}({name(math.name, fmt)})"


def _partial(math: Partial, fmt: Format) -> str:
    top = name(math.num, fmt) if isinstance(math.num, str) else _of(math.num, fmt)
    if fmt == "latex":
        return f"\\frac{{\\partial {top.strip()}}}{{\\partial {name(math.den, fmt)}}}"
    return f"∂{top}/∂{math.den}"


_PRINTERS: dict[type, Callable[[Any, Format], str]] = {
    Formula: lambda math, fmt: math.latex if fmt == "latex" else math.plain,
    Matrix: lambda math, fmt: _matrix(math.rows, fmt),
    Sum: _sum,
    Prod: _prod,
    Running: _running,
    Titled: _titled,
    Partial: _partial,
}
"""How each lesson shape prints, by its class (a formula of the engine's, Sym, Apply, Const, goes to expr.show)."""


def sum_piece(text: str, k: int, fmt: Format = "plain") -> str:
    """Term k of a sum as the sum prints it, from the term's own text: ' + ' before every term but the first, and
    a negative one after the first in parentheses (3 + (-0.4161)). A sum is its pieces joined, so a view can send
    a running sum's pieces once and show any number of them (the web lesson)."""
    if k == 0:
        return text
    return " + " + (_paren(text, fmt) if text.startswith("-") else text)


def _matrix(rows: str | tuple[str, ...] | tuple[tuple[str, ...], ...], fmt: Format) -> str:
    if isinstance(rows, str):
        return rows
    if fmt == "plain":
        return "[" + ", ".join(r if isinstance(r, str) else _matrix(r, fmt) for r in rows) + "]"
    if all(isinstance(r, str) for r in rows):
        return "\\begin{bmatrix}" + " & ".join(_tex_cell(str(r)) for r in rows) + "\\end{bmatrix}"
    lines = [" & ".join(_tex_cell(c) for c in r) for r in rows]
    return "\\begin{bmatrix}" + " \\cr ".join(lines) + "\\end{bmatrix}"  # \cr: markdown eats a \\


def _tex_cell(text: str) -> str:
    return "\\cdots" if text == "…" else "\\vdots" if text == "⋮" else text


def name(label: str, fmt: Format = "plain") -> str:
    """A label or an adjoint/tangent name in a format (w̄3 → \\bar w_{3} in LaTeX)."""
    return label if fmt == "plain" else latex_name(label)


def _of(expr: Expr, fmt: Format) -> str:
    """What ∂ applies to: ∂(a·b) but ∂ sin(a)."""
    text = show_expr(expr, fmt)
    atomic = not isinstance(expr, Apply) or expr.prim.plain.prec >= ATOM
    return f" {text}" if atomic else _paren(text, fmt)


def _factor(math: Math, fmt: Format) -> str:
    text = show(math, fmt)
    if isinstance(math, Sum) and len(math.terms) > 1:
        return _paren(text, fmt)
    return text


def _paren(text: str, fmt: Format) -> str:
    return f"\\left({text}\\right)" if fmt == "latex" else f"({text})"
