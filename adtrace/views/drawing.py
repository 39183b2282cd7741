"""A drawing of the graph: layered boxes and lines, inputs at the top, the output at the bottom.

Each numbered node is a box `w3 = w1·w2` with its value and (after the reverse
pass) its adjoint; every argument is a line from the box of the node it comes
from to its own port on the top of the box that uses it, so `x*x` draws two
lines and a shared node draws one line to each of its users. The layout is the
classic layered one (Sugiyama): a node's layer is one more than its deepest
argument, an edge that skips layers runs through a vertical pass-through, and
nodes are ordered by the mean position of their arguments. Inputs on top and
the output at the bottom keeps the width small (a chain of any length fits in
80 columns); a graph with more than MAX_NODES nodes, or one too wide for the
terminal, is shown as an adjacency table instead. Everything is a loop over
the nodes in topological order: no recursion.

Only formats the Trace: values and adjoints are read from it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from ..engine.trace import Trace
from ..expr import number, show
from ..lesson.words import bar, output_name_of

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

MAX_NODES = 12
"""Graphs with more numbered nodes than this are shown as an adjacency table."""
GAPS = (2, 1)
"""Columns between neighbouring boxes: the first that lets the drawing fit."""
BOX_HEIGHT = 5
U, D, L, R = 1, 2, 4, 8
_LINES = {
    U | D: "│",
    L | R: "─",
    D | R: "┌",
    D | L: "┐",
    U | R: "└",
    U | L: "┘",
    U | D | R: "├",
    U | D | L: "┤",
    D | L | R: "┬",
    U | L | R: "┴",
    U | D | L | R: "┼",
    U: "│",
    D: "│",
    L: "─",
    R: "─",
}
ARROW = "▼"
MARK = "▶"

Item = tuple[int, int]
"""(source node, layer): a node's own box when the layer is its own, else the pass-through of its lines."""


class _Canvas:
    """A grid of line bits (joined into box-drawing characters), text cells and styles."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.bits = [[0] * width for _ in range(height)]
        self.chars: dict[tuple[int, int], str] = {}
        self.styles: dict[tuple[int, int], str] = {}

    def line(self, x: int, y: int, bits: int, style: str = "") -> None:
        self.bits[y][x] |= bits
        if style:
            self.styles[(x, y)] = style

    def text(self, x: int, y: int, text: str, style: str = "") -> None:
        for cell in _cells(text):
            self.chars[(x, y)] = cell
            if style:
                self.styles[(x, y)] = style
            x += 1

    def render(self) -> Text:
        """Each row's cells, trailing blanks dropped, appended a run of one style at a time (a Text per
        cell made this most of the drawing's time, and the stepper redraws it at every key)."""
        out = Text()
        for y in range(self.height):
            bits = self.bits[y]
            cells = [
                (self.chars.get((x, y)) or _LINES.get(bits[x], " "), self.styles.get((x, y), ""))
                for x in range(self.width)
            ]
            while cells and cells[-1][0].isspace():
                cells.pop()
            for style, run in groupby(cells, key=itemgetter(1)):
                out.append("".join(char for char, _ in run), style=style)
            if y < self.height - 1:
                out.append("\n")
        return out


def _cells(text: str) -> list[str]:
    """Split text into terminal cells: a combining mark (the bar of w̄) stays with its letter."""
    cells: list[str] = []
    for char in text:
        if cells and unicodedata.combining(char):
            cells[-1] += char
        else:
            cells.append(char)
    return cells


class GraphDrawing:
    """The graph as a drawing (or, when too big, an adjacency table), optionally part-revealed.

    `values` / `adjoints`: the nodes whose value / adjoint is shown (None: all that exist);
    `highlight`: the node being worked on; `fallback`: show the table when the drawing does not fit
    (False: show nothing, for the panel in the normal trace, which has its own table).
    """

    def __init__(
        self,
        trace: Trace,
        digits: int = 4,
        *,
        values: Collection[int] | None = None,
        adjoints: Collection[int] | None = None,
        highlight: int | None = None,
        fallback: bool = True,
    ) -> None:
        self.trace = trace
        self.digits = digits
        self.values = values
        self.adjoints = adjoints
        self.highlight = highlight
        self.fallback = fallback

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        drawing = draw(self, options.max_width)
        if drawing is not None:
            yield drawing
        elif self.fallback:
            yield adjacency_table(self)

    # -- what each box says ------------------------------------------
    def value_text(self, i: int) -> str:
        if self.values is not None and i not in self.values:
            return ""
        return _known(self.trace.values[i], self.digits)

    def adjoint_text(self, i: int) -> str:
        if not self.trace.reverse or (self.adjoints is not None and i not in self.adjoints):
            return ""
        return _known(self.trace.reverse[0].adjoints[i], self.digits)

    def lines(self, i: int, full: bool) -> tuple[str, str, str]:
        """The lines of node i's box: `w3 = w1·w2`, `= 6`, `w̄ = 1`.

        `full` gives every line as wide as it can get, so revealing values never moves a box.
        """
        trace = self.trace
        value = _known(trace.values[i], self.digits) if full else self.value_text(i)
        has_adj = bool(trace.reverse)
        adjoint = _known(trace.reverse[0].adjoints[i], self.digits) if full and has_adj else self.adjoint_text(i)
        return (
            f"{trace.label(i)} = {show(trace.definition(i))}",
            f"= {value}" if value else "",
            f"{bar(trace.letter)} = {adjoint}" if adjoint else "",
        )


