"""Text → tokens, and (on demand) where each one is, so errors can point at a column.

Tokens are a list of texts made by one `re.findall` (C speed): a megabyte of
source is ~200,000 tokens, and a token object each, or even a start offset
each, would cost more than the parsing that follows. Everything downstream
names a token by its index; a `Locator` turns indices into character spans
when an error needs one. A token's kind is read off its text, once per
distinct text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, NamedTuple, TypeVar

from ..errors import ParseError, Span

Kind = Literal["num", "name", "op", "str", "newline", "eof", "bad"]
_M = TypeVar("_M")

_TOKENS = re.compile(
    r"""
    (?:[ \t\r\f\v]+ | \#[^\n]*)*+                  # space and comments before a token: skipped, and
                                                  # possessively, so a comment is never split into tokens
    (
        \*\*=? | //=? | [-+*/%<>=!@]=? | [\^(),;:\[\]{}\n]   # an operator, punctuation, a newline
      | [^\W\d_]\w*+(?!['"])                           # a name: a letter, then letters, digits, _
      | (?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?           # a number
      | (?:[rRbBuUfF]{1,2}(?=['"]))?                     # a string (a name before a quote is its prefix):
        (?:'{3}[\s\S]*?'{3}|"{3}[\s\S]*?"{3}             # triple-quoted, or on one line
          |'[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")
      | \.                                              # a method call's or attribute's dot
      | [^ \t\r\f\v]                                # anything else: reported by the parser, in order
      | \Z                                          # the end of the input: the last token is ''
    )
    """,
    re.VERBOSE,
)
"""One match per token, the last one empty at the end of the input; `findall` returns just the tokens'
texts, and nothing in the source is left unmatched."""

OPERATORS = frozenset(("**", "+", "-", "*", "/", "^", "(", ")", ",", "=", ";"))
"""The operators of expressions and straight-line programs (the fast path's parser reads only these)."""
PROGRAM_OPERATORS = frozenset(
    (
        "//",
        "%",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        ":",
        ".",
        "[",
        "]",
        "{",
        "}",
        "+=",
        "-=",
        "*=",
        "/=",
        "**=",
        "//=",
        "%=",
        "@",
        "@=",
    )
)
"""The rest of the Python subset's punctuation (language/program.py): a program using any of them, or a keyword,
is run by the interpreter."""
KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except finally for from "
    "global if import in is lambda nonlocal not or pass raise return try while with yield".split()
)
"""Python's keywords (language/program.py gives each a meaning or an error of its own)."""
ARRAY_FUNCTIONS = frozenset(
    "sum mean prod dot matmul outer norm reshape concatenate stack logsumexp softmax zeros ones eye len array "
    "asarray transpose".split()
)
"""Functions with numpy's meaning on arrays (adtrace/array_primitives.py defines them; `max`, `min` of one
array reduce, of two act elementwise): a program calling one is an array program."""
PROGRAM_WORDS = KEYWORDS | {"print", "Value", "tensor", "range"} | ARRAY_FUNCTIONS
"""Names that make a program one for the interpreter (with PROGRAM_OPERATORS and strings): defined here, not
in program.py, so a straight line never imports the statement parser."""


class Tokens(NamedTuple):
    texts: list[str]
    """Each token's text, as typed (`**` stays `**`); the last is '' for the end of the input."""
    kinds: dict[str, Kind]
    """Each distinct token text → its kind, in order of first appearance (a program has few distinct
    texts, so each is classified once, not once per token)."""


def tokenize(source: str) -> Tokens:
    """Split `source` into tokens; never fails (a bad character is a one-character token).

    Tokens are known by their index: where one starts in the source is worked out only when a
    `Locator` is asked (for an error), which keeps tokenizing a single C-speed `findall`.
    """
    texts = _one_end(_TOKENS.findall(source), bool)
    return Tokens(texts, {text: kind(text) for text in dict.fromkeys(texts)})


def _one_end(matches: list[_M], nonempty: Callable[[_M], bool]) -> list[_M]:
    """Source ending in space or a comment ends in two empty matches (the second right after the first,
    which re allows): keep one, the end-of-input token."""
    if len(matches) > 1 and not nonempty(matches[-2]):
        matches.pop()
    return matches


class Locator:
    """Token indices → character spans in the source, for error messages.

    The offsets are found on first use, by running the lexer's pattern again with match positions;
    most programs never need them, and a megabyte of source has 200,000 tokens.
    """

    def __init__(self, source: str):
        self.source = source
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None

    def _offsets(self) -> tuple[list[int], list[int]]:
        if self._starts is None or self._ends is None:  # (both or neither)
            matches = _one_end(list(_TOKENS.finditer(self.source)), lambda m: bool(m.group(1)))
            self._starts = [m.start(1) for m in matches]
            self._ends = [m.end(1) for m in matches]
        return self._starts, self._ends

    def span(self, first: int, last: int | None = None) -> Span:
        """From the start of token `first` to the end of token `last` (default: the same token)."""
        starts, ends = self._offsets()
        return Span(starts[first], ends[first if last is None else last])

    def column(self, token: int) -> int:
        """The 1-based column where a token starts (for 'the ( at column 4')."""
        start = self.span(token).start
        return start - self.source.rfind("\n", 0, start)


def kind(text: str) -> Kind:
    """What a token is, from its text (the lexer's classes: `\\d` starts a number, other `\\w` a name)."""
    if not text:
        return "eof"
    if text == "\n":
        return "newline"
    if text in OPERATORS or text in PROGRAM_OPERATORS:
        return "op"
    if text[-1] in "'\"" and len(text) > 1:
        return "str"
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
    if which == "str":
        return "a string"
    return {"newline": "the end of the line", "eof": "the end of the input"}.get(which, repr(text))


def bad_character(text: str, where: Span, source: str) -> ParseError:
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
    return ParseError(f"unexpected character {shown}" + (f": {hint}" if hint else ""), where, source)
