"""A drawing of the graph in the terminal: layered boxes and lines, inputs at the top, the output at the bottom.

Each numbered node is a box `w3 = w1·w2` with its value and its adjoint (its tangent in forward mode);
every argument is a line from the box of the node it comes from to a port on the top of the box that
uses it, ending in ▼, so `x*x` draws two lines and a shared node draws one line to each user. Where the
lines go comes from the shared layout (`layout.py`: layers, order, coordinates); this module only turns
it into cells: a port under each line's source where it can (straight lines), and, between two layers,
one horizontal track per bending line, stacked so that a line never runs through another one that it
does not cross in the layout. A graph wider than the console (or of more than MAX_NODES nodes) is not
drawn: one line says so, and `GraphDrawing` shows the adjacency table instead.

The cells of a drawing are made once per trace, digits and width (the stepper redraws at every key):
revealing values, the highlight and the running adjoint only change the text laid over them.

Only formats the Trace: values, adjoints and tangents are read from it.
"""

from __future__ import annotations

import itertools
import unicodedata
import weakref
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Span, Text

from ..engine.trace import Trace
from ..expr import show
from ..lesson.values import shown
from ..lesson.words import bar, dot, output_name_of
from .layout import Item, Layering, layered, place

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Table

MAX_NODES = 60
"""Graphs with more numbered nodes than this are shown as an adjacency table (a drawing that size is a
poster, not a terminal picture)."""
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
HOT = "bold yellow"
"""The style of the current node's box, the parent's box and the edge between them."""


class Highlight:
    """What a stepper points at in the drawing.

    `node`: the node being worked on, marked ▶ and drawn in bold yellow; `parent`: one parent of it
    (the term of the chain rule being added), its box drawn in yellow too; `edge`: the line drawn in
    yellow, as (argument node, node using it), e.g. (node, parent) for a reverse term; `running`: the
    adjoint as it is being summed ("3 + …"), shown on the current node instead of its finished adjoint.
    """

    __slots__ = ("edge", "node", "parent", "running")

    def __init__(
        self,
        node: int | None = None,
        parent: int | None = None,
        edge: tuple[int, int] | None = None,
        running: str | None = None,
    ) -> None:  # a plain class, not a dataclass: this module is imported by every terminal trace
        self.node = node
        self.parent = parent
        self.edge = edge
        self.running = running

    def __repr__(self) -> str:
        return f"Highlight(node={self.node}, parent={self.parent}, edge={self.edge}, running={self.running!r})"

    @classmethod
    def term(cls, node: int, parent: int, running: str | None = None) -> Highlight:
        """The reverse step's term w̄_parent·∂parent/∂node: both boxes and the edge between them."""
        return cls(node, parent, (node, parent), running)


class GraphDrawing:
    """The graph as a drawing (or, when too big, a one-line note and an adjacency table), optionally
    part-revealed.

    `values` / `adjoints`: the nodes whose value / adjoint (tangent) is shown (None: all that exist);
    `highlight`: the node being worked on, or a Highlight (node, parent, edge, running adjoint);
    `fallback`: show the table when the drawing does not fit (False: only the note, for the panel in
    the normal trace, which has its own table).
    """

    def __init__(
        self,
        trace: Trace,
        digits: int = 4,
        *,
        values: Collection[int] | None = None,
        adjoints: Collection[int] | None = None,
        highlight: int | Highlight | None = None,
        fallback: bool = True,
    ) -> None:
        self.trace = trace
        self.digits = digits
        self.values = values
        self.adjoints = adjoints
        self.spot = highlight if isinstance(highlight, Highlight) else Highlight(highlight)
        self.fallback = fallback

    @property
    def highlight(self) -> int | None:
        """The node being worked on (kept for callers that read it)."""
        return self.spot.node

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        drawing = draw(self, options.max_width)
        if drawing is not None:
            yield drawing
            return
        yield Text(too_big(self.trace, options.max_width, self.digits), style="dim", no_wrap=True, overflow="ellipsis")
        if self.fallback:
            yield adjacency_table(self)

    # -- what each box says ------------------------------------------
    def value_text(self, i: int) -> str:
        if self.values is not None and i not in self.values:
            return ""
        return _known(self.trace.values[i], self.digits)

    def adjoint_text(self, i: int) -> str:
        """The adjoint of the first reverse pass, or the tangent of the first forward pass when there is none."""
        sweep = _sweep(self.trace)
        if sweep is None or (self.adjoints is not None and i not in self.adjoints):
            return ""
        return _known(sweep[i], self.digits)

    def lines(self, i: int, full: bool) -> tuple[str, str, str]:
        """The lines of node i's box: `w3 = w1·w2`, `= 6`, `w̄ = 1` (`ẇ = 1` in forward mode).

        `full` gives every line as wide as it can get, so revealing values never moves a box.
        """
        trace = self.trace
        sweep = _sweep(trace)
        value = _known(trace.values[i], self.digits) if full else self.value_text(i)
        if full:
            adjoint = _known(sweep[i], self.digits) if sweep is not None else ""
        elif i == self.spot.node and self.spot.running:
            adjoint = self.spot.running
        else:
            adjoint = self.adjoint_text(i)
        mark = bar(trace.letter) if trace.reverse else dot(trace.letter)
        return (
            f"{trace.label(i)} = {show(trace.definition(i))}",
            f"= {value}" if value else "",
            f"{mark} = {adjoint}" if adjoint else "",
        )


