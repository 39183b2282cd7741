"""Cheap rich renderables for long sections: titled frames drawn line by line from pre-measured runs.

rich's Panel and Table lay out their whole content before drawing a line; for a trace of thousands of
steps that layout is where a user waits. Here a line is plain text plus style spans (`Row`), wrapped
with a hanging indent only when it is wider than the frame, and a frame is drawn in pieces (`Top`,
`Body`, `Bottom`) so a view can print a section of any length a chunk at a time.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from rich.cells import cell_len, get_character_cell_size
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType, RenderResult


class Span(NamedTuple):
    start: int
    end: int
    style: str


class Marks:
    """Spans a pattern finds: each match in the style of the group that matched (node labels, adjoints)."""

    def __init__(self, pattern: re.Pattern[str], styles: dict[str, str]) -> None:
        self.pattern, self.styles = pattern, styles
        self._painters: dict[tuple[str, str], Callable[[re.Match[str]], str]] = {}

    def __call__(self, plain: str, end: int) -> list[Span]:
        styles = self.styles
        return [Span(m.start(), m.end(), styles[m.lastgroup or ""]) for m in self.pattern.finditer(plain, 0, end)]

    def ansi(self, text: str, base: str, system: str) -> str:
        """The text with each match in its style (over `base`) and the rest in `base`, in ANSI codes: what
        `Row.ansi` makes of the spans, in one pass of the pattern."""
        key = (base, system)
        paint = self._painters.get(key)
        if paint is None:
            paint = self._painters[key] = self._painter(base, system)
        if not base:
            return self.pattern.sub(paint, text)
        pre, post = _codes(base, "", system)
        return f"{pre}{self.pattern.sub(paint, text)}{post}".replace(pre + post, "")  # no empty runs, as rich

    def _painter(self, base: str, system: str) -> Callable[[re.Match[str]], str]:
        codes = {group: _codes(base, style, system) for group, style in self.styles.items()}
        around = _codes(base, "", system)  # a match closes the base style's run and opens it again after

        def paint(m: re.Match[str]) -> str:
            pre, post = codes[m.lastgroup or ""]
            return f"{around[1]}{pre}{m.group()}{post}{around[0]}"

        def paint_bare(m: re.Match[str]) -> str:
            pre, post = codes[m.lastgroup or ""]
            return f"{pre}{m.group()}{post}" if pre else m.group()

        return paint if base else paint_bare


class Row:
    """One line of text with styled spans (in order, not overlapping); `indent` is where a wrapped continuation
    starts (in cells).

    `mark`, when given, finds more spans (node labels, adjoints) in the first `mark_end` characters, and only
    when the row is drawn in colour: printed without colour, a row never pays for its highlighting."""

    __slots__ = ("_all", "_own", "_width", "indent", "mark", "mark_end", "plain", "style")

    def __init__(
        self,
        plain: str,
        spans: list[Span] | None = None,
        style: str = "",
        indent: int = 0,
        mark: Marks | None = None,
        mark_end: int | None = None,
        width: int | None = None,
    ) -> None:
        self.plain, self._own, self.style, self.indent = plain, spans or [], style, indent
        self._width = width
        self.mark, self.mark_end = mark, len(plain) if mark_end is None else mark_end
        self._all: list[Span] | None = None if mark is not None else self._own

    @property
    def width(self) -> int:
        """The row's width in cells (given when the maker knew it, else measured once)."""
        if self._width is None:
            self._width = cell_width(self.plain)
        return self._width

    @property
    def own_spans(self) -> list[Span]:
        """The spans given, without those `mark` finds."""
        return self._own

    @property
    def spans(self) -> list[Span]:
        """The row's spans in order: those `mark` finds (once, when first asked for), then its own."""
        if self._all is None:
            assert self.mark is not None
            self._all = [*self.mark(self.plain, self.mark_end), *self._own]
        return self._all

    def runs(self, start: int = 0, end: int | None = None) -> list[tuple[str, str]]:
        """The text from `start` to `end` as (text, span style) runs: each span, and the gaps between them."""
        plain = self.plain
        end = len(plain) if end is None else end
        pos = start
        spans = self.spans
        first = 0
        if start and len(spans) > 8:  # a wrapped piece of a long row: start at its first span (spans are in order)
            first = bisect_right(spans, start, key=lambda span: span.end)
        out: list[tuple[str, str]] = []
        for k in range(first, len(spans)):
            span = spans[k]
            if span.start >= end:
                break
            if span.end <= pos:
                continue
            if span.start > pos:
                out.append((plain[pos : span.start], ""))
            out.append((plain[max(pos, span.start) : min(end, span.end)], span.style))
            pos = min(end, span.end)
        if pos < end:
            out.append((plain[pos:end], ""))
        return out

    def segments(self, start: int = 0, end: int | None = None) -> list[Segment]:
        """The text from `start` to `end` as segments, each span in its style over the row's own."""
        base = self.style
        return [Segment(text, _style(base, style)) for text, style in self.runs(start, end)]

    def ansi(self, start: int, end: int, system: str) -> str:
        """The same text with the ANSI codes rich would write for those segments (see `Body`)."""
        base, plain, mark = self.style, self.plain, self.mark
        if mark is not None and not self._own and self.mark_end == len(plain) and _cut_at_spaces(plain, start, end):
            return mark.ansi(plain[start:end], base, system)  # the common row, or a piece of it: only marks
        out = []
        for text, style in self.runs(start, end):
            pre, post = _codes(base, style, system)
            out.append(f"{pre}{text}{post}" if pre and text else text)
        return "".join(out)

    def pieces(self, width: int) -> list[tuple[int, int]]:
        """(start, end) of each screen line when drawn `width` cells wide: one piece when it fits."""
        if width <= 0 or self.width <= width:
            return [(0, len(self.plain))]
        return _wrap(self.plain, width, min(self.indent, width // 2))


def _cut_at_spaces(plain: str, start: int, end: int) -> bool:
    """Whether plain[start:end] is cut from its row at spaces (as a wrap cuts it, but for a word longer than the
    line): no mark (never a space in one) then crosses the cut, and the pattern finds the same marks in the piece."""
    return (start == 0 or plain[start - 1] == " ") and (end == len(plain) or plain[end] == " ")


_SINGLE = frozenset(chr(c) for c in range(0x20, 0x7F))
_SPECIAL = frozenset("\u200d\ufe0f")  # rich measures these with the character before them: leave it to rich


def cell_width(text: str) -> int:
    """rich's `cell_len`, a distinct character at a time: most rows are ASCII but for a few combining marks
    and symbols (w̄3, ∂, ·), and rich's own walk measures every character in Python."""
    if text.isascii() and _SINGLE.issuperset(text):
        return len(text)
    chars = set(text)
    if not chars.isdisjoint(_SPECIAL):
        return cell_len(text)
    width = len(text)
    for char in chars.difference(_SINGLE):
        size = get_character_cell_size(char)
        if size != 1:
            width += (size - 1) * text.count(char)
    return width


_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
    "windows": ColorSystem.WINDOWS,
}


@lru_cache(maxsize=512)
def _codes(base: str, span: str, system: str) -> tuple[str, str]:
    """The ANSI codes before and after a run in this style, as rich's Style.render writes them."""
    style = _style(base, span)
    if style is None:
        return "", ""
    pre, _, post = style.render("\x00", color_system=_SYSTEMS[system]).partition("\x00")
    return pre, post


@lru_cache(maxsize=256)
def _style(base: str, span: str) -> Style | None:
    if not base and not span:
        return None
    return Style.parse(f"{base} {span}".strip())


def _wrap(plain: str, width: int, indent: int) -> list[tuple[int, int]]:
    """Greedy word wrap by cells; continuation lines get `indent` cells less room; a word longer than a
    line is cut."""
    out: list[tuple[int, int]] = []
    start = 0
    room = width
    n = len(plain)
    while start < n:
        used = 0
        k = start
        last_space = -1
        while k < n:
            w = get_character_cell_size(plain[k])
            if used + w > room:
                break
            if plain[k] == " ":
                last_space = k
            used += w
            k += 1
        if k >= n:
            out.append((start, n))
            break
        cut = last_space if last_space > start else k
        out.append((start, cut))
        start = cut
        while start < n and plain[start] == " ":
            start += 1
        room = width - indent
    return out


class Box(NamedTuple):
    """The characters of a frame: corners, edges."""

    top_left: str
    top: str
    top_right: str
    side: str
    bottom_left: str
    bottom: str
    bottom_right: str


ROUNDED = Box("╭", "─", "╮", "│", "╰", "─", "╯")
HEAVY = Box("┏", "━", "┓", "┃", "┗", "━", "┛")


class Top:
    """╭─ 1. Title ────╮"""

    def __init__(self, title: str, box: Box = ROUNDED, style: str = "bold") -> None:
        self.title, self.box, self.style = title, box, style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        b = self.box
        title = self.title if cell_width(self.title) <= width - 6 else self.title[: max(0, width - 7)] + "…"
        fill = max(0, width - 4 - cell_width(title) - 1)
        yield Segment(b.top_left + b.top + " ")
        yield Segment(title, _style(self.style, ""))
        yield Segment(" " + b.top * fill + b.top_right)
        yield Segment.line()


class Bottom:
    def __init__(self, box: Box = ROUNDED) -> None:
        self.box = box

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        b = self.box
        yield Segment(b.bottom_left + b.bottom * max(0, options.max_width - 2) + b.bottom_right)
        yield Segment.line()


class Body:
    """Rows inside a frame's sides, each wrapped to the frame's inner width with its hanging indent."""

    def __init__(self, rows: Iterable[Row], box: Box = ROUNDED) -> None:
        self.rows, self.box = rows, box

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        inner = max(1, options.max_width - 4)
        left, right = Segment(self.box.side + " "), Segment(" " + self.box.side)
        line = Segment.line()
        if (console.no_color or console.color_system is None) and not console.record:
            yield Segment(self._plain(inner))  # styles would be dropped: the lines as one string
            return
        if _writes_ansi(console):
            yield Segment(self._ansi(inner, str(console.color_system)))
            return
        for row in self.rows:
            text = row.plain
            for k, (start, end) in enumerate(row.pieces(inner)):
                pad = min(row.indent, inner // 2) if k else 0
                used = pad + cell_width(text[start:end])
                yield left
                if pad:
                    yield Segment(" " * pad)
                yield from row.segments(start, end)
                if used < inner:
                    yield Segment(" " * (inner - used))
                yield right
                yield line

    def _ansi(self, inner: int, system: str) -> str:
        """The lines as rich would write their segments, ANSI codes and all, made here in one string: rich
        turning ten styled segments a row into ANSI one at a time doubled the cost of a long view."""
        left, right = self.box.side + " ", " " + self.box.side + "\n"
        out: list[str] = []
        for row in self.rows:
            text = row.plain
            width = row.width
            if width <= inner:  # most rows: one line
                out.append(f"{left}{row.ansi(0, len(text), system)}{' ' * (inner - width)}{right}")
                continue
            for k, (start, end) in enumerate(row.pieces(inner)):
                pad = min(row.indent, inner // 2) if k else 0
                used = pad + cell_width(text[start:end])
                out.append(f"{left}{' ' * pad}{row.ansi(start, end, system)}{' ' * max(0, inner - used)}{right}")
        return "".join(out)

    def _plain(self, inner: int) -> str:
        left, right = self.box.side + " ", " " + self.box.side + "\n"
        out: list[str] = []
        for row in self.rows:
            text = row.plain
            width = row.width
            if width <= inner:
                out.append(f"{left}{text}{' ' * (inner - width)}{right}")
                continue
            for k, (start, end) in enumerate(row.pieces(inner)):
                pad = min(row.indent, inner // 2) if k else 0
                piece = text[start:end]
                used = pad + cell_width(piece)
                out.append(f"{left}{' ' * pad}{piece}{' ' * max(0, inner - used)}{right}")
        return "".join(out)


def _writes_ansi(console: Console) -> bool:
    """Whether the console turns segments into ANSI text itself (not recording for an export, not a legacy
    Windows console or a notebook, which take the segments), so a frame may hand it that text made."""
    return bool(console.color_system) and not (console.record or console.legacy_windows or console.is_jupyter)


class Plain:
    """Rows without a frame (the stepper, --graph), wrapped to the console's width."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line = Segment.line()
        for row in self.rows:
            for k, (start, end) in enumerate(row.pieces(width)):
                if k:
                    yield Segment(" " * min(row.indent, width // 2))
                yield from row.segments(start, end)
                yield line


class Framed:
    """Any renderable (the graph drawing) inside a frame's sides."""

    def __init__(self, renderable: RenderableType, box: Box = ROUNDED) -> None:
        self.renderable, self.box = renderable, box

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        inner = max(1, options.max_width - 4)
        left, right = Segment(self.box.side + " "), Segment(" " + self.box.side)
        for line in console.render_lines(self.renderable, options.update_width(inner), pad=True):
            yield left
            yield from line
            yield right
            yield Segment.line()
