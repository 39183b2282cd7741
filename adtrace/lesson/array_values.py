"""An array's numbers as the lesson shows them: a Matrix of printed numbers, big axes cut to their ends.

Apart from lesson/arrays.py so that what only formats a value (lesson/values.py, the words of the last
screen) needs no lesson builder; like every array module, it imports numpy, and only array traces load it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..expr import number
from . import array_words as aw
from .math import Matrix, show

Array = Any
SHOWN = 6
"""Elements shown per axis of a big array (first three, …, last three)."""


def matrix(value: Array, digits: int) -> Matrix:
    """An array's numbers as the lesson shows them (big axes cut to their ends)."""
    a = np.asarray(value)
    if a.ndim == 0:
        return Matrix(number(float(a), digits))
    if a.ndim == 1:
        return Matrix(_cut([number(float(v), digits) for v in _ends(a)], a.shape[0]))
    rows = tuple(
        tuple(_cut([number(float(v), digits) for v in _ends(row)], a.shape[-1]))
        for row in _ends(a.reshape(a.shape[0], -1))
    )
    if a.shape[0] > SHOWN:
        rows = (*rows[:3], ("⋮",) * len(rows[0]), *rows[3:])
    return Matrix(rows)


def _ends(a: Array) -> Array:
    return a if a.shape[0] <= SHOWN else np.concatenate([a[:3], a[-3:]])


def _cut(cells: list[str], n: int) -> tuple[str, ...]:
    return tuple(cells if n <= SHOWN else [*cells[:3], "…", *cells[3:]])


def shape_text(shape: tuple[int, ...]) -> str:
    """(2, 3) → 2×3; (3,) → 3; () → scalar."""
    return "×".join(map(str, shape)) if shape else "scalar"


def show_value(value: Array, digits: int) -> str:
    return show(matrix(value, digits))


SMALL = 28
"""An array whose numbers print in at most this many characters is shown in full in a graph's box, a label or a
table cell of the stepper; a bigger one by its shape (a 2×3 matrix)."""


def shown_array(value: Array, digits: int) -> str:
    """An array as a box or a cell shows it (lesson/values.py's `shown`): in full when small, else its shape."""
    text = show_value(value, digits)
    shape = tuple(np.shape(value))
    return text if not shape or len(text) <= SMALL else aw.big_array(shape_text(shape), len(shape))
