"""NAME=VALUE arguments → input values; a value may be a constant expression (pi/4, -2, 1e-3)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

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
        values[name] = constant_value(text, name, offset=len(written) + 1, full=arg)
    return values


def coerce(values: Mapping[str, float | int | str]) -> dict[str, float]:
    """Python-API values: numbers as they are, strings as constant expressions."""
    out: dict[str, float] = {}
    for name, value in values.items():
        if not isinstance(name, str):
            raise InputValueError(f"an input's name must be a string, not {name!r}"[:200])
        if isinstance(value, str):
            out[name] = constant_value(value, name)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputValueError(f"the value of {name} must be a number, not {type(value).__name__}")
        else:
            number = float(value) if not isinstance(value, int) or abs(value) < 2**1023 else math.inf
            if number - number != 0:  # inf or nan
                raise InputValueError(f"the value of {name} must be a finite number, not {number}")
            out[name] = number
    return out


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
