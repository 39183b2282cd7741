"""One layered layout of the graph for every picture: the terminal drawing, the SVG and the Mermaid order.

Pure: a Graph in, layers and positions out; no rich, no text. It is the classic layered layout
(Sugiyama) in four steps, each a loop over the nodes in topological order (no recursion):

1. **Layers.** Inputs at the top, the output at the bottom: a node starts one layer below its deepest
   argument, then a node with more edges below it than above (every input, a value used several times)
   moves down as far as its first user allows, so an input sits just above the node that uses it and
   a two-layer network is not one wide row of weights.
2. **Pass-throughs.** An edge that skips layers runs through one *pass-through* item per skipped layer;
   the lines of one node share them (a node used three layers down draws one vertical line).
3. **Order.** Each layer is sorted by the median of its neighbours' positions in the layer above, then
   below (alternating sweeps), and adjacent items are swapped while that removes crossings; the order with
   the fewest crossings is kept (zero on the seed example, `reuse` and `tiny_network`).
4. **Coordinates.** Given each item's width, every layer is placed as close as it can to the mean of its
   neighbours (a weighted isotonic regression, solved exactly per layer by pooling adjacent violators),
   sweeping down and up, within the width of the widest layer.

`layered(graph)` (steps 1-3) is cached per graph, so a stepper that redraws at every key pays once;
`place(layering, width, gap)` (step 4) takes widths in any unit: terminal cells or SVG pixels.
"""

from __future__ import annotations

import random
import weakref
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import NamedTuple

from ..engine.graph import Graph

SWEEPS = 8
"""Rounds of down-and-up median sweeps in the ordering (it stops early at zero crossings)."""
SHUFFLES = 4
"""Seeded random first orders tried after the three fixed ones, for a small graph that still has crossings:
median sweeps get stuck where two layers must flip together (as in `reuse`)."""
SHUFFLE_ITEMS = 24
"""Items (boxes and pass-throughs) up to which the random first orders are tried."""
SEARCH_NODES = 16
"""Graphs of up to this many nodes whose best order has crossings try nearby layerings (see _search)."""
SEARCH_TRIES = 24
"""At most this many layerings tried (each costs one ordering: about a millisecond at this size)."""
PLACE_SWEEPS = 4
"""Rounds of down-and-up passes in the coordinate assignment."""


class Item(NamedTuple):
    """An item of a layer: node `node`'s own box when `layer` is the node's layer, else the pass-through
    carrying its line to node `to` across `layer`."""

    node: int
    layer: int
    to: int = -1


class Layering:
    """The layers of a graph, each ordered left to right, and the lines between neighbouring layers.

    (Plain classes here and below, not dataclasses: this module is imported by every terminal trace, and a
    dataclass costs about a millisecond to make at import.)
    """

    __slots__ = ("down", "graph", "layer", "rows", "up")

    def __init__(
        self,
        graph: Graph,
        layer: dict[int, int],
        rows: list[list[Item]],
        up: dict[Item, list[Item]],
        down: dict[Item, list[Item]],
    ) -> None:
        self.graph = graph
        self.layer = layer
        """Numbered node → its layer (0 at the top)."""
        self.rows = rows
        """Per layer, its items from left to right (boxes and pass-throughs)."""
        self.up = up
        """Item → the items in the layer above that feed it, one per line (`x*x` lists w1 twice)."""
        self.down = down
        """Item → the items in the layer below it feeds, one per line."""

    def is_box(self, item: Item) -> bool:
        return item.to < 0

    def chain(self, a: int, i: int) -> list[Item]:
        """The items the line from argument a to node i goes through: a's box, pass-throughs, i's box."""
        la, li = self.layer[a], self.layer[i]
        return [Item(a, la), *(Item(a, at, i) for at in range(la + 1, li)), Item(i, li)]

    def above(self, a: int, i: int) -> Item:
        """The item the line from argument a enters node i's box from (a's box, or its last pass-through)."""
        return self.chain(a, i)[-2]

    def crossings(self) -> int:
        """How many pairs of lines cross between neighbouring layers (lines that share an end never do)."""
        return sum(_band_crossings(self.rows[k], self.rows[k + 1], self.up) for k in range(len(self.rows) - 1))


