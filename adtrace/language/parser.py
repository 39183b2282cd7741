"""Tokens → whatever a builder makes of them, by Pratt parsing (one function, one binding-power table).

Binding powers: `+ -` bind loosest, then `* /`, then prefix minus, then `^`,
which is right-associative; so `-x^2` is `-(x^2)` and `2^3^2` is `2^(3^2)`,
as in mathematics. The operator tokens come from the primitives table.

The parser makes nothing itself: it calls a `Builder` once per number, name and
operation, arguments before operations, and passes around what the builder
returns. `parse()` hands it `syntax.TreeBuilder` and returns the syntax tree;
the engine hands it the graph lowering, so a million-node expression becomes
graph nodes in one pass, with no tree made only to be walked once and dropped
(clox, in *Crafting Interpreters*, compiles straight from its Pratt parser the
same way). Errors stop at the first problem, left to right, with its span.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from ..errors import ArityError, NameResolutionError, ParseError, Span
from ..primitives import CONSTANTS, FUNCTIONS, INFIX, PREFIX, Primitive
from . import syntax as st
from .lexer import Locator, Tokens, bad_character, describe, tokenize

MAX_DEPTH = 5000
"""Nesting deeper than this is reported as an error instead of exhausting the stack."""

# Binding powers are the primitives' printing precedences (Notation.arg_prec): (p, p + 1) for a
# left-associative operator, (p + 1, p) for the right-associative ^, so parsing and printing agree.
_INFIX: dict[str, tuple[int, int, Primitive]] = {
    tok: (prim.code.arg_prec[0], prim.code.arg_prec[1], prim) for tok, prim in INFIX.items()
}
_INFIX["**"] = _INFIX["^"]
_NEG = PREFIX["-"]
_PREFIX_BP = _NEG.code.prec
_NOT_AN_OPERAND = frozenset({")", ",", ";", "=", "", "\n", *_INFIX} - {"+", *PREFIX})
"""Tokens that cannot start an operand ('' is the end of the input)."""
_END_OF_STATEMENT = frozenset({"", "\n", ";"})

T = TypeVar("T")


class Builder(Protocol[T]):
    """What the parser calls, in post-order: each argument is something this builder returned.

    Places are token indices: `token`, or `first` to `last` inclusive (a `Locator` makes them spans).
    """

    def number(self, value: float, text: str, token: int) -> T: ...

    def name(self, name: str, token: int) -> T: ...

    def apply(self, prim: Primitive, args: tuple[T, ...], first: int, last: int) -> T: ...

    def statement(self, target: str | None, token: int, value: T) -> None:
        """A statement is complete: `target = value` (`token` is the target's), or a bare expression
        (target None; `token` is its first)."""


def parse(source: str) -> st.Program:
    """Parse a program: statements `name = expr` or bare expressions, split by `;` or newlines."""
    locator = Locator(source)
    builder = st.TreeBuilder(locator)
    run(source, builder, locator=locator)
    return st.Program(source, tuple(builder.statements))


def parse_expression(source: str) -> st.Node:
    """Parse exactly one expression (no assignments), e.g. a NAME=VALUE value."""
    locator = Locator(source)
    builder = st.TreeBuilder(locator)
    run(source, builder, locator=locator, expression_only=True)
    (node,) = builder.statements
    assert not isinstance(node, st.Assign)
    return node


def free_names(tokens: Tokens) -> dict[str, int]:
    """The program's inputs: names that are neither assigned, called nor built-in constants, in order of
    first appearance, each with the index of its first token. Known before parsing, so the graph can
    number its inputs first; a name that is assigned but used before its assignment is the graph
    builder's error, where it is met."""
    texts, kinds = tokens
    targets = (  # a name that starts a statement and is followed by '='; any other '=' is a syntax error
        {texts[i - 1] for i, text in enumerate(texts) if text == "=" and (i == 1 or texts[i - 2] in ("\n", ";"))}
        if "=" in kinds
        else set()
    )
    free = [
        name
        for name, which in kinds.items()  # in order of first appearance
        if which == "name" and name not in targets and name not in FUNCTIONS and name not in CONSTANTS
    ]
    first: dict[str, int] = {}
    missing = set(free)
    for i, text in enumerate(texts):  # one pass, stopping once every name is found (not texts.index per name)
        if not missing:
            break
        if text in missing:
            missing.discard(text)
            first[text] = i
    return {name: first[name] for name in free}


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' — did you mean 'sin'?' or '' when nothing is close."""
    import difflib  # only an error needs it: kept off the start-up path

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


@contextmanager
def _deep_recursion() -> Iterator[None]:
    """Allow MAX_DEPTH nested levels: up to two Python frames each (expr → call → expr for `sin(`),
    which CPython 3.11 runs without growing the C stack."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 2 * MAX_DEPTH + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def run(
    source: str,
    builder: Builder[T],
    tokens: Tokens | None = None,
    locator: Locator | None = None,
    *,
    expression_only: bool = False,
) -> None:
    """Parse `source` into `builder`: a program of statements, or with `expression_only` one expression.

    `tokens` and `locator`, when given, must be `source`'s (the graph builder shares them with the parser).
    """
    texts, kinds = tokens if tokens is not None else tokenize(source)
    locate = locator if locator is not None else Locator(source)
    number, name, apply = builder.number, builder.name, builder.apply
    pos = 0
    depth = 0

    def error(message: str, at: int) -> ParseError:
        text = texts[at]
        if kinds[text] == "bad" or text in {"[", "]", "{", "}"}:  # a character expressions never use is the problem
            return bad_character(text, locate.span(at), source)
        return ParseError(message, locate.span(at), source)

    def no_operand(after: str) -> ParseError:
        """The error when no operand starts at pos, after the token `after` (callers test
        `texts[pos] in _NOT_AN_OPERAND` themselves: it runs once per operation)."""
        found = describe(texts[pos])
        return error(f"expected a number, a name or '(' after '{after}', found {found}", pos)

    def expr(min_bp: int) -> T:
        nonlocal pos, depth
        depth += 1
        if depth > MAX_DEPTH + 1:  # the outermost expression is level 0: `(`*5000 + `x` is 5,000 levels
            raise error(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)", pos)
        first = pos
        text = texts[pos]
        what = kinds[text]
        lhs: T
        if what == "name":
            pos += 1
            if texts[pos] == "(":
                lhs = call(text, first)
            elif text in FUNCTIONS:
                at = pos if kinds[texts[pos]] == "bad" else pos - 1  # sin@(x): the '@' is the problem
                raise error(f"'{text}' is a function: write {text}(…) with its argument in parentheses", at)
            else:
                lhs = name(text, first)
        elif what == "num":
            value = float(text)
            if value == math.inf:
                raise error(f"the number {text} is too large for a floating-point number (max about 1.8e308)", pos)
            pos += 1
            lhs = number(value, text, first)
        elif text == "(":
            pos += 1
            if texts[pos] == ")":
                raise error("empty parentheses: put an expression inside", pos)
            if texts[pos] in _NOT_AN_OPERAND:
                raise no_operand(text)
            lhs = expr(0)
            if texts[pos] != ")":
                found = describe(texts[pos])
                raise error(f"expected ')' to close the '(' at column {locate.column(first)}, found {found}", pos)
            pos += 1
        elif text == "-" or text == "+":
            pos += 1
            if texts[pos] in _NOT_AN_OPERAND:
                raise no_operand(text)
            lhs = expr(_PREFIX_BP)
            if text == "-":
                lhs = apply(_NEG, (lhs,), first, pos - 1)
        elif not text and first == 0:
            raise error("the expression is empty: type something like 'x1*x2 + sin(x1)'", pos)
        else:
            raise error(f"expected a number, a name or '(', found {describe(text)}", pos)
        while True:
            text = texts[pos]
            bp = _INFIX.get(text)
            if bp is None or bp[0] < min_bp:
                break
            pos += 1
            if texts[pos] in _NOT_AN_OPERAND:
                raise no_operand(text)
            rhs = expr(bp[1])
            lhs = apply(bp[2], (lhs, rhs), first, pos - 1)
        depth -= 1
        return lhs

    def call(function: str, first: int) -> T:
        nonlocal pos
        prim = FUNCTIONS.get(function)
        if prim is None:
            hint = suggest(function, FUNCTIONS)
            raise NameResolutionError(f"unknown function '{function}'{hint}", locate.span(first), source)
        open_at = pos
        pos += 1
        args: list[T] = []
        if texts[pos] != ")":
            while True:
                if texts[pos] in _NOT_AN_OPERAND:
                    raise no_operand(texts[pos - 1])
                args.append(expr(0))
                if texts[pos] != ",":
                    break
                pos += 1
        if texts[pos] != ")":
            found = describe(texts[pos])
            raise error(
                f"expected ')' to close the call of {function}(…) at column {locate.column(open_at)}, found {found}",
                pos,
            )
        pos += 1
        if len(args) != prim.arity:
            plural = "s" if prim.arity != 1 else ""
            raise ArityError(
                f"{function} takes {prim.arity} argument{plural}, got {len(args)}", locate.span(first, pos - 1), source
            )
        return apply(prim, tuple(args), first, pos - 1)

    def unexpected_after_expression() -> ParseError:
        text = texts[pos]
        if text == ")":
            return error("unmatched ')': there is no '(' for it to close", pos)
        if text == "=":
            return error("unexpected '=': only a plain name can be assigned, as in 'a = x*y'", pos)
        if kinds[text] in ("name", "num") or text == "(":
            return error(f"missing operator before {describe(text)}: write '{texts[pos - 1]}*{text}' to multiply", pos)
        return error(f"unexpected {describe(text)}", pos)

    with _deep_recursion():
        if expression_only:
            builder.statement(None, 0, expr(0))
            if texts[pos]:
                raise unexpected_after_expression()
            return
        statements = 0
        while True:
            while texts[pos] == "\n" or texts[pos] == ";":
                pos += 1
            if not texts[pos]:
                break
            text = texts[pos]
            if texts[pos + 1] == "=" and kinds[text] == "name":
                if text in FUNCTIONS or text in CONSTANTS:
                    what = "function" if text in FUNCTIONS else "constant"
                    raise error(f"can't assign to '{text}': it is a built-in {what}", pos)
                target = pos
                pos += 2
                if texts[pos] in _END_OF_STATEMENT:
                    raise error(f"expected an expression after '{text} ='", pos)
                if texts[pos] in _NOT_AN_OPERAND:
                    raise no_operand("=")
                builder.statement(text, target, expr(0))
            else:
                builder.statement(None, pos, expr(0))
            statements += 1
            if texts[pos] not in _END_OF_STATEMENT:
                raise unexpected_after_expression()
        if not statements:
            raise ParseError("the expression is empty: type something like 'x1*x2 + sin(x1)'", Span(0, 0), source)