def _sweep(trace: Trace) -> list[float] | None:
    if trace.reverse:
        return trace.reverse[0].adjoints
    if trace.forward:
        return trace.forward[0].tangents
    return None


def too_big(trace: Trace, width: int, digits: int = 4) -> str:
    """The one line said in place of a drawing that does not fit."""
    n = len(trace.graph.numbered)
    if n > MAX_NODES:
        return f"(the graph has {n} nodes, it is drawn up to {MAX_NODES}: see the table)"
    need = min(_geometry(trace, digits, gap, budget).width for gap in GAPS for budget in (None, width))
    return f"(drawing the graph needs {need} columns, {need - width} more: see the table)"


# -- the cells -------------------------------------------------------------------


class _Geometry:
    """Everything about a drawing that does not change as a stepper reveals it."""

    __slots__ = ("boxes", "edges", "rows", "width")

    def __init__(
        self,
        width: int,
        rows: list[str],
        boxes: dict[int, tuple[int, int, int]],
        edges: dict[tuple[int, int], list[tuple[int, int]]],
    ) -> None:
        self.width = width
        self.rows = rows
        """The lines and box borders, row by row, with blanks where the boxes' text goes."""
        self.boxes = boxes
        """Node → (left, width, top) of its box."""
        self.edges = edges
        """(argument, user) → the cells (x, y) of its line(s), for highlighting."""


_CACHE: weakref.WeakKeyDictionary[Trace, dict[tuple[int, int, int | None], _Geometry]] = weakref.WeakKeyDictionary()


def _geometry(trace: Trace, digits: int, gap: int, budget: int | None = None) -> _Geometry:
    per_trace = _CACHE.setdefault(trace, {})
    key = (digits, gap, budget)
    if key not in per_trace:
        per_trace[key] = _build(trace, digits, gap, budget)
    return per_trace[key]


def _fitting(trace: Trace, digits: int, max_width: int) -> _Geometry | None:
    """The first drawing that fits: the natural layers with wide gaps, then narrow ones, then layers filled
    only up to the width (a wide graph gets taller instead)."""
    for gap in GAPS:
        geometry = _geometry(trace, digits, gap)
        if geometry.width <= max_width:
            return geometry
    geometry = _geometry(trace, digits, GAPS[-1], max_width)
    return geometry if geometry.width <= max_width else None


def draw(view: GraphDrawing, max_width: int) -> Text | None:
    """The drawing as text, or None when the graph has more than MAX_NODES nodes or does not fit."""
    trace = view.trace
    if len(trace.graph.numbered) > MAX_NODES:
        return None
    geometry = _fitting(trace, view.digits, max_width)
    return None if geometry is None else _render(view, geometry)


def _box_width(view: GraphDrawing, i: int) -> int:
    return max(cell_len(t) for t in view.lines(i, full=True)) + 4


