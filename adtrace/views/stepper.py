"""Classroom mode (`--step`): reveal a trace one step per key press.

The lesson is data first: `reveal_states(trace)` lists every state of the
screen (each forward value, the seed, each reverse contribution w̄p·∂wp/∂wj
and each completed sum), so it can be tested without a terminal. `screen()`
draws one state; `run()` is the only part that touches the terminal: raw keys
(termios cbreak mode, always restored, also on Ctrl-C) and an in-place redraw
with rich Live on the alternate screen, so the shell is left as it was.

Only formats the Trace: every number shown is read from it.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..engine.trace import Trace
from ..expr import Const, Sym, number, product, show
from .drawing import MARK, GraphDrawing, draw
from .terminal import styled
from .words import (
    bar,
    explain_forward,
    explain_seed,
    explain_step,
    explain_sum,
    explain_term,
    output_name_of,
    seed_equation,
)

Kind = Literal["start", "forward", "seed", "term", "sum", "done"]
KEYS_HELP = "Enter/Space/→ next   ←/b back   q quit   ? help"
HELP = (
    "Each key press reveals one step: a forward value, the seed, one contribution w̄p·∂wp/∂wj to an adjoint, "
    "or a completed sum. The node being worked on is marked ▶. Enter, Space or → go on; ← or b go back; q quits."
)


class Prefix(AbstractSet[int]):
    """The first `count` nodes of a shared, growing order: a set that costs O(1) to make.

    Each state shows a prefix of the nodes in the order their values (or adjoints) were
    revealed, so a lesson over n nodes holds O(n) data, not O(n²).
    """

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
        self.rank[i] = len(self.order)
        self.order.append(i)

    def __contains__(self, i: int) -> bool:
        return i in self.rank

    def now(self) -> Prefix:
        return Prefix(self.order, self.rank, len(self.order))


@dataclass(frozen=True)
class Reveal:
    """One state of the lesson: what is shown, and what was just revealed."""

    kind: Kind
    node: int | None
    """The node being worked on (highlighted), if any."""
    values: AbstractSet[int]
    """Nodes whose forward value is shown."""
    adjoints: AbstractSet[int]
    """Nodes whose adjoint is complete."""
    running: dict[int, str] = field(default_factory=dict)
    """Nodes whose adjoint is being summed → the sum so far, as shown ('3 + …')."""
    text: str = ""
    """What this step says, in symbols and numbers."""
    explain: str = ""
    """The same in words (shown with --explain)."""


def reveal_states(trace: Trace, digits: int = 4) -> list[Reveal]:
    """Every state of the lesson, in order: start, forward values, seed, contributions and sums, done."""
    start = f"The graph of {trace.source.strip()}: press Enter to evaluate it, one node at a time."
    states = [Reveal("start", None, frozenset(), frozenset(), text=start)]
    values = _Order()
    for i in trace.graph.numbered:
        values.add(i)
        states.append(_forward_state(trace, i, values.now(), digits))
    finished: AbstractSet[int] = frozenset()
    if trace.reverse:
        finished = _reverse_states(trace, values.now(), states, digits)
    result = ", ".join(f"∂{o}/∂{x} = {number(d, digits)}" for o, row in trace.jacobian.items() for x, d in row.items())
    states.append(Reveal("done", None, values.now(), finished, text=f"Done: {result}. Press q to quit."))
    return states


def _forward_state(trace: Trace, i: int, values: AbstractSet[int], digits: int) -> Reveal:
    node = trace.graph.nodes[i]
    label = trace.label(i)
    value = number(trace.values[i], digits)
    if node.is_input:
        text = f"forward: {label} = {node.name} = {value}"
    else:
        definition = trace.definition(i)
        numbers = show(trace.with_values(definition, digits))
        text = f"forward: {label} = {show(definition)} = {numbers} = {value}"
    return Reveal("forward", i, values, frozenset(), text=text, explain=explain_forward(trace, i, digits))


def _reverse_states(trace: Trace, values: AbstractSet[int], states: list[Reveal], digits: int) -> AbstractSet[int]:
    """Append the seed, every contribution and every sum of the first reverse pass; return the finished adjoints."""
    graph = trace.graph
    rpass = trace.reverse[0]
    adjoints = _Order()
    running: dict[int, str] = {}

    def reveal(kind: Kind, j: int, text: str, explain: str) -> None:
        states.append(Reveal(kind, j, values, adjoints.now(), dict(running), text, explain))

    for out in graph.outputs:
        if out.node not in rpass.seeds:
            continue
        seed = number(rpass.seeds[out.node], digits)
        if graph.parents[out.node]:
            running[out.node] = f"{seed} + …"  # an output that other nodes use too: the seed is its first term
        else:
            adjoints.add(out.node)
        w = bar(trace.label(out.node))
        text = f"seed: {seed_equation(out.name, seed)}, so {w} starts at {seed}"
        reveal("seed", out.node, text, explain_seed(trace, rpass, digits))
    for j in reversed(graph.numbered):
        if j in adjoints:
            continue
        terms = trace.terms(rpass, j)
        seed_value = rpass.seeds.get(j)
        label = bar(trace.label(j))
        if not terms:
            adjoints.add(j)
            reveal(
                "sum", j, f"{label} = 0: no node uses {trace.label(j)}", " ".join(explain_step(trace, rpass, j, digits))
            )
            continue
        alone = len(terms) == 1 and seed_value is None
        parts = [number(seed_value, digits)] if seed_value is not None else []
        for t in terms:
            p = trace.label(t.parent)
            formula = trace.partial_formula(t.parent, t.position)
            value = number(t.product, digits)
            parts.append(value if not value.startswith("-") else f"({value})")
            adjoint = Const(t.parent_adjoint, number(t.parent_adjoint, digits))
            steps = [
                f"{bar(p)}·∂{p}/∂{trace.label(j)}",
                show(product(Sym(bar(p)), formula)),
                show(product(adjoint, trace.with_values(formula, digits))),
                value,
            ]
            if alone:
                adjoints.add(j)
            else:
                running[j] = " + ".join(parts) + " + …"
            text = f"{label} {'=' if alone else '+='} " + " = ".join(steps)
            reveal("term", j, text, explain_term(trace, rpass, j, t, alone, digits))
        if not alone:
            adjoints.add(j)
            running.pop(j, None)
            text = f"{label} = " + " + ".join(parts) + f" = {number(rpass.adjoints[j], digits)}"
            reveal("sum", j, text, explain_sum(trace, rpass, j, terms, digits))
    return adjoints.now()


def node_table(trace: Trace, state: Reveal, digits: int = 4, max_rows: int | None = None) -> Table:
    """Every node with what is known of it so far; the node being worked on is marked.

    With `max_rows`, only a window of rows around the current node is shown (a big graph on a small screen).
    """
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    table.add_column("node")
    table.add_column("definition")
    table.add_column("value", justify="right")
    table.add_column("adjoint", justify="right")
    numbered = trace.graph.numbered
    first, last = 0, len(numbered)
    if max_rows is not None and len(numbered) > max_rows:
        rows = max(1, max_rows - 2)
        at = numbered.index(state.node) if state.node is not None else 0
        first = max(0, min(at - rows // 2, len(numbered) - rows))
        last = first + rows
    if first > 0:
        table.add_row("", Text(f"… {first} more", style="dim"), "", "", "")
    for i in numbered[first:last]:
        hot = i == state.node
        value = number(trace.values[i], digits) if i in state.values else ""
        if i in state.adjoints and trace.reverse:
            adjoint = number(trace.reverse[0].adjoints[i], digits)
        else:
            adjoint = state.running.get(i, "")
        out = output_name_of(trace, i)
        definition = show(trace.definition(i)) + (f"  → {out}" if out else "")
        table.add_row(
            Text(MARK if hot else "", style="bold yellow"),
            Text(trace.label(i), style="bold yellow" if hot else "bold cyan"),
            styled(definition),
            Text(value, style="green"),
            Text(adjoint, style="magenta"),
        )
    if last < len(numbered):
        table.add_row("", Text(f"… {len(numbered) - last} more", style="dim"), "", "", "")
    return table


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
) -> RenderableType:
    """State k of the lesson as one screen: status line, graph (when it fits), node table, the step, keys."""
    state = states[k]
    status = Text(no_wrap=True, overflow="ellipsis")
    status.append("adtrace --step", style="bold")
    status.append(f"   step {k + 1} of {len(states)}: {state.kind}", style="bold")
    if state.node is not None:
        status.append(f" {trace.label(state.node)}", style="bold yellow")
    status.append("   " + trace.source.strip().replace("\n", "; "), style="dim")
    table = node_table(trace, state, digits, max_rows=max(3, height - 14))
    body = styled(state.text)
    if explain and state.explain:
        body.append("\n" + state.explain, style="italic")
    step = Panel(body, title="this step", title_align="left", box=box.ROUNDED)
    keys = Text(HELP if help_open else KEYS_HELP, style="dim")
    view = GraphDrawing(trace, digits, values=state.values, adjoints=state.adjoints, highlight=state.node)
    drawing = draw(view, width)
    parts: list[RenderableType] = [status]
    if drawing is not None:
        graph_w = max(cell_len(line) for line in drawing.plain.split("\n"))
        graph_h = drawing.plain.count("\n") + 1
        table_w = Console(emoji=False, width=width).measure(table).maximum
        rows = len(trace.graph.numbered) + 3
        if graph_w + table_w + 3 <= width and graph_h + 8 <= height:
            grid = Table.grid(padding=(0, 3))
            grid.add_row(drawing, table)
            parts.append(grid)
        elif graph_h + rows + 8 <= height:
            parts += [drawing, table]
        else:
            parts.append(table)
    else:
        parts.append(table)
    parts += [step, keys]
    return Group(*parts)


# -- the terminal -------------------------------------------------------

NEXT = {"\r", "\n", " ", "right", "l", "n"}
BACK = {"left", "b", "h", "p"}
QUIT = {"q", "Q", "escape", "\x04"}


def read_key(fd: int, timeout: float | None) -> str | None:
    """One key press ('right', 'left', 'escape' or the character), or None after `timeout` seconds."""
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    data = os.read(fd, 1)
    if data != b"\x1b":
        return data.decode("utf-8", "replace")
    ready, _, _ = select.select([fd], [], [], 0.05)
    if not ready:
        return "escape"
    rest = os.read(fd, 8)
    return {b"[C": "right", b"OC": "right", b"[D": "left", b"OD": "left"}.get(rest[:2], "")


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
    The terminal mode is restored and the alternate screen left however this ends.
    """
    states = reveal_states(trace, digits)
    fd = sys.stdin.fileno()
    restore: Callable[[], None] = lambda: None
    if keys:
        import termios
        import tty

        saved = termios.tcgetattr(fd)
        restore = lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    k = 0
    help_open = False
    try:
        if keys:
            tty.setcbreak(fd)
        with Live(console=console, screen=True, auto_refresh=False, transient=True) as live:
            while True:
                size = console.size
                live.update(
                    screen(
                        trace,
                        states,
                        k,
                        explain=explain,
                        digits=digits,
                        help_open=help_open,
                        width=size.width,
                        height=size.height,
                    ),
                    refresh=True,
                )
                if not keys:
                    time.sleep(delay or 0)
                    if k == len(states) - 1:
                        break
                    k += 1
                    continue
                key = read_key(fd, delay)
                if key is None or key in NEXT:
                    k = min(k + 1, len(states) - 1)
                elif key in BACK:
                    k = max(k - 1, 0)
                elif key in QUIT:
                    break
                elif key == "?":
                    help_open = not help_open
    finally:
        restore()
    return k + 1
