"""How a view shows a node's value, adjoint or tangent, and what an edge of a picture says: one place for all.

The graph drawings (terminal, SVG, Mermaid), the stepper's node table and the web lesson's boxes print what
these give; they never format a number themselves. A scalar trace's value is a float (NaN where a symbolic
trace has no number: shown as nothing); an array program's is a numpy array, shown in full when small and by
its shape (2×3) when big. numpy is only imported for an array (lesson/arrays.py), so a scalar trace never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..expr import number
from .math import bar

if TYPE_CHECKING:
    from ..engine.trace import Trace


def shown(value: Any, digits: int) -> str:
    """A value as a box, a table cell or a label shows it: a number with `digits` significant digits, nothing
    for NaN (a symbolic trace's missing number), a small array in full, a big one as its shape."""
    if isinstance(value, int | float):
        return "" if value != value else number(value, digits)
    from .array_values import shown_array

    return shown_array(value, digits)


def is_arrays(trace: object) -> bool:
    """Whether a trace is an array program's array level (engine/arrays/trace.py)."""
    return bool(getattr(trace, "is_arrays", False))


def edge_label(trace: Trace, i: int, pos: int, digits: int) -> str:
    """What the line from argument `pos` of node i into i says: the local partial ∂wi/∂(argument) at this point
    (nothing where a symbolic trace has no number), or on an array edge the vector–Jacobian rule that carries
    w̄i back to the argument (w̄5·w2ᵀ), since its local Jacobian is never built."""
    if is_arrays(trace):
        from .arrays import rule

        return rule(trace, i, pos, bar(trace.label(i))).plain  # type: ignore[arg-type]
    partials = trace.partials[i]
    return shown(partials[pos], digits) if pos < len(partials) else ""


def edge_title(trace: Trace, a: int, i: int, pos: int, digits: int) -> str:
    """The tooltip of that line: ∂w3/∂w1 = 3 (argument 1), or on an array edge w̄1 += w̄5·w2ᵀ (argument 2)."""
    said = edge_label(trace, i, pos, digits)
    if is_arrays(trace):
        from .array_words import edge_title as array_title

        return array_title(bar(trace.label(a)), said, pos + 1)
    from .words import edge_title as scalar_title

    return scalar_title(trace.label(i), trace.label(a), said, pos + 1)
