"""Classroom mode (`--step`): reveal the Lesson one step per key press.

The lesson is data first: `reveal_states(trace)` lists every state of the screen (each forward value,
each seed, each reverse contribution w̄p·∂wp/∂wj with its running sum and each completed sum, each
tangent), read from the Lesson's steps, so it can be tested without a terminal; `Gather` makes them as the
Lesson is walked, so the web lesson takes them from the walk that prints its document. `screen()` draws one
state; `run()` is the only part that touches the terminal: raw keys (termios cbreak mode, always
restored, also on Ctrl-C) and an in-place redraw with rich Live on the alternate screen.
"""

from __future__ import annotations

import io
import os
import select
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.live import Live
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ..engine.trace import Trace
from ..lesson import words
from ..lesson.build import build
from ..lesson.math import Math, Running, show
from ..lesson.model import PartialUse, Section, Step
from ..lesson.source import visible
from ..lesson.values import shown as shown_value
from .drawing import MARK, GraphDrawing, Highlight, draw
from .frame import Plain
from .terminal import dedupe, step_rows, styled

Kind = Literal["start", "forward", "seed", "term", "sum", "tangent", "done"]
KEYS_HELP = "→ next  ← back  Home/End  s seed  r reverse  5⏎ to w5  p pause  q quit  ? help"
HELP = (
    "Each key press reveals one step: a forward value, the seed, one contribution w̄p·∂wp/∂wj to an adjoint "
    "(its parent and edge are marked), a completed sum, or a tangent. The node being worked on is marked ▶. "
    "Enter, Space or → go on; ← or b go back; Home and End jump to the first and last step; s jumps to the "
    "seed and r to the first reverse step of the next pass; digits then Enter jump to that node's step; "
    "p pauses and resumes --delay; q quits."
)


class Prefix(AbstractSet[int]):
    """The first `count` nodes of a shared, growing order: a set that costs O(1) to make.

    Each state shows a prefix of the nodes in the order their values (or adjoints) were revealed, so a
    lesson over n nodes holds O(n) data, not O(n²)."""

    __slots__ = ("_count", "_order", "_rank")

    def __init__(self, order: list[int], rank: dict[int, int], count: int) -> None:
        self._order, self._rank, self._count = order, rank, count

    def __contains__(self, item: object) -> bool:
        rank = self._rank.get(item) if isinstance(item, int) else None
        return rank is not None and rank < self._count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        return iter(self._order[: self._count])


class _Order:
    """Nodes in the order they were revealed, handing out prefixes."""

    def __init__(self) -> None:
        self.order: list[int] = []
        self.rank: dict[int, int] = {}

    def add(self, i: int) -> None:
        if i not in self.rank:
            self.rank[i] = len(self.order)
            self.order.append(i)

    def __contains__(self, i: int) -> bool:
        return i in self.rank

    def now(self) -> Prefix:
        return Prefix(self.order, self.rank, len(self.order))


class Sums(Mapping[int, str]):
    """Nodes whose adjoint is being summed → the sum so far, as shown ('3 + …'), printed when asked.

    A state keeps each sum as its formula (`Running`: the first terms of a sequence that every state of the node
    shares), so a node with k parents costs O(k) over all its states, not k strings of up to k terms."""

    __slots__ = ("formulas",)

    def __init__(self, formulas: dict[int, Running] | None = None) -> None:
        self.formulas: dict[int, Running] = formulas or {}

    def __getitem__(self, i: int) -> str:
        return show(self.formulas[i])

    def __contains__(self, i: object) -> bool:
        return i in self.formulas

    def __iter__(self) -> Iterator[int]:
        return iter(self.formulas)

    def __len__(self) -> int:
        return len(self.formulas)


NO_SUMS = Sums()
"""A state with no sum under way (most states): one mapping, shared."""