def _build(trace: Trace, digits: int, gap: int, budget: int | None) -> _Geometry:
    view = GraphDrawing(trace, digits)
    widths = {i: _box_width(view, i) for i in trace.graph.numbered}
    lay = layered(trace.graph, widths, budget)
    where = place(lay, lambda it: widths[it.node] if lay.is_box(it) else 1, gap, integer=True)
    left = {it: int(x) for it, x in where.left.items()}
    size = {it: int(w) for it, w in where.width.items()}
    total = int(where.total)
    routed = [_route(lay, k, left, size) for k in range(len(lay.rows) - 1)]
    height = len(lay.rows) * BOX_HEIGHT + sum(band.height for band in routed)
    canvas = _Canvas(total, height)
    boxes: dict[int, tuple[int, int, int]] = {}
    cells: dict[tuple[Item, Item], list[tuple[int, int]]] = {}
    through: dict[Item, list[tuple[int, int]]] = {}
    y = 0
    for k, row in enumerate(lay.rows):
        for item in row:
            x0 = left[item]
            if not lay.is_box(item):
                through[item] = [(x0, r) for r in range(y, y + BOX_HEIGHT)]
                for r in range(y, y + BOX_HEIGHT):
                    canvas.line(x0, r, U | D)
                continue
            boxes[item.node] = (x0, size[item], y)
            canvas.box(x0, y, size[item])
            if k > 0:
                for port in routed[k - 1].ports.get(item, []):
                    canvas.line(port, y, U)
            if k < len(routed) and item in routed[k].starts:
                canvas.line(routed[k].starts[item], y + BOX_HEIGHT - 1, D)
        y += BOX_HEIGHT
        if k < len(routed):
            routed[k].paint(canvas, y, cells)
            y += routed[k].height
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for i in trace.graph.numbered:  # each edge's cells: its chain of items, box to box
        for a in set(trace.graph.nodes[i].args):
            if trace.graph.nodes[a].is_const:
                continue
            chain = lay.chain(a, i)
            found: list[tuple[int, int]] = []
            for src, dst in itertools.pairwise(chain):
                found += cells.get((src, dst), [])
                found += through.get(dst, [])
            edges[(a, i)] = found
    return _Geometry(total, canvas.rows(), boxes, edges)


class _Band:
    """The lines between two layers: where each leaves its source and enters its target, and its track."""

    def __init__(self) -> None:
        self.starts: dict[Item, int] = {}
        """Source item → the column its lines leave from."""
        self.ports: dict[Item, list[int]] = {}
        """Target item → the columns its lines arrive at."""
        self.nets: list[tuple[Item, int, list[tuple[Item, int, bool]], int]] = []
        """(source, start column, [(target, port column, ends in an arrow)], track or -1 when straight)."""
        self.height = 1

    def paint(self, canvas: _Canvas, y: int, cells: dict[tuple[Item, Item], list[tuple[int, int]]]) -> None:
        last = y + self.height - 1
        for src, origin, targets, track in self.nets:
            if track < 0:
                column = [(origin, r) for r in range(y, last + 1)]
                for x, r in column:
                    canvas.line(x, r, U | D)
                for dst, _, arrow in targets:
                    cells[(src, dst)] = column
                    if arrow:
                        canvas.arrow(origin, last)
                continue
            ty = y + 1 + track
            stem = [(origin, r) for r in range(y, ty + 1)]
            for x, r in stem[:-1]:
                canvas.line(x, r, U | D)
            canvas.line(origin, ty, U)
            xs = [origin] + [port for _, port, _ in targets]
            lo, hi = min(xs), max(xs)
            for col in range(lo, hi + 1):
                canvas.line(col, ty, (L if col > lo else 0) | (R if col < hi else 0))
            for dst, port, arrow in targets:
                canvas.line(port, ty, D)
                for r in range(ty + 1, last + 1):
                    canvas.line(port, r, U | D)
                if arrow:
                    canvas.arrow(port, last)
                a, b = sorted((origin, port))
                cells[(src, dst)] = (
                    stem + [(x, ty) for x in range(a, b + 1)] + [(port, r) for r in range(ty + 1, last + 1)]
                )


def _route(lay: Layering, k: int, left: dict[Item, int], size: dict[Item, int]) -> _Band:
    """Ports, start columns and tracks for the lines from layer k to layer k + 1."""
    band = _Band()
    upper, lower = lay.rows[k], lay.rows[k + 1]

    def centre(item: Item) -> int:
        return left[item] + size[item] // 2

    # Ports: a box's lines arrive in the order of their sources, each as near under its source as it can be.
    for item in lower:
        sources = sorted(lay.up[item], key=lambda s: (centre(s), s))
        if not lay.is_box(item):
            band.ports[item] = [left[item]] * len(sources)
            continue
        lo, hi = left[item] + 2, left[item] + size[item] - 3
        band.ports[item] = _spread([centre(s) for s in sources], lo, hi)
    incoming: dict[Item, list[tuple[Item, int, bool]]] = {item: [] for item in upper}
    for item in lower:
        sources = sorted(lay.up[item], key=lambda s: (centre(s), s))
        for src, port in zip(sources, band.ports[item], strict=True):
            incoming[src].append((item, port, lay.is_box(item)))
    taken = {port for ports in band.ports.values() for port in ports}
    spans: list[tuple[int, int, Item, int, list[tuple[Item, int, bool]]]] = []
    for src in upper:
        targets = incoming[src]
        if not targets:
            continue
        start = left[src]
        if lay.is_box(src):  # leave where no other line arrives, nearest its own ports (straight if it can)
            own = {port for _, port, _ in targets}
            label = len(output_name_of_graph(lay, src.node)) + 2 if output_name_of_graph(lay, src.node) else 0
            inner = range(left[src] + 2 + label, left[src] + size[src] - 2)
            wish = sum(own) / len(own)
            free = [x for x in inner if x not in taken - own] or list(inner) or [centre(src)]
            start = min(free, key=lambda x: (abs(x - wish), x))
        band.starts[src] = start
        xs = [start] + [port for _, port, _ in targets]
        spans.append((min(xs), max(xs), src, start, targets))
    bending = [s for s in spans if s[0] != s[1]]
    tracks = _tracks(bending)
    for (_, _, src, start, targets), track in zip(bending, tracks, strict=True):
        band.nets.append((src, start, targets, track))
    for lo, hi, src, start, targets in spans:
        if lo == hi:
            band.nets.append((src, start, targets, -1))
    band.height = max(tracks) + 3 if tracks else 1
    return band


