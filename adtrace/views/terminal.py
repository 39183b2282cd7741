"""Lesson → the terminal view: every section as a frame of rows, printed a chunk at a time.

This module only prints: the steps, their formulas and their sentences all come from the Lesson. Rows
are plain text with style spans (views/frame.py), so a trace of any size prints in time linear in
its length; past `max_rows` a section shows its head and tail, and the steps it skips are never made.
It stays readable with NO_COLOR, when piped, at 80 columns: nothing is said by colour alone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence

from rich.console import Console, Group, RenderableType

from ..engine.trace import Trace
from ..expr import Sym
from ..lesson import words
from ..lesson.build import build
from ..lesson.math import Math, Sum, show
from ..lesson.model import Block, Lesson, Line, Note, PartialUse, Section, Step, Words
from .drawing import GraphDrawing
from .frame import HEAVY, Body, Bottom, Framed, Marks, Plain, Row, Span, Top, cell_width

DEFAULT_MAX_ROWS = 200
"""Past this many rows a section shows its head and tail and says how many rows it skipped."""
CHUNK = 256
"""Steps per printed piece: a long section is drawn (and held) a chunk at a time."""

_HIGHLIGHT = re.compile(
    r"(?=[^\W\d_])"  # every mark starts with a letter: the alternatives are tried only there (twice as fast)
    r"(?:(?P<label>\b[wvuqhpkm]-?\d+\b)|(?P<adjoint>[^\W\d_][\u0304\u0305][\w@#\u0305-]*)|(?P<tangent>[^\W\d_]\u0307[\w@#-]*))"
)
_STYLES = {"label": "bold cyan", "adjoint": "bold magenta", "tangent": "bold yellow"}
NOTE_STYLES = {
    "text": "",
    "formula": "",
    "aside": "italic",
    "emphasis": "bold",
    "warning": "yellow",
    "alarm": "bold red",
}


def styled(plain: str, style: str = "", indent: int = 0, width: int | None = None) -> Row:
    """A row with node labels, adjoints and tangents picked out (user text is never markup); the marks are
    found only if the row is drawn in colour. `width`, when known, is the row's width in cells."""
    return Row(plain, None, style, indent, mark=HIGHLIGHTS, width=width)


HIGHLIGHTS = Marks(_HIGHLIGHT, _STYLES)
"""The node labels, adjoints and tangents in a row, as spans."""


def text_of(words_: Words, max_rows: int = 0) -> str:
    """Words as plain text; past `max_rows` formulas (a node used by thousands), the head and the tail."""
    if 0 < max_rows < len(words_) // 2:
        keep = max_rows  # pieces alternate formula, separator
        skipped = (len(words_) - 2 * keep) // 2
        head, tail = words_[:keep], words_[len(words_) - keep :]
        return f"{text_of(head)} {words.MORE_ITEMS.format(count=skipped)} {text_of(tail)}"
    if len(words_) == 1:  # most table cells: one formula
        piece = words_[0]
        return piece if isinstance(piece, str) else show(piece)
    return "".join([piece if isinstance(piece, str) else show(piece) for piece in words_])


def elide(count: int, max_rows: int) -> Sequence[int | None]:
    """The positions a section shows: all (a range: no list as long as the trace), or past `max_rows` (0 = no
    limit) the head and the tail with one None where the rest were skipped."""
    if max_rows <= 0 or count <= max_rows:
        return range(count)
    head = (max_rows + 1) // 2
    return [*range(head), None, *range(count - (max_rows - head), count)]


def elide_runs(count: int, max_rows: int, starts: Sequence[int]) -> Sequence[int | None]:
    """As `elide`, but the cut falls between runs (a loop iteration, a call), so whole runs are skipped."""
    shown = elide(count, max_rows)
    if isinstance(shown, range) or not starts:
        return shown
    head = (max_rows + 1) // 2
    tail_from = count - (max_rows - head)
    cut = max((s for s in starts if 0 < s <= head), default=head)
    resume = min((s for s in starts if s >= tail_from), default=tail_from)
    return [*range(cut), None, *range(resume, count)]


def skipped(count: int, what: str) -> Row:
    return Row("⋮ " + words.SKIPPED.format(count=count, what=what), style="italic", indent=2)


# -- the whole trace --------------------------------------------------------------
def render(trace: Trace, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS) -> Group:
    """The whole trace as one renderable (for print(trace) and exports)."""
    return Group(*pieces(build(trace, digits, explain=explain), trace, max_rows))