@dataclass(frozen=True)
class Reveal:
    """One state of the lesson: what is shown, and what was just revealed."""

    kind: Kind
    node: int | None
    """The node being worked on (highlighted), if any."""
    values: AbstractSet[int]
    """Nodes whose forward value is shown."""
    adjoints: AbstractSet[int]
    """Nodes whose adjoint (or, in a tangent pass, tangent) is complete."""
    running: Sums = field(default_factory=lambda: NO_SUMS)
    """Nodes whose adjoint is being summed → the sum so far, as shown ('3 + …')."""
    text: str = ""
    """What this step says, in symbols and numbers."""
    explain: str = ""
    """The same in words (shown with --explain)."""
    parent: int | None = None
    """The parent whose contribution this step adds (its edge to `node` is marked too)."""
    pass_index: int = 0
    """Which pass the adjoints are of (reverse passes first, then tangent passes)."""
    tangents: bool = False
    """Whether `adjoints` holds tangents (a forward-mode pass)."""
    uses: tuple[PartialUse, ...] = ()
    """For a term: the local partials it goes through, with their rules (the web lesson prints them)."""


STATE_SECTIONS = frozenset({"forward", "symbolic_forward", "seed", "reverse", "tangent"})
"""The sections whose steps are states of the lesson."""


def reveal_states(trace: Trace, digits: int = 4) -> list[Reveal]:
    """Every state of the lesson, in order: start, forward values, each pass's steps, done."""
    lesson = build(trace, digits, explain=True, terms=True)
    gather = Gather(lesson.header.program)
    for section in lesson.sections:
        if section.kind in STATE_SECTIONS:
            gather.section(section)
            for step in _steps(section):
                gather.step(step)
    gather.finish(trace, digits)
    return gather.take()


class _Line(NamedTuple):
    """A step that is one state: a forward value, a tangent, a seed (with its value), a sum with no terms."""

    node: int
    text: str
    explain: str
    value: Math | None = None


class _Contribution(NamedTuple):
    parent: int
    chain: str
    """The term at every level: w̄3·∂w3/∂w1 = w̄3·x2 = 1·3 = 3."""
    explain: str
    running: Running
    uses: tuple[PartialUse, ...]


class _Summed(NamedTuple):
    """A reverse step: one state per term, then its sum (or, with no terms, one state)."""

    node: int
    text: str
    explain: str
    lhs: str = ""
    terms: tuple[_Contribution, ...] = ()
    total: str = ""
    sentence: str = ""


class Gather:
    """The states of a lesson, made as the lesson is walked (`section`, then `step` for each of its steps): a view that
    prints the steps gathers them in the same walk (the web lesson), so every step is made once, and takes the states
    as they are ready (`take`), so it never holds them all; `finish` adds the last.

    The lesson comes in the order build makes it, which is the order --step reveals it: the forward values, each
    reverse pass (its seed section, then its steps), each tangent pass."""

    def __init__(self, program: str) -> None:
        self._ready: list[Reveal] = [Reveal("start", None, frozenset(), frozenset(), text=words.step_start(program))]
        self._last = self._ready[0]
        self._values = _Order()
        self._kind = ""
        self._seeds: list[_Line] = []
        """The last seed section's steps, for the reverse section after it (an array lesson's open its pass)."""
        self._pass: _Pass | None = None
        self._reverse = 0
        self._tangent: tuple[_Order, int] | None = None

    def section(self, section: Section) -> None:
        self._close()
        self._kind = section.kind
        if section.kind == "seed":
            self._seeds = []
        elif section.kind == "reverse":
            self._pass = _Pass(self._seeds, self._values.now(), self._reverse, self._add)
            self._seeds, self._reverse = [], self._reverse + 1
        elif section.kind == "tangent":
            index = self._reverse if self._tangent is None else self._tangent[1] + 1
            self._tangent = (_Order(), index)

    def step(self, step: Step) -> None:
        kind = self._kind
        if kind in ("forward", "symbolic_forward"):
            s = _line_of(step)
            self._values.add(s.node)
            self._add(Reveal("forward", s.node, self._values.now(), frozenset(), text=s.text, explain=s.explain))
        elif kind == "seed":
            self._seeds.append(_line_of(step, seed=True))
        elif self._pass is not None and kind == "reverse":
            if step.kind == "seed":
                self._pass.seed(_line_of(step, seed=True))
            else:
                self._pass.step(_summed(step))
        elif self._tangent is not None and kind == "tangent":
            s = _line_of(step)
            done, index = self._tangent
            done.add(s.node)
            shown = self._values.now()
            self._add(
                Reveal(
                    "tangent",
                    s.node,
                    shown,
                    done.now(),
                    text=s.text,
                    explain=s.explain,
                    pass_index=index,
                    tangents=True,
                )
            )

    def finish(self, trace: Trace, digits: int) -> None:
        self._close()
        last = self._last
        done = words.step_done(trace, digits)
        self._add(
            Reveal(
                "done",
                None,
                self._values.now(),
                last.adjoints,
                text=done,
                pass_index=last.pass_index,
                tangents=last.tangents,
            )
        )

    def take(self) -> list[Reveal]:
        """The states made since the last call, in order."""
        ready, self._ready = self._ready, []
        return ready

    def _add(self, state: Reveal) -> None:
        self._ready.append(state)
        self._last = state

    def _close(self) -> None:
        if self._pass is not None:
            self._pass.close()
            self._pass = None