def output_name_of_graph(lay: Layering, i: int) -> str:
    for out in lay.graph.outputs:
        if out.node == i:
            return out.name
    return ""


def _spread(wishes: list[int], lo: int, hi: int) -> list[int]:
    """Columns in [lo, hi], increasing, as near the wishes (sorted) as they can be: two apart where there is
    room, else one."""
    n = len(wishes)
    if n == 0:
        return []
    step = 2 if hi - lo >= 2 * (n - 1) else 1
    if hi - lo < n - 1:  # narrower than its lines (never for a box of text): share columns
        return [min(hi, lo + k) for k in range(n)]
    out = [min(max(w, lo + step * k), hi - step * (n - 1 - k)) for k, w in enumerate(wishes)]
    for k in range(1, n):
        out[k] = max(out[k], out[k - 1] + step)
    for k in range(n - 2, -1, -1):
        out[k] = min(out[k], out[k + 1] - step)
    return out


def _tracks(nets: list[tuple[int, int, Item, int, list[tuple[Item, int, bool]]]]) -> list[int]:
    """A track (row) per bending line, top first: a line whose start is under another's horizontal goes above
    it, one whose port is under it goes below, so no line runs through another one; lines on one track never
    touch. A cycle of such rules (lines that cross in the layout) is broken where it must be."""
    n = len(nets)
    after: list[set[int]] = [set() for _ in range(n)]  # after[a] ∋ b: b's track is below a's
    for a, (lo, hi, _, _, _) in enumerate(nets):
        for b, (_, _, _, b_start, b_targets) in enumerate(nets):
            if a == b:
                continue
            if lo < b_start < hi:
                after[b].add(a)
            if any(lo < port < hi for _, port, _ in b_targets):
                after[a].add(b)
    before = [0] * n
    for a in range(n):
        for b in after[a]:
            before[b] += 1
    track = [0] * n
    placed: list[list[tuple[int, int]]] = []  # per track, the spans on it
    done = [False] * n
    floor = [0] * n
    for _ in range(n):
        ready = [a for a in range(n) if not done[a] and before[a] == 0]
        a = min(ready or [a for a in range(n) if not done[a]], key=lambda a: (before[a], nets[a][0], nets[a][1]))
        done[a] = True
        lo, hi = nets[a][0], nets[a][1]
        t = floor[a]
        while t < len(placed) and any(not (hi < plo - 1 or lo > phi + 1) for plo, phi in placed[t]):
            t += 1
        if t == len(placed):
            placed.append([])
        placed[t].append((lo, hi))
        track[a] = t
        for b in after[a]:
            before[b] -= 1
            floor[b] = max(floor[b], t + 1)
    return track


