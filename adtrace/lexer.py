"""Text → tokens, each knowing where it starts so errors can point at a column.

Tokens are two parallel lists, texts and start offsets, made by one `re.findall`
(C speed) and one filtering pass: a megabyte of source is ~200,000 tokens, and a
token object each would cost more than all the parsing that follows. A token's
kind is read off its text (`kind`), once per distinct text.
"""

from __future__ import annotations

import re
from itertools import accumulate, compress
from typing import Literal, NamedTuple

from .errors import ParseError, Span

Kind = Literal["num", "name", "op", "newline", "eof", "bad"]

_PIECES = re.compile(
    r"""
    [ \t\r\f\v]+ | \#[^\n]*                     # space and comments: dropped
  | (?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?         # a number
  | [^\W\d_]\w*                                  # a name: a letter, then letters, digits, _
  | \*\* | [-+*/^(),=;\n]                        # an operator, punctuation, a newline
  | .                                            # anything else: reported by the parser, in order
    """,
    re.VERBOSE,
)
"""Every character of the source is in exactly one piece, so offsets are running sums of lengths."""

OPERATORS = frozenset(("**", "+", "-", "*", "/", "^", "(", ")", ",", "=", ";"))
_SPACE = frozenset(" \t\r\f\v#")


class Tokens(NamedTuple):
    texts: list[str]
    """Each token's text, as typed (`**` stays `**`); the last is '' for the end of the input."""
    starts: list[int]
    """Each token's offset into the source; a token ends at start + len(text)."""
    kinds: dict[str, Kind]
    """Each distinct token text → its kind, in order of first appearance (a program has few distinct
    texts, so each is classified once, not once per token)."""


def tokenize(source: str) -> Tokens:
    """Split `source` into tokens; never fails (a bad character is a one-character token)."""
    pieces = _PIECES.findall(source)
    keep = [piece[0] not in _SPACE for piece in pieces]
    texts = list(compress(pieces, keep))
    starts = list(compress(accumulate(map(len, pieces), initial=0), keep))
    texts.append("")
    starts.append(len(source))
    return Tokens(texts, starts, {text: kind(text) for text in dict.fromkeys(texts)})


def kind(text: str) -> Kind:
    """What a token is, from its text (the lexer's classes: `\\d` starts a number, other `\\w` a name)."""
    if not text:
        return "eof"
    if text == "\n":
        return "newline"
    if text in OPERATORS:
        return "op"
    first = text[0]
    if first.isdecimal() or (first == "." and len(text) > 1):
        return "num"
    if first.isalnum():  # \w is alphanumeric or _, and _ can't start a name
        return "name"
    return "bad"


def describe(text: str) -> str:
    """How a token is named in an error message."""
    which = kind(text)
    if which == "op":
        return f"'{text}'"
    if which == "num":
        return f"a number '{text}'"
    if which == "name":
        return f"a name '{text}'"
    return {"newline": "the end of the line", "eof": "the end of the input"}.get(which, repr(text))


def bad_character(text: str, start: int, source: str) -> ParseError:
    """The error for a character no token can start with, with a hint for the usual look-alikes."""
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
        ".": "a number needs a digit next to its decimal point",
    }
    hint = hints.get(text)
    shown = repr(text) if text.isprintable() else f"U+{ord(text):04X}"
    return ParseError(f"unexpected character {shown}" + (f": {hint}" if hint else ""), Span(start, start + 1), source)