class _Pass:
    """One reverse pass, its states made as its steps come. A seeded node that other nodes use too has its seed as
    the first term of its sum, which only its own step tells: until every seeded node's step has come (in a scalar
    lesson, the first steps: the outputs come last in the tape), the pass's steps wait."""

    def __init__(self, seeds: list[_Line], values: AbstractSet[int], index: int, add: Callable[[Reveal], None]) -> None:
        self.seeds, self.values, self.index, self.add = list(seeds), values, index, add
        self.adjoints = _Order()
        self.running: dict[int, Running] = {}
        self.open: set[int] | None = {s.node for s in seeds}
        """Seeded nodes whose step has not come yet (None once the seeds are revealed)."""
        self.used: set[int] = set()
        self.held: list[_Summed] = []

    def seed(self, seed: _Line) -> None:
        if self.open is None:  # past the seeds: revealed where it comes
            self.seeds = [seed]
            self._reveal_seeds()
            return
        self.seeds.append(seed)
        self.open.add(seed.node)

    def step(self, step: _Summed) -> None:
        if self.open is None:
            self._step(step)
            return
        if step.node in self.open:
            self.open.discard(step.node)
        if step.terms:
            self.used.add(step.node)
        self.held.append(step)
        if not self.open:
            self.close()

    def close(self) -> None:
        if self.open is None:
            return
        self._reveal_seeds()
        held, self.held = self.held, []
        for step in held:
            self._step(step)

    def _reveal(
        self, kind: Kind, j: int, text: str, explain: str, parent: int | None = None, uses: tuple[PartialUse, ...] = ()
    ) -> None:
        sums = Sums(dict(self.running)) if self.running else NO_SUMS
        self.add(Reveal(kind, j, self.values, self.adjoints.now(), sums, text, explain, parent, self.index, uses=uses))

    def _reveal_seeds(self) -> None:
        for seed in self.seeds:
            if seed.node in self.used and seed.value is not None:  # an output that other nodes use too: its first term
                self.running[seed.node] = Running((seed.value,), 1)
            else:
                self.adjoints.add(seed.node)
            self._reveal("seed", seed.node, seed.text, seed.explain)
        self.open, self.seeds = None, []

    def _step(self, step: _Summed) -> None:
        j = step.node
        if j in self.adjoints:
            return
        if not step.terms:
            self.adjoints.add(j)
            self._reveal("sum", j, step.text, step.explain)
            return
        alone = len(step.terms) == 1 and j not in self.running
        for term in step.terms:
            if alone:
                self.adjoints.add(j)
            else:
                self.running[j] = term.running
            said = f"{step.lhs} {'=' if alone else '+='} {term.chain}"
            self._reveal("term", j, said, term.explain, term.parent, term.uses)
        if not alone:
            self.adjoints.add(j)
            self.running.pop(j, None)
            self._reveal("sum", j, step.total, step.sentence)


def _steps(section: Section) -> Iterator[Step]:
    for block in section.blocks:
        if block.kind != "notes":
            yield from block.steps


def _line(step: Step) -> str:
    """A step on one line, as the step panel shows it: lhs = symbols = … = value."""
    rows = step_rows(step._replace(partials=(), explain=(), also=(), inline=True, notes=()), 0)
    return rows[0].plain


def _line_of(step: Step, seed: bool = False) -> _Line:
    assert step.node is not None
    return _Line(step.node, _line(step), " ".join(step.explain), step.lines[-1].math if seed else None)


