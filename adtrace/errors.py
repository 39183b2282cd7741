"""One small hierarchy of errors, each able to point at the source.

Library code raises these; only the CLI turns them into exit codes, so the
Python API and the command line report the same problems in the same words.
"""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """A half-open range of character offsets into one source text (a tuple: one is made per token)."""

    start: int
    end: int


_ONE_LINE = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F]} | {ord("\n"): "\\n", ord("\t"): "\\t"}
"""Control characters as escapes (an error message is one line)."""


class AdtraceError(Exception):
    """Base of every error adtrace raises on bad input."""

    exit_code = 2

    def __init__(self, message: str, span: Span | None = None, source: str | None = None):
        message = message.translate(_ONE_LINE)  # user text quoted in a message can't break it over lines
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source

    def with_source(self, source: str) -> AdtraceError:
        """Attach the text the span points into (the CLI's error printer needs it)."""
        if self.source is None:
            self.source = source
        return self

    def caret_lines(self) -> list[str]:
        """The source line holding the span and a caret line under it, or nothing."""
        if self.span is None or self.source is None:
            return []
        start = min(self.span.start, len(self.source))
        line_start = self.source.rfind("\n", 0, start) + 1
        line_end = self.source.find("\n", start)
        if line_end == -1:
            line_end = len(self.source)
        line = self.source[line_start:line_end]
        width = max(1, min(self.span.end, line_end) - start)
        # Long lines are cut to a window around the caret so it stays on screen.
        col = start - line_start
        offset = max(0, col - 40)
        shown = line[offset : offset + 80]
        prefix = "…" if offset else ""
        return [prefix + shown, " " * (len(prefix) + col - offset) + "^" * min(width, 80)]

    def location(self) -> str:
        """'line L, column C' (1-based) or '' when there is no span."""
        if self.span is None or self.source is None:
            return ""
        start = min(self.span.start, len(self.source))
        line = self.source.count("\n", 0, start) + 1
        col = start - (self.source.rfind("\n", 0, start) + 1) + 1
        return f"line {line}, column {col}" if "\n" in self.source else f"column {col}"


class ParseError(AdtraceError):
    """The text is not a well-formed expression or program."""


class NameResolutionError(AdtraceError):
    """An unknown function or variable, or a name used before it is assigned."""


class ArityError(AdtraceError):
    """A function called with the wrong number of arguments."""


class UnsupportedError(AdtraceError):
    """A Python construct adtrace does not run (a class, a lambda, an import of another module, …)."""


class LimitError(AdtraceError):
    """A program went past a limit: too many nodes, loop iterations, or calls deep (--max-nodes, …)."""


class ControlFlowError(AdtraceError):
    """A program's control flow can't be followed: a name unassigned on the path taken, a non-integer
    range, a branch on a value a symbolic trace does not have."""


class InputValueError(AdtraceError):
    """A NAME=VALUE argument is missing, malformed, duplicated or not a number."""


class OptionError(AdtraceError):
    """An option's value (a seed, an output name, a mode) does not fit the expression."""


class ShapeError(AdtraceError):
    """Arrays whose shapes don't fit the operation: `W @ x` with different inner sizes, an index out of range."""


class EvaluationError(AdtraceError):
    """A node's value or local partial is undefined or not finite (log(-1), 1/0, exp(1000))."""


class NoValuesError(AdtraceError):
    """A number was asked of a symbolic trace: some inputs have no value (read its formulas instead)."""


class ExportError(AdtraceError):
    """An export could not be written (unknown format, unwritable path)."""

    exit_code = 1


class UnknownFormatError(ExportError):
    """An export format, file extension or theme adtrace does not write: a usage error."""

    exit_code = 2
