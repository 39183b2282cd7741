"""The syntax tree the parser builds: unresolved names, with spans for errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..errors import Span

if TYPE_CHECKING:
    from ..primitives import Primitive
    from .lexer import Locator


class Num(NamedTuple):
    value: float
    text: str
    span: Span


class Name(NamedTuple):
    name: str
    span: Span


class Op(NamedTuple):
    """An operator or function application; `op` is a primitive's name."""

    op: str
    args: tuple[Node, ...]
    span: Span


# Num, Name and Op are named tuples: the parser makes one per token or operator, and a tuple is made
# about twice as fast as a frozen dataclass. Tell them apart by type, never by comparing them as tuples.
Node = Num | Name | Op


class Assign(NamedTuple):
    target: str
    target_span: Span
    value: Node


class Program(NamedTuple):
    """Statements in order; a single expression is a program of one bare statement."""

    source: str
    statements: tuple[Assign | Node, ...]


class TreeBuilder:
    """The parser's builder for a syntax tree (`parser.parse`): one Num, Name or Op per call."""

    def __init__(self, locator: Locator) -> None:
        self.span = locator.span
        self.statements: list[Assign | Node] = []

    def number(self, value: float, text: str, token: int) -> Node:
        return Num(value, text, self.span(token))

    def name(self, name: str, token: int) -> Node:
        return Name(name, self.span(token))

    def apply(self, prim: Primitive, args: tuple[Node, ...], first: int, last: int) -> Node:
        return Op(prim.name, args, self.span(first, last))

    def statement(self, target: str | None, token: int, value: Node) -> None:
        if target is None:
            self.statements.append(value)
        else:
            self.statements.append(Assign(target, self.span(token), value))


def sexpr(node: Node) -> str:
    """A compact S-expression, for tests and debugging: (add x (mul 2 y))."""
    parts: list[str] = []
    stack: list[Node | str] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, Num):
            parts.append(item.text)
        elif isinstance(item, Name):
            parts.append(item.name)
        else:
            parts.append(f"({item.op}")
            stack.append(")")
            for arg in reversed(item.args):
                stack.append(arg)
                stack.append(" ")
    return "".join(parts)
