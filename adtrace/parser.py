"""Tokens → syntax tree, by Pratt parsing (one function, one binding-power table).

Binding powers: `+ -` bind loosest, then `* /`, then prefix minus, then `^`,
which is right-associative; so `-x^2` is `-(x^2)` and `2^3^2` is `2^(3^2)`,
as in mathematics. The operator tokens come from the primitives table.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from . import syntax as st
from .errors import ArityError, NameResolutionError, ParseError, Span
from .lexer import Token, describe, tokenize
from .primitives import CONSTANTS, FUNCTIONS, INFIX, PREFIX

MAX_DEPTH = 5000
"""Nesting deeper than this is reported as an error instead of exhausting the stack."""

# Binding powers are the primitives' printing precedences (Notation.arg_prec): (p, p + 1) for a
# left-associative operator, (p + 1, p) for the right-associative ^, so parsing and printing agree.
_INFIX_BP: dict[str, tuple[int, int]] = {
    tok: (prim.code.arg_prec[0], prim.code.arg_prec[1]) for tok, prim in INFIX.items()
}
_PREFIX_BP = PREFIX["-"].code.prec
_NOT_AN_OPERAND = {")", ",", ";", "=", *_INFIX_BP} - {"+", *PREFIX}  # what cannot start an operand


def parse(source: str) -> st.Program:
    """Parse a program: statements `name = expr` or bare expressions, split by `;` or newlines."""
    return _Parser(source).program()


def parse_expression(source: str) -> st.Node:
    """Parse exactly one expression (no assignments), e.g. a NAME=VALUE value."""
    parser = _Parser(source)
    with parser.deep_recursion():
        node = parser.expr(0)
    parser.expect_end()
    return node


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' — did you mean 'sin'?' or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = tokenize(source)
        self.pos = 0
        self.depth = 0

    # -- token helpers -------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        at = self.pos + ahead  # the last token is eof, and advance() never moves past it
        return self.tokens[at] if at < len(self.tokens) else self.tokens[-1]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def error(self, message: str, tok: Token) -> ParseError:
        return ParseError(message, tok.span, self.source)

    def expect(self, text: str, context: str) -> Token:
        tok = self.peek()
        if tok.kind == "op" and tok.text == text:
            return self.advance()
        raise self.error(f"expected '{text}' {context}, found {describe(tok)}", tok)

    def expect_end(self) -> None:
        tok = self.peek()
        if tok.kind != "eof":
            raise self._unexpected_after_expression(tok)

    @contextmanager
    def deep_recursion(self) -> Iterator[None]:
        """Allow MAX_DEPTH nested levels: up to four Python frames each (expr → prefix → name_or_call →
        operand for `sin(`), which CPython 3.11 runs without growing the C stack."""
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 4 * MAX_DEPTH + 1000))
        try:
            yield
        finally:
            sys.setrecursionlimit(old)

    # -- programs ------------------------------------------------------
    def program(self) -> st.Program:
        statements: list[st.Assign | st.Node] = []
        with self.deep_recursion():
            while True:
                while self.peek().kind == "newline" or self.peek().text == ";":
                    self.advance()
                if self.peek().kind == "eof":
                    break
                statements.append(self.statement())
                tok = self.peek()
                if tok.kind == "eof":
                    break
                if tok.kind != "newline" and tok.text != ";":
                    raise self._unexpected_after_expression(tok)
        if not statements:
            raise ParseError("the expression is empty: type something like 'x1*x2 + sin(x1)'", Span(0, 0), self.source)
        return st.Program(self.source, tuple(statements))

    def statement(self) -> st.Assign | st.Node:
        tok, nxt = self.peek(), self.peek(1)
        if tok.kind == "name" and nxt.kind == "op" and nxt.text == "=":
            if tok.text in FUNCTIONS or tok.text in CONSTANTS:
                kind = "function" if tok.text in FUNCTIONS else "constant"
                raise self.error(f"can't assign to '{tok.text}': it is a built-in {kind}", tok)
            self.advance()
            equals = self.advance()
            if self.peek().kind in ("eof", "newline") or self.peek().text == ";":
                raise self.error(f"expected an expression after '{tok.text} ='", self.peek())
            return st.Assign(tok.text, tok.span, self.operand(0, after=equals))
        return self.expr(0)

    def _unexpected_after_expression(self, tok: Token) -> ParseError:
        if tok.kind == "op" and tok.text == ")":
            return self.error("unmatched ')': there is no '(' for it to close", tok)
        if tok.kind == "op" and tok.text == "=":
            return self.error("unexpected '=': only a plain name can be assigned, as in 'a = x*y'", tok)
        if tok.kind in ("name", "num") or (tok.kind == "op" and tok.text == "("):
            before = self.tokens[self.pos - 1].text if self.pos else ""
            return self.error(
                f"missing operator before {describe(tok)}: write '{before}*{tok.text}' to multiply",
                tok,
            )
        return self.error(f"unexpected {describe(tok)}", tok)

    # -- expressions ---------------------------------------------------
    def expr(self, min_bp: int) -> st.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)", self.peek())
        lhs = self.prefix()
        while True:
            tok = self.peek()
            if tok.kind != "op" or tok.text not in _INFIX_BP:
                break
            left_bp, right_bp = _INFIX_BP[tok.text]
            if left_bp < min_bp:
                break
            self.advance()
            rhs = self.operand(right_bp, after=tok)
            lhs = st.Op(INFIX[tok.text].name, (lhs, rhs), _join(lhs, rhs))
        self.depth -= 1
        return lhs

    def operand(self, min_bp: int, after: Token) -> st.Node:
        tok = self.peek()
        if tok.kind in ("eof", "newline") or (tok.kind == "op" and tok.text in _NOT_AN_OPERAND):
            raise self.error(f"expected a number, a name or '(' after '{after.text}', found {describe(tok)}", tok)
        return self.expr(min_bp)

    def prefix(self) -> st.Node:
        tok = self.advance()
        if tok.kind == "num":
            value = float(tok.text)
            if value == math.inf:
                raise self.error(
                    f"the number {tok.text} is too large for a floating-point number (max about 1.8e308)", tok
                )
            return st.Num(value, tok.text, tok.span)
        if tok.kind == "name":
            return self.name_or_call(tok)
        if (tok.kind == "op" and tok.text in PREFIX) or tok.text == "+":
            operand = self.operand(_PREFIX_BP, after=tok)
            if tok.text == "+":
                return operand
            return st.Op(PREFIX[tok.text].name, (operand,), Span(tok.start, operand.span.end))
        if tok.kind == "op" and tok.text == "(":
            if self.peek().text == ")":
                raise self.error("empty parentheses: put an expression inside", self.peek())
            inner = self.operand(0, after=tok)
            self.expect(")", f"to close the '(' at column {tok.start + 1}")
            return inner
        if tok.kind == "eof" and tok.start == 0:
            raise self.error("the expression is empty: type something like 'x1*x2 + sin(x1)'", tok)
        raise self.error(f"expected a number, a name or '(', found {describe(tok)}", tok)

    def name_or_call(self, tok: Token) -> st.Node:
        is_call = self.peek().kind == "op" and self.peek().text == "("
        if not is_call:
            if tok.text in FUNCTIONS:
                raise self.error(
                    f"'{tok.text}' is a function: write {tok.text}(…) with its argument in parentheses", tok
                )
            return st.Name(tok.text, tok.span)
        prim = FUNCTIONS.get(tok.text)
        if prim is None:
            hint = suggest(tok.text, FUNCTIONS)
            raise NameResolutionError(f"unknown function '{tok.text}'{hint}", tok.span, self.source)
        open_paren = self.advance()
        args: list[st.Node] = []
        if self.peek().text != ")":
            while True:
                args.append(self.operand(0, after=open_paren if not args else self.tokens[self.pos - 1]))
                if self.peek().text != ",":
                    break
                self.advance()
        close = self.expect(")", f"to close the call of {tok.text}(…) at column {open_paren.start + 1}")
        if len(args) != prim.arity:
            plural = "s" if prim.arity != 1 else ""
            raise ArityError(
                f"{tok.text} takes {prim.arity} argument{plural}, got {len(args)}",
                Span(tok.start, close.end),
                self.source,
            )
        return st.Op(prim.name, tuple(args), Span(tok.start, close.end))


def _join(a: st.Node, b: st.Node) -> Span:
    return Span(a.span.start, b.span.end)
