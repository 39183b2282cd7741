"""Text → tokens, each knowing its span so errors can point at a column."""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import ParseError, Span


class Token(NamedTuple):
    kind: str
    """'num', 'name', 'op', 'newline' or 'eof'."""
    text: str
    start: int
    end: int

    @property
    def span(self) -> Span:
        return Span(self.start, self.end)


_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+|\#[^\n]*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d_]\w*)
  | (?P<op>\*\*|[-+*/^(),=;])
  | (?P<newline>\n)
  | (?P<bad>.)
    """,
    re.VERBOSE,
)

_DESCRIBE = {"num": "a number", "name": "a name", "newline": "the end of the line", "eof": "the end of the input"}


def describe(tok: Token) -> str:
    """How a token is named in an error message."""
    if tok.kind == "op":
        return f"'{tok.text}'"
    if tok.kind in ("num", "name"):
        return f"{_DESCRIBE[tok.kind]} '{tok.text}'"
    return _DESCRIBE[tok.kind]


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens; `**` is folded into `^` here, once."""
    tokens: list[Token] = []
    append = tokens.append
    previous: Token | None = None
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        assert kind is not None
        if kind == "space":
            previous = None
            continue
        text = match.group()
        start, end = match.span()
        if kind == "bad":
            raise ParseError(_bad_character(text), Span(start, end), source)
        if kind == "name" and previous is not None and previous.kind == "num":
            raise ParseError(
                f"a number can't be followed directly by a name: write '{previous.text}*{text}' to multiply",
                Span(start, end),
                source,
            )
        if kind == "op" and text == "**":
            text = "^"
        tok = Token(kind, text, start, end)
        append(tok)
        previous = tok
    append(Token("eof", "", len(source), len(source)))
    return tokens


def _bad_character(ch: str) -> str:
    hints = {
        "[": "use ( ) for grouping",
        "]": "use ( ) for grouping",
        "{": "use ( ) for grouping",
        "}": "use ( ) for grouping",
        "×": "use * to multiply",
        "·": "use * to multiply",
        "÷": "use / to divide",
        "−": "use the ASCII minus sign -",
        "!": "there is no factorial in adtrace",
        "_": "names must start with a letter",
    }
    hint = hints.get(ch)
    shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
    return f"unexpected character {shown}" + (f": {hint}" if hint else "")