class _Canvas:
    """A grid of line bits (joined into box-drawing characters) and characters."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.bits = [[0] * width for _ in range(height)]
        self.chars: dict[tuple[int, int], str] = {}

    def line(self, x: int, y: int, bits: int) -> None:
        self.bits[y][x] |= bits

    def arrow(self, x: int, y: int) -> None:
        self.chars[(x, y)] = ARROW

    def box(self, x0: int, y: int, w: int) -> None:
        x1 = x0 + w - 1
        bottom = y + BOX_HEIGHT - 1
        for col in range(x0, x1 + 1):
            self.line(col, y, (L if col > x0 else D) | (R if col < x1 else D))
            self.line(col, bottom, (L if col > x0 else U) | (R if col < x1 else U))
        for r in range(y + 1, bottom):
            self.line(x0, r, U | D)
            self.line(x1, r, U | D)

    def rows(self) -> list[str]:
        out = []
        for y, bits in enumerate(self.bits):
            out.append("".join(self.chars.get((x, y)) or _LINES.get(b, " ") for x, b in enumerate(bits)))
        return out


# -- the text over the cells ---------------------------------------------------------


def _render(view: GraphDrawing, geometry: _Geometry) -> Text:
    """The cells with each box's text laid over them, styled: a copy of the rows and a list of spans."""
    trace = view.trace
    spot = view.spot
    rows = [list(row) for row in geometry.rows]
    styles: list[list[tuple[int, int, str]]] = [[] for _ in rows]  # per row: (start, end, style) in cells
    for i, (x0, w, y) in geometry.boxes.items():
        label, value, adjoint = view.lines(i, full=False)
        hot = i == spot.node
        warm = i == spot.parent
        inner = w - 4
        _put(rows[y + 1], x0 + 2, label, inner)
        _put(rows[y + 2], x0 + 2, value, inner)
        _put(rows[y + 3], x0 + 2, adjoint, inner)
        styles[y + 1].append((x0 + 2, x0 + 2 + inner, "bold" if hot or warm else ""))
        styles[y + 2].append((x0 + 2, x0 + 2 + inner, "green"))
        styles[y + 3].append((x0 + 2, x0 + 2 + inner, "magenta"))
        name = output_name_of(trace, i)
        if name is not None:
            _put(rows[y + BOX_HEIGHT - 1], x0 + 1, f" {name} ", w - 2)
            styles[y + BOX_HEIGHT - 1].append((x0 + 2, x0 + 2 + cell_len(name), "bold"))
        if hot or warm:
            for r in range(y, y + BOX_HEIGHT):
                styles[r].append((x0, x0 + 1, HOT))
                styles[r].append((x0 + w - 1, x0 + w, HOT))
            styles[y].append((x0, x0 + w, HOT))
            styles[y + BOX_HEIGHT - 1].append((x0, x0 + w, HOT))
        if hot:
            rows[y + 1][x0] = MARK
    if spot.edge is not None:
        for x, y in geometry.edges.get(spot.edge, []):
            styles[y].append((x, x + 1, HOT))
    text = Text()
    plain: list[str] = []
    spans: list[Span] = []
    offset = 0
    for row, row_styles in zip(rows, styles, strict=True):
        line = "".join(row).rstrip()
        # Cells hold one character, or a letter with its combining mark (the bar of w̄): map cells to offsets.
        starts = list(_offsets(row))
        for start, end, style in row_styles:
            if style and start < len(row):
                a, b = starts[start], starts[min(end, len(row))]
                b = min(b, len(line))
                if a < b:
                    spans.append(Span(offset + a, offset + b, style))
        plain.append(line)
        offset += len(line) + 1
    text = Text("\n".join(plain), spans=spans)
    return text


def _offsets(row: list[str]) -> Iterator[int]:
    """The string offset at which each cell starts, and one past the end."""
    at = 0
    for cell in row:
        yield at
        at += len(cell)
    yield at


def _put(row: list[str], x: int, text: str, room: int) -> None:
    """Text into cells from x, cut to `room` cells with an ellipsis (a running sum can outgrow its box)."""
    cells = _cells(text)
    if len(cells) > room:
        cells = [*cells[: room - 1], "…"]
    row[x : x + len(cells)] = cells


def _cells(text: str) -> list[str]:
    """Split text into terminal cells: a combining mark (the bar of w̄) stays with its letter."""
    cells: list[str] = []
    for char in text:
        if cells and unicodedata.combining(char):
            cells[-1] += char
        else:
            cells.append(char)
    return cells


def adjacency_table(view: GraphDrawing) -> Table:
    """The graph as a table, for graphs too big to draw: each node, its inputs and its parents."""
    from rich import box  # rich.table is loaded only for a graph too big to draw (start-up time)
    from rich.table import Table

    trace = view.trace
    graph = trace.graph
    table = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, title="The graph as a table (too big to draw)", title_justify="left"
    )
    table.add_column("")
    table.add_column("node")
    table.add_column("value", justify="right")
    table.add_column("adjoint" if trace.reverse or not trace.forward else "tangent", justify="right")
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
            Text(MARK if hot else "", style=HOT),
            Text(trace.label(i), style="bold" if hot else ""),
            Text(view.value_text(i), style="green"),
            Text(view.adjoint_text(i), style="magenta"),
            Text(inputs),
            Text(parents or "none"),
        )
    return table


def _known(value: float, digits: int) -> str:
    """A number for a box, nothing where a symbolic trace has no number (NaN), an array in full or by its shape."""
    return shown(value, digits)