def _summed(step: Step) -> _Summed:
    assert step.node is not None
    if not step.terms:
        return _Summed(step.node, _line(step), " ".join(step.explain))
    by_parent: dict[int, list[PartialUse]] = {}
    for use in step.partials:
        by_parent.setdefault(use.parent, []).append(use)
    terms = tuple(
        _Contribution(
            t.parent,
            " = ".join(dedupe([show(line.math) for line in t.lines])),
            t.explain,
            t.running,
            tuple(by_parent.get(t.parent, ())),
        )
        for t in step.terms
    )
    lhs = show(step.lhs) if step.lhs is not None else ""
    products = [line.math for line in step.lines if line.layer == "products"]
    total = " = ".join(show(m) for m in [*products, step.lines[-1].math])
    sentence = step.explain[-1] if step.explain else ""
    return _Summed(step.node, "", "", lhs, terms, f"{lhs} = {total}", sentence)


# -- one screen ----------------------------------------------------------------
def node_table(trace: Trace, state: Reveal, digits: int = 4, max_rows: int | None = None) -> Table:
    """Every node with what is known of it so far; the node being worked on is marked.

    With `max_rows`, only a window of rows around the current node is shown (a big graph on a small screen)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    table.add_column("node")
    table.add_column("definition", no_wrap=True)
    table.add_column("value", justify="right", max_width=28, no_wrap=True)  # an array's cell: one line, cut
    table.add_column("tangent" if state.tangents else "adjoint", justify="right", max_width=24, no_wrap=True)
    numbered = trace.graph.numbered
    first, last = 0, len(numbered)
    if max_rows is not None and len(numbered) > max_rows:
        rows = max(1, max_rows - 2)
        at = numbered.index(state.node) if state.node is not None else 0
        first = max(0, min(at - rows // 2, len(numbered) - rows))
        last = first + rows
    if first > 0:
        table.add_row("", "", Text(words.more_rows(first), style="italic"), "", "")  # the widest column: one line
    for i in numbered[first:last]:
        hot = i == state.node
        value = _known(trace.values[i], digits) if i in state.values else ""
        if i not in state.adjoints:
            adjoint = state.running.get(i, "")
        elif trace.symbolic is not None and trace.symbolic_only:  # no numbers: the adjoint as a formula
            adjoint = show(trace.symbolic.passes[state.pass_index].adjoint[i])
        else:
            adjoint = _known(_pass_values(trace, state)[i], digits)
        out = words.output_name_of(trace, i)
        definition = show(trace.definition(i)) + (f"  → {out}" if out else "")
        mark = MARK if hot else "◆" if i == state.parent else ""
        table.add_row(
            Text(mark, style="bold yellow"),
            Text(trace.label(i), style="bold yellow" if hot or i == state.parent else "bold cyan"),
            Text(definition, no_wrap=True, overflow="ellipsis"),  # one line a row: the window of rows fits
            Text(value, style="green", no_wrap=True, overflow="ellipsis"),
            Text(adjoint, style="magenta", no_wrap=True, overflow="ellipsis"),
        )
    if last < len(numbered):
        table.add_row("", "", Text(words.more_rows(len(numbered) - last), style="italic"), "", "")
    return table


def _pass_values(trace: Trace, state: Reveal) -> list[float]:
    """The adjoints (or tangents) of the pass a state belongs to."""
    if state.tangents:
        return trace.forward[state.pass_index - len(trace.reverse)].tangents
    if trace.reverse:
        return trace.reverse[state.pass_index].adjoints
    return [float("nan")] * len(trace.graph.nodes)


def _height(console: Console, renderable: RenderableType) -> int:
    return len(console.render_lines(renderable, console.options, pad=False))


class Lines:
    """Lines rich has already laid out (the node table, measured for its height): printed as they are, so a
    key press lays the table out once, not once to measure it and again to print it."""

    def __init__(self, renderable: RenderableType, lines: list[list[Segment]], ascii_only: bool) -> None:
        self.renderable, self.lines, self.ascii_only = renderable, lines, ascii_only
        self.width = max((Segment.get_line_length(line) for line in lines), default=0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.ascii_only != self.ascii_only or options.max_width < self.width:  # laid out for another console
            yield self.renderable
            return
        end = Segment.line()
        for line in self.lines:
            yield from line
            yield end

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)


def _known(value: float, digits: int) -> str:
    return shown_value(value, digits)


def screen(
    trace: Trace,
    states: list[Reveal],
    k: int,
    *,
    explain: bool = False,
    digits: int = 4,
    help_open: bool = False,
    width: int = 80,
    height: int = 50,
    paused: bool = False,
    typed: str = "",
) -> RenderableType:
    """State k of the lesson as one screen: status line, graph (when it fits), node table, the step, keys."""
    state = states[k]
    status = Text(no_wrap=True, overflow="ellipsis")
    status.append("adtrace --step", style="bold")
    status.append(f"   step {k + 1} of {len(states)}: {state.kind}", style="bold")
    if state.node is not None:
        status.append(f" {trace.label(state.node)}", style="bold yellow")
    if paused:
        status.append("   (paused: p resumes)", style="bold")
    if typed:
        status.append(f"   go to node {typed}…", style="bold")
    status.append("   " + visible(trace.source.strip()).replace("\n", "; "), style="italic")
    body = styled(state.text, indent=4)
    rows = [body]
    if explain and state.explain:
        rows.append(styled(state.explain, "italic"))
    step = Panel(Plain(rows), title="this step", title_align="left", box=box.ROUNDED)
    keys = Text(HELP if help_open else KEYS_HELP, style="italic")
    running = state.running.get(state.node) if state.node is not None else None
    if state.node is not None and state.parent is not None:
        focus = Highlight.term(state.node, state.parent, running)
    else:
        focus = Highlight(state.node, running=running)
    view = GraphDrawing(trace, digits, values=state.values, adjoints=state.adjoints, highlight=focus)
    drawing = draw(view, width)
    measure = Console(emoji=False, width=width, file=io.StringIO())
    fixed = 1 + _height(measure, step) + _height(measure, keys) + (running is not None) + 2  # + a note
    table = node_table(trace, state, digits, max_rows=max(3, height - fixed - 3))
    laid = Lines(table, measure.render_lines(table, pad=False), measure.options.ascii_only)
    table_h = len(laid.lines)
    parts: list[RenderableType] = [status]
    note: str | None = None
    if drawing is not None:
        graph_w = max(cell_len(line) for line in drawing.plain.split("\n"))
        graph_h = drawing.plain.count("\n") + 1
        table_w = laid.width
        if graph_w + table_w + 3 <= width and max(graph_h, table_h) + fixed <= height:
            grid = Table.grid(padding=(0, 3))
            grid.add_row(drawing, laid)
            parts.append(grid)
        elif graph_h + table_h + fixed <= height:
            parts += [drawing, laid]
        else:
            note = words.graph_hidden(graph_w, graph_h, width, height)
            parts.append(laid)
    else:
        if len(trace.graph.numbered) <= 40:
            note = words.graph_hidden(0, 0, width, height)
        parts.append(laid)
    if running is not None:
        so_far = words.running_sum(trace.label(state.node or 0), running)
        parts.append(Text(so_far, style="magenta", no_wrap=True, overflow="ellipsis"))
    if note:
        parts.append(Text(note, style="italic", no_wrap=True, overflow="ellipsis"))
    parts += [step, keys]
    return Group(*parts)


# -- the terminal -------------------------------------------------------

NEXT = {"\r", "\n", " ", "right", "l", "n"}
BACK = {"left", "b", "h"}
QUIT = {"q", "Q", "escape", "\x04"}
_SEQUENCES = {
    "[C": "right",
    "OC": "right",
    "[D": "left",
    "OD": "left",
    "[H": "home",
    "OH": "home",
    "[1~": "home",
    "[7~": "home",
    "[F": "end",
    "OF": "end",
    "[4~": "end",
    "[8~": "end",
}


class KeyReader:
    """Key presses from a file descriptor; bytes read past one key (fast typing after an arrow) are kept
    for the next call, never dropped."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = b""

    def _more(self, timeout: float | None) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            data = os.read(self.fd, 64)
            if not data:
                return False
            self.pending += data
            return True
        return False

    def read(self, timeout: float | None) -> str | None:
        """One key ('right', 'left', 'home', 'end', 'escape' or the character), or None after `timeout`."""
        if not self.pending and not self._more(timeout):
            return None
        if self.pending[:1] != b"\x1b":
            return self._char()
        if len(self.pending) == 1 and not self._more(0.05):
            self.pending = b""
            return "escape"
        body = self.pending[1:]
        end = 1
        if body[:1] in (b"[", b"O"):
            end = 2
            while end < len(self.pending) and not 0x40 <= self.pending[end] <= 0x7E:
                end += 1
            end += 1
        seq, self.pending = self.pending[1:end].decode("ascii", "replace"), self.pending[end:]
        return _SEQUENCES.get(seq, "")

    def _char(self) -> str:
        for size in range(1, 5):  # one UTF-8 character
            try:
                char = self.pending[:size].decode("utf-8")
            except UnicodeDecodeError:
                continue
            self.pending = self.pending[size:]
            return char
        self.pending = self.pending[1:]
        return "\ufffd"


