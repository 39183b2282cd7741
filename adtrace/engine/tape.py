"""Text → the tape: which lowering a program takes.

A straight-line program is lowered straight from the Pratt parser (graph._Lowering is the parser's
builder: the fast path); a program with control flow, calls or Python-only syntax is run by the
interpreter, which records the tape through the same lowering. This module is the one that knows both,
so graph.py and interpreter.py need not know each other's callers, and the interpreter need not know the
array interpreter built on it.
"""

from __future__ import annotations

from typing import Any

from ..errors import LimitError
from ..language.lexer import PROGRAM_OPERATORS, PROGRAM_WORDS, Locator, Tokens, tokenize
from ..language.parser import free_names, run
from ..primitives import CONSTANTS
from .graph import Graph, Limits, _Lowering, _UsedBeforeAssigned


def build(
    source: str,
    outputs: list[str] | None = None,
    values: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> Graph:
    """Parse and lower a program; `outputs` names the outputs (default: the last statement, or the
    name of `g.backward()`).

    A straight-line program is lowered straight from the parser (the fast path); a program with control
    flow, calls or Python-only syntax is run by the interpreter (engine.interpreter), which needs the
    input `values` to follow its branches and loops (without them, it refuses a value-dependent branch).
    """
    tokens = tokenize(source)
    limits = limits or Limits()
    kinds = tokens.kinds
    arrays = values is not None and any(not isinstance(v, float) for v in values.values())
    if (
        arrays
        or any(kinds[t] == "str" or t in PROGRAM_OPERATORS or t in PROGRAM_WORDS for t in kinds)
        or _shadows(tokens)
    ):
        return _program(source, tokens, outputs, values, limits)
    locator = Locator(source)
    lowering = _Lowering(source, locator, free_names(tokens))
    try:
        run(source, lowering, tokens, locator)
    except _UsedBeforeAssigned:  # maybe an input rebound by its own statement (x = x/2): Python's meaning
        return _program(source, tokens, outputs, values, limits)
    graph = lowering.finish(outputs)
    if len(graph.nodes) > limits.max_nodes and len(graph.numbered) > limits.max_nodes:  # constants don't count
        raise LimitError(
            f"the program makes {len(graph.numbered):,} nodes, more than the limit of {limits.max_nodes:,} "
            "(--max-nodes raises it)"
        )
    return graph


def _program(
    source: str, tokens: Tokens, outputs: list[str] | None, values: dict[str, float] | None, limits: Limits
) -> Graph:
    from ..language.program import parse_program  # only programs need these: straight lines start without them
    from .interpreter import interpret

    program = parse_program(source, tokens, Locator(source))
    given = values or {}
    if program.arrays or any(not isinstance(v, float) for v in given.values()):
        from .arrays.run import interpret_arrays  # numpy is loaded only for array programs

        return interpret_arrays(source, program, given, outputs, limits)[0]
    return interpret(source, program, outputs, given, limits)


def _shadows(tokens: Tokens) -> bool:
    """Whether a statement assigns to a constant's name (`e = c - d`): the interpreter lets it shadow."""
    texts, kinds = tokens
    if "=" not in kinds or not any(c in kinds for c in CONSTANTS):
        return False
    return any(text in CONSTANTS and texts[i + 1] == "=" for i, text in enumerate(texts[:-1]))