_CACHE: weakref.WeakKeyDictionary[Graph, dict[object, Layering]] = weakref.WeakKeyDictionary()


def layered(graph: Graph, widths: dict[int, int] | None = None, budget: int | None = None) -> Layering:
    """The graph's layers, pass-throughs and order (steps 1-3), made once per graph (and budget).

    With node `widths` and a `budget` (the same unit, e.g. terminal cells: the width to fit), a layering
    whose widest layer would be wider than the budget is redone as a list schedule that opens a new layer
    rather than overfill one (each input still placed just above its first user).
    """
    per_graph = _CACHE.setdefault(graph, {})
    key = None if widths is None or budget is None else (budget, tuple(sorted(widths.items())))
    cached = per_graph.get(key)
    if cached is None:
        layer = assign_layers(graph)
        if widths is not None and budget is not None and _widest(graph, layer, widths) > budget:
            layer = _within(graph, widths, budget)
        cached = per_graph[key] = _search(graph, layer)
    return cached


def _build(graph: Graph, layer: dict[int, int]) -> Layering:
    """Items (a pass-through per skipped layer of each edge), the lines between them, and the order."""
    nodes = graph.nodes
    rows: list[list[Item]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    up: dict[Item, list[Item]] = {}
    for i in graph.numbered:
        at = layer[i]
        box = Item(i, at)
        rows[at].append(box)
        up[box] = []
        for a in nodes[i].args:
            if nodes[a].is_const:
                continue
            prev = Item(a, layer[a])
            for skipped in range(layer[a] + 1, at):
                item = Item(a, skipped, i)
                if item not in up:  # x*x with w1 layers above: both lines share the pass-throughs
                    rows[skipped].append(item)
                    up[item] = [prev]
                prev = item
            up[box].append(prev)
    down: dict[Item, list[Item]] = {item: [] for row in rows for item in row}
    for row in rows:
        for item in row:
            for source in up[item]:
                down[source].append(item)
    _order(rows, up, down)
    return Layering(graph, layer, rows, up, down)


def _search(graph: Graph, layer: dict[int, int]) -> Layering:
    """The layering as given, or, where its best order still has crossings, a nearby one with fewer: each
    node in turn moved down a layer or two (its users with it), kept when that removes crossings. A small
    graph only (each try orders the whole graph again); `reuse` needs it: y one layer lower lets both
    products sit on either side of it."""
    best = _build(graph, layer)
    if len(graph.numbered) > SEARCH_NODES:
        return best
    score = _score(best)
    tries = 0
    for _ in range(2):
        if score[0] == 0:
            break
        better = False
        inputs_first = sorted(graph.numbered, key=lambda i: not graph.nodes[i].is_input)
        for i in inputs_first:
            for step in (1, 2):
                if tries >= SEARCH_TRIES or score[0] == 0:
                    break
                tries += 1
                moved = _moved(graph, best.layer, i, step)
                candidate = _build(graph, moved)
                now = _score(candidate)
                if now < score:
                    best, score, better = candidate, now, True
        if not better:
            break
    return best


def _score(lay: Layering) -> tuple[int, int, int]:
    """Fewest crossings, then fewest layers, then fewest pass-throughs."""
    items = sum(len(row) for row in lay.rows)
    return lay.crossings(), len(lay.rows), items


def _moved(graph: Graph, layer: dict[int, int], i: int, step: int) -> dict[int, int]:
    """Node i `step` layers lower, and every node below it as low as it must go to stay below its arguments."""
    nodes = graph.nodes
    moved = dict(layer)
    moved[i] += step
    for j in graph.numbered:
        if j > i:
            deepest = max((moved[a] for a in nodes[j].args if not nodes[a].is_const), default=-1)
            moved[j] = max(moved[j], deepest + 1)
    top = min(moved.values(), default=0)
    return {j: at - top for j, at in moved.items()}


def assign_layers(graph: Graph) -> dict[int, int]:
    """Node → layer: one below the deepest argument, then nodes with more lines below than above move down
    next to their first user (inputs always do), and nodes with more lines above move back up."""
    nodes = graph.nodes
    numbered = graph.numbered
    layer: dict[int, int] = {}
    args: dict[int, list[int]] = {}
    users: dict[int, list[int]] = {}
    for i in numbered:
        args[i] = [a for a in nodes[i].args if not nodes[a].is_const]
        users[i] = [p for p, _ in graph.parents[i]]
        layer[i] = 1 + max((layer[a] for a in args[i]), default=-1)
    for _ in range(2):
        for i in reversed(numbered):
            if users[i] and len(users[i]) > len(args[i]):
                layer[i] = min(layer[p] for p in users[i]) - 1
        for i in numbered:
            if len(args[i]) > len(users[i]):
                layer[i] = 1 + max((layer[a] for a in args[i]), default=-1)
    top = min(layer.values(), default=0)
    return {i: at - top for i, at in layer.items()}


def _widest(graph: Graph, layer: dict[int, int], widths: dict[int, int]) -> int:
    """The width of the widest layer packed tight (a pass-through counts 2: its line and a gap)."""
    row = [0] * (max(layer.values(), default=0) + 1)
    for i in graph.numbered:
        row[layer[i]] += widths[i] + 1
        for at in range(layer[i] + 1, max((layer[p] for p, _ in graph.parents[i]), default=layer[i])):
            row[at] += 2
    return max(row, default=0)


def _within(graph: Graph, widths: dict[int, int], budget: int) -> dict[int, int]:
    """A layering no wider than the budget where it can be: each operation, in order, in the first layer
    below its arguments with room for it and for those of its inputs not placed yet (one layer above it)."""
    nodes = graph.nodes
    used: list[int] = []
    layer: dict[int, int] = {}

    def room(at: int, need: int) -> bool:
        while len(used) <= at:
            used.append(0)
        return used[at] == 0 or used[at] + need <= budget

    for i in graph.numbered:
        if nodes[i].is_input:
            continue
        args = [a for a in dict.fromkeys(nodes[i].args) if not nodes[a].is_const]
        waiting = [a for a in args if a not in layer]
        at = max(1 + max((layer[a] for a in args if a in layer), default=-1), 1 if waiting else 0)
        need_inputs = sum(widths[a] + 1 for a in waiting)
        while not (room(at, widths[i] + 1) and (not waiting or room(at - 1, need_inputs))):
            at += 1
        layer[i] = at
        used[at] += widths[i] + 1
        for a in waiting:
            layer[a] = at - 1
            used[at - 1] += widths[a] + 1
    for i in graph.numbered:  # an input no operation uses (a program's unused input)
        layer.setdefault(i, 0)
    return layer


# -- ordering -------------------------------------------------------------------


def _order(rows: list[list[Item]], up: dict[Item, list[Item]], down: dict[Item, list[Item]]) -> None:
    """Median sweeps down and up, each followed by transpositions, from up to three first orders (sorted
    from the top, from the bottom, from the top mirrored) until one has no crossing; keeps the best (in place)."""
    if len(rows) < 2:
        return
    start = [row[:] for row in rows]
    best: tuple[int, list[list[Item]]] | None = None
    shuffle = random.Random(len(start)).shuffle  # seeded: the same graph always gets the same picture
    small = sum(len(row) for row in rows) <= SHUFFLE_ITEMS
    for first in ("top", "bottom", "mirror", *(["shuffled"] * (SHUFFLES if small else 0))):
        rows[:] = [row[:] for row in start]
        if first == "mirror":
            rows[0].reverse()
        if first == "shuffled":
            for row in rows:
                shuffle(row)
        if first == "bottom":
            for k in range(len(rows) - 2, -1, -1):
                position = {item: x for x, item in enumerate(rows[k + 1])}
                rows[k].sort(key=lambda it: _mean([position[s] for s in down[it]], 0.0))
        else:
            for k in range(1, len(rows)):
                position = {item: x for x, item in enumerate(rows[k - 1])}
                rows[k].sort(key=lambda it: _mean([position[s] for s in up[it]], 0.0))
        found = _sweeps(rows, up, down, downward_first=first != "bottom")
        if first == "shuffled":  # a random start is worth trying in both directions
            rows[:] = [row[:] for row in found[1]]
            found = min(found, _sweeps(rows, up, down, downward_first=False), key=lambda f: f[0])
        if best is None or found[0] < best[0]:
            best = found
        if best[0] == 0:
            break
    assert best is not None
    rows[:] = best[1]


def _sweeps(
    rows: list[list[Item]], up: dict[Item, list[Item]], down: dict[Item, list[Item]], *, downward_first: bool
) -> tuple[int, list[list[Item]]]:
    """Alternating median sweeps with transpositions from the order in `rows`: the fewest crossings seen, and
    that order."""

    def total() -> int:
        return sum(_band_crossings(rows[k], rows[k + 1], up) for k in range(len(rows) - 1))

    best = total()
    best_rows = [row[:] for row in rows]
    for sweep in range(SWEEPS):
        if best == 0:
            break
        downward = (sweep % 2 == 0) == downward_first
        order = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for k in order:
            fixed = rows[k - 1] if downward else rows[k + 1]
            neighbours = up if downward else down
            _sort_by_median(rows[k], fixed, neighbours)
        _transpose(rows, up, down)
        now = total()
        if now < best:
            best = now
            best_rows = [row[:] for row in rows]
    return best, best_rows


def _sort_by_median(row: list[Item], fixed: list[Item], neighbours: dict[Item, list[Item]]) -> None:
    """Sort a layer by the median position of each item's neighbours in the fixed layer; an item with no
    neighbour there keeps its place (the others are sorted around it)."""
    position = {item: x for x, item in enumerate(fixed)}
    keyed: list[tuple[float, int, Item] | None] = []
    for x, item in enumerate(row):
        ps = sorted(position[n] for n in neighbours[item])
        if not ps:
            keyed.append(None)
            continue
        m = len(ps) // 2
        median = ps[m] if len(ps) % 2 else (ps[m - 1] + ps[m]) / 2
        keyed.append((median, x, item))
    movable = sorted(k for k in keyed if k is not None)
    it = iter(movable)
    row[:] = [next(it)[2] if k is not None else row[x] for x, k in enumerate(keyed)]


def _transpose(rows: list[list[Item]], up: dict[Item, list[Item]], down: dict[Item, list[Item]]) -> None:
    """Swap neighbouring items wherever that lowers the crossings on both sides, until nothing improves."""
    improved = True
    rounds = 0
    while improved and rounds < 8:
        improved = False
        rounds += 1
        for k, row in enumerate(rows):
            above = {item: x for x, item in enumerate(rows[k - 1])} if k > 0 else {}
            below = {item: x for x, item in enumerate(rows[k + 1])} if k + 1 < len(rows) else {}
            for x in range(len(row) - 1):
                u, v = row[x], row[x + 1]
                before = _pair(u, v, up, above) + _pair(u, v, down, below)
                after = _pair(v, u, up, above) + _pair(v, u, down, below)
                if after < before:
                    row[x], row[x + 1] = v, u
                    improved = True


def _pair(u: Item, v: Item, neighbours: dict[Item, list[Item]], position: dict[Item, int]) -> int:
    """Crossings between u's and v's lines to one neighbouring layer, with u left of v."""
    if not position:
        return 0
    pu = sorted({position[n] for n in neighbours[u]})
    count = 0
    for n in set(neighbours[v]):
        count += len(pu) - bisect_left(pu, position[n] + 1)
    return count


def _band_crossings(upper: list[Item], lower: list[Item], up: dict[Item, list[Item]]) -> int:
    """Crossings between two neighbouring layers: inversions among the lines sorted by their upper end."""
    position = {item: x for x, item in enumerate(upper)}
    lines = sorted({(position[s], x) for x, item in enumerate(lower) for s in up[item]})
    seen: list[int] = []
    count = 0
    for _, x in lines:  # lines with the same upper end never cross: they come in ascending x, counted as none
        count += len(seen) - bisect_left(seen, x + 1)
        insort(seen, x)
    return count


def _mean(values: list[int] | list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


# -- coordinates ----------------------------------------------------------------


class Placement:
    """Where each item goes: its left edge and width (in the unit of the widths given), and the whole width."""

    __slots__ = ("left", "total", "width")

    def __init__(self, left: dict[Item, float], width: dict[Item, float], total: float) -> None:
        self.left = left
        self.width = width
        self.total = total

    def centre(self, item: Item) -> float:
        return self.left[item] + self.width[item] / 2


def place(layering: Layering, width: Callable[[Item], float], gap: float, *, integer: bool = False) -> Placement:
    """Coordinates for every item: each layer as near to its neighbours as it can be, inside the width of the
    widest layer packed tight. `integer` rounds to whole units (terminal cells), keeping every gap."""
    rows = layering.rows
    widths = {item: width(item) for row in rows for item in row}
    packed = [sum(widths[it] for it in row) + gap * max(0, len(row) - 1) for row in rows]
    total = max(packed, default=0.0)
    centre: dict[Item, float] = {}
    for row, size in zip(rows, packed, strict=True):  # start each layer packed and centred
        x = (total - size) / 2
        for item in row:
            centre[item] = x + widths[item] / 2
            x += widths[item] + gap
    for _ in range(PLACE_SWEEPS):
        for k in range(1, len(rows)):
            _align(rows[k], layering.up, centre, widths, gap, total)
        for k in range(len(rows) - 2, -1, -1):
            _align(rows[k], layering.down, centre, widths, gap, total)
    for k in range(1, len(rows)):  # the last pass downward: lines leave their sources straight where they can
        _align(rows[k], layering.up, centre, widths, gap, total, both=layering.down)
    left = {item: c - widths[item] / 2 for item, c in centre.items()}
    if integer:
        for row in rows:
            cursor = 0.0
            for item in row:
                left[item] = max(cursor, float(round(left[item])))
                cursor = left[item] + widths[item] + gap
    lo = min(left.values(), default=0.0)
    hi = max((left[it] + widths[it] for it in left), default=0.0)
    return Placement({it: x - lo for it, x in left.items()}, widths, hi - lo)


def _align(
    row: list[Item],
    neighbours: dict[Item, list[Item]],
    centre: dict[Item, float],
    widths: dict[Item, float],
    gap: float,
    total: float,
    both: dict[Item, list[Item]] | None = None,
) -> None:
    """Move one layer's items towards the mean centre of their neighbours, keeping order and gaps.

    With offsets s_k (the packed left of item k), y_k = x_k - s_k must not decrease: the best y is the
    weighted isotonic regression of the targets, found by pooling adjacent violators; clamping it to the
    picture's width keeps it the best.
    """
    if not row:
        return
    targets: list[float] = []
    weights: list[float] = []
    offsets: list[float] = []
    s = 0.0
    for item in row:
        ns = neighbours[item] + (both[item] if both is not None else [])
        half = widths[item] / 2
        offsets.append(s + half)
        if ns:
            targets.append(_mean([centre[n] for n in ns], 0.0) - s - half)
            weights.append(float(len(ns)) * (2.0 if widths[item] <= 1 else 1.0))
        else:
            targets.append(centre[item] - s - half)
            weights.append(0.25)
        s += widths[item] + gap
    slack = total - (s - gap)
    ys = _isotonic(targets, weights)
    for item, y, offset in zip(row, ys, offsets, strict=True):
        centre[item] = min(max(y, 0.0), max(slack, 0.0)) + offset


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence nearest the targets in weighted squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for t, w in zip(targets, weights, strict=True):
        blocks.append([t, w, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            weight = w1 + w2
            blocks.append([(m1 * w1 + m2 * w2) / weight, weight, n1 + n2])
    out: list[float] = []
    for mean, _, n in blocks:
        out.extend([mean] * int(n))
    return out