def jump(states: list[Reveal], k: int, key: str, trace: Trace, typed: str = "") -> int:
    """Where a key moves the lesson from step k."""
    last = len(states) - 1
    if key == "home":
        return 0
    if key == "end":
        return last
    if key == "s":
        seeds = [m for m, s in enumerate(states) if s.kind == "seed"]
        return next((m for m in seeds if m > k), seeds[0] if seeds else k)
    if key == "r":
        starts = [
            m
            for m in range(1, len(states))
            if (states[m].kind in ("term", "sum") and states[m - 1].kind == "seed")
            or (states[m].kind == "tangent" and states[m - 1].kind != "tangent")
        ]
        return next((m for m in starts if m > k), starts[0] if starts else k)
    if typed:
        target = next((i for i in trace.graph.numbered if trace.label(i) == f"{trace.letter}{typed}"), None)
        found = [m for m, s in enumerate(states) if s.node == target and s.kind != "forward"]
        found = found or [m for m, s in enumerate(states) if s.node == target]
        return next((m for m in found if m > k), found[0] if found else k)
    return k


def run(
    trace: Trace,
    console: Console,
    *,
    explain: bool = False,
    digits: int = 4,
    delay: float | None = None,
    keys: bool = True,
) -> int:
    """Step through the trace in the terminal; returns the step reached (1-based).

    `keys`: read key presses from stdin (a terminal); without keys `delay` must be set.
    The terminal mode is restored and the alternate screen left however this ends."""
    states = reveal_states(trace, digits)
    fd = sys.stdin.fileno()
    restore: Callable[[], None] = lambda: None
    if keys:
        import termios
        import tty

        saved = termios.tcgetattr(fd)
        restore = lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    reader = KeyReader(fd)
    k = 0
    help_open = paused = False
    typed = ""
    try:
        if keys:
            tty.setcbreak(fd)
        with Live(console=console, screen=True, auto_refresh=False, transient=True) as live:
            size = None
            dirty = True
            last_tick = time.monotonic()
            while True:
                if console.size != size or dirty:
                    size = console.size
                    shown = screen(
                        trace,
                        states,
                        k,
                        explain=explain,
                        digits=digits,
                        help_open=help_open,
                        width=size.width,
                        height=size.height,
                        paused=paused,
                        typed=typed,
                    )
                    live.update(shown, refresh=True)
                    dirty = False
                if not keys:
                    time.sleep(delay or 0)
                    if k == len(states) - 1:
                        break
                    k, dirty = k + 1, True
                    continue
                wait = 0.25 if delay is None or paused else max(0.0, delay - (time.monotonic() - last_tick))
                key = reader.read(min(wait, 0.25))
                if key is None:
                    if delay is not None and not paused and time.monotonic() - last_tick >= delay:
                        k, dirty, last_tick = min(k + 1, len(states) - 1), True, time.monotonic()
                    continue
                dirty, last_tick = True, time.monotonic()
                if key.isdigit():
                    typed += key
                elif key in ("\r", "\n") and typed:
                    k, typed = jump(states, k, "", trace, typed), ""
                elif key in NEXT:
                    k, typed = min(k + 1, len(states) - 1), ""
                elif key in BACK:
                    k, typed = max(k - 1, 0), ""
                elif key in QUIT:
                    break
                elif key == "?":
                    help_open = not help_open
                elif key == "p":
                    paused = not paused
                elif key in ("home", "end", "s", "r"):
                    k, typed = jump(states, k, key, trace), ""
    finally:
        restore()
    return k + 1
