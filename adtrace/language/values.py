"""NAME=VALUE arguments → input values; a value may be a constant expression (pi/4, -2, 1e-3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import AdtraceError, InputValueError, Span
from ..expr import evaluate, from_syntax
from ..primitives import CONSTANTS
from . import syntax as st
from .lexer import kind, tokenize
from .parser import parse_expression


def parse_assignments(arguments: Iterable[str]) -> dict[str, float]:
    """['x1=2', 'x2=pi/4'] → {'x1': 2.0, 'x2': 0.785…}; errors point into the argument."""
    values: dict[str, float] = {}
    for arg in arguments:
        written, eq, text = arg.partition("=")
        name = written.strip()
        if not eq:
            raise InputValueError(
                f"'{arg}' is not NAME=VALUE: write it like x1=2 (quote the whole expression if it has spaces)",
                Span(0, len(arg)),
                arg,
            )
        start = len(written) - len(written.lstrip())
        where = Span(start, start + len(name)) if name else Span(0, 1)
        texts = tokenize(name).texts
        if len(texts) != 2 or kind(texts[0]) != "name":
            raise InputValueError(f"'{name}' is not a valid input name", where, arg)
        if name in values:
            raise InputValueError(f"{name} is given a value twice", where, arg)
        if text.lstrip().startswith("["):
            values[name] = array_value(text, name, offset=len(written) + 1, full=arg)
        else:
            values[name] = constant_value(text, name, offset=len(written) + 1, full=arg)
    return values


def array_value(text: str, name: str, offset: int = 0, full: str | None = None) -> Any:
    """`[1, 2, 3]` or `[[1, 2], [3, 4]]` → a numpy array; each element may be a constant expression, and
    the rows must have equal lengths (errors point at the element or the row)."""
    import numpy as np  # only array inputs need it

    source = full if full is not None else text
    stack: list[list[Any]] = []
    nested: list[Any] | None = None
    start = 0

    def error(message: str, at: int, end: int | None = None) -> InputValueError:
        return InputValueError(f"the value of {name} {message}", Span(offset + at, offset + (end or at + 1)), source)

    for k, ch in enumerate(text):
        if ch not in "[],":
            continue
        piece = text[start:k]
        if ch == "[":
            if piece.strip() or nested is not None:
                raise error("has text before '['", start, k + 1)
            stack.append([])
        elif not stack:
            raise error(f"has an unmatched '{ch}'", k)
        elif piece.strip():
            if stack[-1] and isinstance(stack[-1][-1], list) and text[start - 1] == "]":
                raise error("is missing a ',' after a row", start, k)
            stack[-1].append(constant_value(piece, name, offset + start, source))
        elif ch == "," and (not stack[-1] or text[start - 1] == ","):
            raise error("has an empty element", k)
        if ch == "]":
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            else:
                nested = done
        start = k + 1
    if stack or nested is None:
        raise error("has a '[' that is never closed", len(text) - len(text.lstrip()))
    if text[start:].strip():
        raise error("has text after the array", start, len(text))
    try:
        value = np.array(nested, dtype=float)
    except ValueError:
        raise InputValueError(
            f"the value of {name} is not a rectangular array: its rows have different lengths",
            Span(offset, offset + len(text)),
            source,
        ) from None
    if value.size == 0:
        raise InputValueError(f"the value of {name} is an empty array", Span(offset, offset + len(text)), source)
    return value


def coerce(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python-API values: numbers as they are, strings as constant expressions, lists and numpy arrays as
    arrays (of floats, finite)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str):
            raise InputValueError(f"an input's name must be a string, not {name!r}"[:200])
        if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
            out[name] = _array(name, value)
        elif isinstance(value, str):
            out[name] = constant_value(value, name)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputValueError(f"the value of {name} must be a number, not {type(value).__name__}")
        else:
            number = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
            if number - number != 0:  # inf or nan
                raise InputValueError(f"the value of {name} must be a finite number, not {number}")
            out[name] = number
    return out


def _array(name: str, value: Any) -> Any:
    import numpy as np

    try:
        array = np.array(value, dtype=float)
    except (ValueError, TypeError):
        raise InputValueError(f"the value of {name} must be a rectangular array of numbers") from None
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise InputValueError(f"the value of {name} must be a non-empty array of finite numbers")
    return array


def constant_value(text: str, name: str, offset: int = 0, full: str | None = None) -> float:
    """Evaluate a constant expression; every error names the input it belongs to."""
    source = full if full is not None else text
    if tokenize(text).texts == [""]:  # nothing but space or a comment
        raise InputValueError(
            f"no value after '{name}=': write it like {name}=2", Span(offset, offset + len(text)), source
        )
    try:
        tree = parse_expression(text)
    except AdtraceError as err:
        span = Span(err.span.start + offset, err.span.end + offset) if err.span else None
        raise InputValueError(f"the value of {name} is not a number: {err.message}", span, source) from None
    stack: list[st.Node] = [tree]
    while stack:  # a value may name only the constants pi and e
        node = stack.pop()
        if isinstance(node, st.Name) and node.name not in CONSTANTS:
            span = Span(node.span.start + offset, node.span.end + offset)
            raise InputValueError(
                f"the value of {name} must be a number or a constant expression, not the name '{node.name}'",
                span,
                source,
            )
        if isinstance(node, st.Op):
            stack.extend(node.args)
    try:
        value = evaluate(from_syntax(tree), {})
    except (ValueError, ZeroDivisionError, OverflowError):
        value = float("nan")
    if value - value != 0:
        raise InputValueError(f"the value of {name} is not a finite number", Span(offset, offset + len(text)), source)
    return value