def _layers(trace: Trace) -> dict[int, int]:
    """Node → layer: inputs 0, every other node one below its deepest argument (one pass, in order)."""
    graph = trace.graph
    layer: dict[int, int] = {}
    for i in graph.numbered:
        node = graph.nodes[i]
        layer[i] = 1 + max((layer[a] for a in node.args if a in layer), default=-1)
    return layer


def draw(view: GraphDrawing, max_width: int) -> Text | None:
    """The drawing as text, or None when the graph has more than MAX_NODES nodes or does not fit."""
    if len(view.trace.graph.numbered) > MAX_NODES:
        return None
    for gap in GAPS:
        drawing = _draw(view, gap, max_width)
        if drawing is not None:
            return drawing
    return None


def _draw(view: GraphDrawing, gap: int, max_width: int) -> Text | None:
    trace = view.trace
    graph = trace.graph
    numbered = graph.numbered
    layer = _layers(trace)
    depth = max(layer.values()) + 1
    # Items per layer: each node's box, and a pass-through for a node's lines that skip this layer.
    rows: list[list[Item]] = [[] for _ in range(depth)]
    for i in numbered:
        rows[layer[i]].append((i, layer[i]))
        last = max((layer[p] for p, _ in graph.parents[i]), default=layer[i])
        for skipped in range(layer[i] + 1, last):
            rows[skipped].append((i, skipped))
    width: dict[Item, int] = {}
    for i in numbered:
        width[(i, layer[i])] = max(cell_len(t) for t in view.lines(i, full=True)) + 4
    for items in rows:
        for item in items:
            width.setdefault(item, 1)

    def sources(item: Item) -> list[Item]:
        """The items in the layer above that feed this item, one per argument line."""
        s, at = item
        if layer[s] != at:
            return [(s, at - 1)]
        return [(a, at - 1) for a in graph.nodes[s].args if not graph.nodes[a].is_const]

    # Order each layer by the mean position of its sources in the layer above.
    for at in range(1, depth):
        position = {item: k for k, item in enumerate(rows[at - 1])}
        rows[at].sort(key=lambda it: (sum(position[s] for s in sources(it)) / max(1, len(sources(it))), it[0]))

    packed = [sum(width[it] for it in items) + gap * (len(items) - 1) for items in rows]
    total = max(packed)
    if total > max_width:
        return None
    left: dict[Item, int] = {}
    x = (total - packed[0]) // 2
    for item in rows[0]:
        left[item] = x
        x += width[item] + gap

    def out_x(item: Item) -> int:
        return left[item] + width[item] // 2

    for at in range(1, depth):
        cursor = 0
        for item in rows[at]:
            feeds = [out_x(s) for s in sources(item)]
            want = sum(feeds) // len(feeds) - width[item] // 2
            left[item] = max(cursor, want)
            cursor = left[item] + width[item] + gap
        bound = total
        for item in reversed(rows[at]):
            left[item] = min(left[item], bound - width[item])
            bound = left[item] - gap

    def in_ports(item: Item) -> list[int]:
        """x of each incoming line on the top of the item, in argument order."""
        srcs = sources(item)
        if width[item] == 1:
            return [left[item]]
        inner = width[item] - 2
        return [left[item] + 1 + (2 * k + 1) * inner // (2 * len(srcs)) for k in range(len(srcs))]

    # Route the lines between each pair of layers: one net per source item, one track per net that bends.
    bands: list[list[tuple[int, list[tuple[int, bool]], int]]] = []
    band_height: list[int] = []
    start_x: dict[Item, int] = {}
    for at in range(depth - 1):
        nets: dict[Item, list[tuple[int, bool]]] = {item: [] for item in rows[at]}
        for item in rows[at + 1]:
            real = width[item] > 1
            for src, port in zip(sources(item), in_ports(item), strict=True):
                nets[src].append((port, real))
        tracks: list[int] = []
        routed: list[tuple[int, list[tuple[int, bool]], int]] = []
        spans = []
        taken = {port for targets in nets.values() for port, _ in targets}
        for src, targets in nets.items():
            if not targets:
                continue
            # Leave a box where no other line arrives in this band, so two lines never share a column.
            start = out_x(src)
            if width[src] > 1:
                own = {port for port, _ in targets}
                free = [x for x in range(left[src] + 1, left[src] + width[src] - 1) if x not in taken - own]
                start = min(free, key=lambda x: (abs(x - out_x(src)), x), default=start)
                start_x[src] = start
            xs = [start] + [t for t, _ in targets]
            spans.append((min(xs), max(xs), start, targets))
        for lo, hi, origin, targets in sorted(spans, key=lambda s: (s[0], s[1])):
            if lo == hi:
                routed.append((origin, targets, -1))
                continue
            track = next((k for k, end in enumerate(tracks) if end < lo - 1), len(tracks))
            if track == len(tracks):
                tracks.append(hi)
            tracks[track] = hi
            routed.append((origin, targets, track))
        bands.append(routed)
        band_height.append(len(tracks) + 2 if tracks else 1)

    box_height = BOX_HEIGHT
    height = depth * box_height + sum(band_height)
    canvas = _Canvas(total, height)
    y = 0
    for at in range(depth):
        for item in rows[at]:
            ports = in_ports(item) if at else []
            _draw_item(canvas, view, item, layer, (left[item], width[item], y), ports, start_x.get(item))
        y += box_height
        if at == depth - 1:
            break
        h = band_height[at]
        for origin, targets, track in bands[at]:
            last = y + h - 1
            if track < 0:
                for row in range(y, y + h):
                    canvas.line(origin, row, U | D)
                if any(real for _, real in targets):
                    canvas.text(origin, last, ARROW)
                continue
            ty = y + 1 + track
            for row in range(y, ty):
                canvas.line(origin, row, U | D)
            canvas.line(origin, ty, U)
            xs = [origin] + [t for t, _ in targets]
            lo, hi = min(xs), max(xs)
            for col in range(lo, hi + 1):
                canvas.line(col, ty, (L if col > lo else 0) | (R if col < hi else 0))
            for port, real in targets:
                canvas.line(port, ty, D)
                for row in range(ty + 1, last + 1):
                    canvas.line(port, row, U | D)
                if real:
                    canvas.text(port, last, ARROW)
        y += h
    return canvas.render()


def _draw_item(
    canvas: _Canvas,
    view: GraphDrawing,
    item: Item,
    layer: dict[int, int],
    where: tuple[int, int, int],
    ports: list[int],
    out: int | None,
) -> None:
    """One box (left x0, width w, top y) with a port on top per argument and one below for its users."""
    i, at = item
    x0, w, y = where
    trace = view.trace
    if layer[i] != at:  # a pass-through
        for row in range(y, y + BOX_HEIGHT):
            canvas.line(x0, row, U | D)
        return
    hot = i == view.highlight
    edge = "bold yellow" if hot else ""
    x1 = x0 + w - 1
    bottom = y + BOX_HEIGHT - 1
    for col in range(x0, x1 + 1):
        canvas.line(col, y, (L if col > x0 else D) | (R if col < x1 else D), edge)
        canvas.line(col, bottom, (L if col > x0 else U) | (R if col < x1 else U), edge)
    for row in range(y + 1, bottom):
        canvas.line(x0, row, U | D, edge)
        canvas.line(x1, row, U | D, edge)
    for port in ports:
        canvas.line(port, y, U)
    if out is not None:
        canvas.line(out, bottom, D)
    label, value, adjoint = view.lines(i, full=False)
    canvas.text(x0 + 2, y + 1, label, "bold" if hot else "")
    canvas.text(x0 + 2, y + 2, value, "green")
    canvas.text(x0 + 2, y + 3, adjoint, "magenta")
    if hot:
        canvas.text(x0, y + 1, MARK, "bold yellow")
    name = output_name_of(trace, i)
    if name is not None:
        canvas.text(x0 + 1, bottom, f" {name} ", "bold")


def adjacency_table(view: GraphDrawing) -> Table:
    """The graph as a table, for graphs too big to draw: each node, its inputs and its parents."""
    trace = view.trace
    graph = trace.graph
    table = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, title="The graph as a table (too big to draw)", title_justify="left"
    )
    table.add_column("")
    table.add_column("node")
    table.add_column("value", justify="right")
    table.add_column("adjoint", justify="right")
    table.add_column("computed from")
    table.add_column("parents (used by)")
    for i in graph.numbered:
        node = graph.nodes[i]
        hot = i == view.highlight
        inputs = "input " + (node.name or "") if node.is_input else show(trace.definition(i))
        parents = ", ".join(trace.label(p) for p, _ in graph.parents[i])
        out = output_name_of(trace, i)
        if out is not None:
            parents = f"{parents}, output {out}" if parents else f"output {out}"
        table.add_row(
            Text(MARK if hot else "", style="bold yellow"),
            Text(trace.label(i), style="bold" if hot else ""),
            Text(view.value_text(i), style="green"),
            Text(view.adjoint_text(i), style="magenta"),
            Text(inputs),
            Text(parents or "none"),
        )
    return table


def _known(value: float, digits: int) -> str:
    """A number for a box, or nothing where a symbolic trace has no number (NaN)."""
    return "" if value != value else number(value, digits)