def print_trace(
    console: Console, trace: Trace, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> None:
    """Print the trace piece by piece, so a long one streams instead of being laid out whole first."""
    for piece in pieces(build(trace, digits, explain=explain), trace, max_rows):
        console.print(piece, soft_wrap=True, crop=False)


def to_text(
    trace: Trace, width: int = 100, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> str:
    """The terminal view as plain text (no colour), e.g. for golden files and `str(trace)`."""
    console = Console(
        emoji=False, file=io.StringIO(), width=width, no_color=True, color_system=None, legacy_windows=False
    )
    print_trace(console, trace, digits, explain=explain, max_rows=max_rows)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return str(output)


def pieces(lesson: Lesson, trace: Trace, max_rows: int = DEFAULT_MAX_ROWS) -> Iterator[RenderableType]:
    """The header, then each section: its top, its body a chunk at a time, its bottom."""
    yield from header(lesson, max_rows)
    for section in lesson.sections:
        yield from section_pieces(section, trace, lesson.digits, max_rows)


def header(lesson: Lesson, max_rows: int = DEFAULT_MAX_ROWS) -> Iterator[RenderableType]:
    h = lesson.header
    rows: list[Row] = []
    source = list(h.source)
    limit = 50 * max_rows  # about a row's worth of text per row: a generated megabyte would bury the trace
    joined = sum(len(line) for line in source)
    if 0 < limit < joined:
        flat = " ".join(source)
        source = [f"{flat[: limit // 2]} … ({len(flat) - limit:,} characters skipped) … {flat[-limit // 2 :]}"]
    for k, line in enumerate(source or [""]):
        rows.append(_keyed("expression" if k == 0 else "", line))
    given = ", ".join(f"{name} = {value}" for name, value in h.inputs)
    rows.append(_keyed("inputs", given or "none"))
    rows.append(_keyed("outputs" if len(h.outputs) > 1 else "output", ", ".join(h.outputs)))
    yield Top(h.title, HEAVY)
    yield Body(rows, HEAVY)
    yield Bottom(HEAVY)
    if h.notes:
        yield Plain([note_row(note) for note in h.notes])


def _keyed(key: str, value: str) -> Row:
    """'inputs      x1 = 2, x2 = 3', wrapped lines starting under the value."""
    plain = f"{key:<12}{value}"
    return Row(plain, [Span(0, len(key), "bold")], indent=12)


def note_row(note: Note, indent: int = 0) -> Row:
    plain = " " * indent + text_of(note.words)
    row = styled(plain, NOTE_STYLES[note.kind], indent + 2)
    return row


# -- sections --------------------------------------------------------------------
def section_pieces(section: Section, trace: Trace, digits: int, max_rows: int) -> Iterator[RenderableType]:
    yield Top(f"{section.number}. {section.title}")
    for block in section.blocks:
        if block.kind == "notes":
            yield Body([note_row(n) for n in block.notes])
        elif block.kind == "table":
            yield from table_pieces(block, max_rows)
            if block.drawing and (max_rows <= 0 or len(block.steps) <= max_rows):
                yield Framed(GraphDrawing(trace, digits, fallback=False))
        else:
            yield from step_pieces(block, max_rows)
    yield Bottom()


def step_pieces(block: Block, max_rows: int) -> Iterator[RenderableType]:
    chunk: list[Row] = []
    shown = elide_runs(len(block.steps), max_rows, block.groups)
    for k in shown:
        if k is None:
            left_out = len(block.steps) - len(shown) + 1
            if block.groups:
                runs = sum(1 for s in block.groups if shown[-1] is not None and s not in shown)
                chunk.append(Row("⋮ " + words.SKIPPED_RUNS.format(count=runs), style="italic", indent=2))
            else:
                chunk.append(skipped(left_out, block.what))
            continue
        chunk.extend(step_rows(block.steps[k], max_rows))
        if len(chunk) >= CHUNK:
            yield Body(chunk)
            chunk = []
    if chunk:
        yield Body(chunk)


def step_rows(step: Step, max_rows: int = DEFAULT_MAX_ROWS) -> list[Row]:
    """A derivation: lhs = line = line …, the asides, the partials with their rules, the sentences."""
    if step.kind in ("note", "branch"):
        return [note_row(note) for note in step.notes]
    lhs = show(step.lhs) if step.lhs is not None else ""
    prefix = f"{step.prefix} " if step.prefix else ""
    lead = "  " + prefix if step.kind == "closed_form" else ""
    chain = dedupe([_show_line(line, max_rows) for line in step.lines])
    indent = " " * (cell_width(lead) + cell_width(lhs))
    first = f"{lead}{lhs} = {chain[0]}" if chain else f"{lead}{lhs}"
    texts = [" = ".join([first, *chain[1:]])] if step.inline else [first, *(f"{indent} = {c}" for c in chain[1:])]
    rows = [styled(t, indent=len(indent) + 3) for t in texts]
    if step.aside:
        rows[-1] = _with_aside(rows[-1], step.aside)
    if step.also:
        also = dedupe([_show_line(line, max_rows) for line in step.also])
        plain = f"{indent}   {words.IN_THE_NODES} {lhs} = " + " = ".join(also)
        rows.append(styled(plain, indent=len(indent) + 6))
    pad = indent + "   "
    for use in _elided(step.partials, max_rows) if step.partials else ():
        if use is None:
            more = len(step.partials) - max_rows
            rows.append(
                Row(f"{pad}{words.MORE_TERMS.format(count=more)} (--max-rows 0 shows all of them)", style="italic")
            )
            continue
        rows.append(styled(f"{pad}{show(use.symbol)} = {show(use.formula)}   ← {use.rule}", "italic", len(pad) + 2))
        if use.note:
            rows.append(Row(f"{pad}{words.NOTE} {use.note}", style="yellow", indent=len(pad) + 2))
    for sentence in step.explain:
        rows.append(Row(f"{pad}{sentence}", style="italic", indent=len(pad)))
    for note in step.notes:
        rows.append(note_row(note, len(pad)))
    return rows


def _with_aside(row: Row, aside: str) -> Row:
    start = len(row.plain) + 3
    return Row(
        row.plain + f"   ({aside})",
        [*row.own_spans, Span(start, start + len(aside) + 2, "italic")],
        row.style,
        row.indent,
        mark=row.mark,
        mark_end=len(row.plain),
    )


def _show_line(line: Line, max_rows: int) -> str:
    math: Math = line.math
    if isinstance(math, Sum) and 0 < max_rows < len(math.terms):
        keep = elide(len(math.terms), max_rows)
        more = len(math.terms) - max_rows
        math = Sum(tuple(math.terms[k] if k is not None else Sym(words.MORE_TERMS.format(count=more)) for k in keep))
    return show(math)


def _elided(items: Sequence[PartialUse], max_rows: int) -> Iterator[PartialUse | None]:
    for k in elide(len(items), max_rows):
        yield None if k is None else items[k]


def dedupe(lines: list[str]) -> list[str]:
    """Drop a line that says exactly what the line before it said (e.g. 1·1 = 1)."""
    kept: list[str] = []
    for line in lines:
        if not kept or line != kept[-1]:
            kept.append(line)
    return kept


# -- tables ------------------------------------------------------------------------
def table_pieces(block: Block, max_rows: int) -> Iterator[RenderableType]:
    """Columns sized to the rows shown (a chunk at a time: a later chunk may widen a column, never narrow it)."""
    titles = [c.title for c in block.columns]
    right = [c.align == "right" for c in block.columns]
    widths = [cell_width(t) for t in titles]
    shown = elide(len(block.steps), max_rows)
    first = True
    for start in range(0, max(1, len(shown)), CHUNK):
        cells: list[tuple[list[str], list[int]] | None] = []
        for k in shown[start : start + CHUNK]:
            if k is None:
                cells.append(None)
                continue
            row = [text_of(cell, max_rows) for cell in block.steps[k].cells]
            sizes = [cell_width(c) for c in row]
            widths = [max(w, size) for w, size in zip(widths, sizes, strict=True)]
            cells.append((row, sizes))
        rows: list[Row] = []
        if first:
            rows.append(Row(""))
            rows.append(_table_row(titles, [cell_width(t) for t in titles], widths, right, "bold"))
            rows.append(Row(" " + "─" * (sum(widths) + 3 * (len(widths) - 1))))
            first = False
        for cell_row in cells:
            if cell_row is None:
                rows.append(skipped(len(block.steps) - max_rows, block.what))
            else:
                rows.append(_table_row(*cell_row, widths, right))
        yield Body(rows)
    yield Body([Row("")])


def _table_row(cells: list[str], sizes: list[int], widths: list[int], right: list[bool], style: str = "") -> Row:
    """One row of a table: each cell (`sizes` cells wide) padded to its column's width."""
    parts = []
    used = 1 + 3 * (len(widths) - 1)
    last = len(cells) - 1
    for k, (cell, size, width, r) in enumerate(zip(cells, sizes, widths, right, strict=True)):
        if k == last and not r:  # its padding would be stripped: a wide last column (a node's thousand parents)
            parts.append(cell)  # must not cost every row its width in spaces
            used += size
            continue
        pad = " " * (width - size)
        parts.append(pad + cell if r else cell + pad)
        used += width
    joined = " " + "   ".join(parts)
    plain = joined.rstrip()
    width = used - cell_width(joined[len(plain) :])
    row = styled(
        plain, style, indent=1 + (sum(widths[:-1]) + 3 * (len(widths) - 1) if len(widths) > 1 else 0), width=width
    )
    return row
