"""The graph as a standalone SVG picture (`adtrace EXPR VALUES --graph -o graph.svg`).

The same layout as the terminal drawing (`layout.py`), in pixels: one box per numbered node with its
label and operation, its value and its adjoint (its tangent in forward mode), one curved path per
argument with an arrowhead, labelled with the local partial ∂(user)/∂(argument) at this point. The
file is self-contained: no fonts, scripts, images or styles from the network, text in a generic
monospace font family, so it opens from disk and prints as it looks.

Only formats the Trace: values, partials and adjoints are read from it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from html import escape
from typing import Literal

from rich.cells import cell_len

from ..engine.trace import Trace
from ..expr import show
from ..lesson.values import edge_label, edge_title, shown
from ..lesson.words import bar, dot, output_name_of
from .layout import Item, layered, place

FONT = 14
"""Font size of a box's text, in pixels."""
CHAR = FONT * 0.6
"""The advance of one character of a monospace font (0.6 em in DejaVu Sans Mono, Menlo, Consolas)."""
LINE = FONT * 1.35
PAD = 10
BOX_H = 3 * LINE + 2 * PAD - 4
BAND = 64
"""Pixels between two layers: room for the curves and their labels."""
GAP = 26
MARGIN = 20
THEMES = {
    "light": {"bg": "#ffffff", "fg": "#141414", "box": "#f6f8fa", "line": "#57606a", "value": "#00781e",
              "adjoint": "#8c148c", "partial": "#1f4bb5", "out": "#aa1414"},
    "dark": {"bg": "#1e1f22", "fg": "#e6e6e6", "box": "#2b2d31", "line": "#a0a4ab", "value": "#7ee787",
             "adjoint": "#f0a0f0", "partial": "#8ab4ff", "out": "#ff8080"},
}  # fmt: skip


def graph_svg(
    trace: Trace, digits: int = 4, theme: Literal["light", "dark"] = "light", *, scope: str | None = None
) -> str:
    """The whole SVG document as one string.

    With `scope` (for the web lesson), every element a script highlights is marked: each node's group has
    the id `{scope}-node-N` and `data-node` (the node's index), its value and adjoint lines the classes
    `value` and `adjoint`, each edge the id `{scope}-edge-A-I-POSITION` and `data-edge="A-I"` (indices); the arrowhead's
    id is scoped too, so two pictures in one page do not share it."""
    return "".join(_svg(trace, digits, theme, scope))


def _svg(trace: Trace, digits: int, theme: str, scope: str | None = None) -> Iterator[str]:
    colours = THEMES[theme]
    graph = trace.graph
    lay = layered(graph)
    sweep = trace.reverse[0].adjoints if trace.reverse else trace.forward[0].tangents if trace.forward else None
    mark = bar(trace.letter) if trace.reverse else dot(trace.letter)
    lines: dict[int, tuple[str, str, str]] = {}
    for i in graph.numbered:
        value = shown(trace.values[i], digits)
        adjoint = shown(sweep[i], digits) if sweep is not None else ""
        lines[i] = (
            f"{trace.label(i)} = {show(trace.definition(i))}",
            f"= {value}" if value else "",
            f"{mark} = {adjoint}" if adjoint else "",
        )
    chars = {i: max(cell_len(t) for t in ls) for i, ls in lines.items()}
    where = place(lay, lambda it: chars[it.node] * CHAR + 2 * PAD if lay.is_box(it) else 8.0, GAP)
    width = where.total + 2 * MARGIN
    height = len(lay.rows) * (BOX_H + BAND) - BAND + 2 * MARGIN + LINE

    def top(at: int) -> float:
        return MARGIN + at * (BOX_H + BAND)

    def x(item: Item) -> float:
        return MARGIN + where.centre(item)

    title = f"adtrace: the graph of {' '.join(trace.source.split())}"
    arrow = f"{scope}-arrow" if scope else "arrow"
    # In the web lesson a highlighted edge is drawn thicker: its arrowhead keeps its size (user units).
    size = (
        'markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10"'
        if scope
        else 'markerWidth="7" markerHeight="7"'
    )
    yield (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
        f'font-size="{FONT}">\n'
        f"<title>{escape(title)}</title>\n"
        "<defs>\n"
        f'<marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" {size} '
        'orient="auto-start-reverse">'
        f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{colours["line"]}"/></marker>\n'
        "</defs>\n"
        f'<rect width="100%" height="100%" fill="{colours["bg"]}"/>\n'
    )
    # Edges first, under the boxes: one path per argument, entering its box at a port in the order of the sources.
    labels: list[str] = []
    yield f'<g fill="none" stroke="{colours["line"]}" stroke-width="1.4">\n'
    for i in graph.numbered:
        at = lay.layer[i]
        box = Item(i, at)
        args = [(pos, a) for pos, a in enumerate(graph.nodes[i].args) if not graph.nodes[a].is_const]
        args.sort(key=lambda pa: (x(lay.above(pa[1], i)), pa[0]))
        left = MARGIN + where.left[box]
        w = where.width[box]
        for k, (pos, a) in enumerate(args):
            port = left + w * (k + 1) / (len(args) + 1)
            points = [(x(Item(a, lay.layer[a])), top(lay.layer[a]) + BOX_H)]
            for skipped in range(lay.layer[a] + 1, at):
                px = x(Item(a, skipped, i))
                points += [(px, top(skipped)), (px, top(skipped) + BOX_H)]
            points.append((port, top(at) - 1))
            d = f"M {points[0][0]:.1f} {points[0][1]:.1f}"
            for (x0, y0), (x1, y1) in itertools.pairwise(points):
                if x0 == x1:
                    d += f" L {x1:.1f} {y1:.1f}"
                else:
                    mid = (y0 + y1) / 2
                    d += f" C {x0:.1f} {mid:.1f} {x1:.1f} {mid:.1f} {x1:.1f} {y1:.1f}"
            tip = escape(edge_title(trace, a, i, pos, digits))
            marks = f' class="edge" id="{scope}-edge-{a}-{i}-{pos}" data-edge="{a}-{i}"' if scope else ""
            yield f'<path d="{d}" marker-end="url(#{arrow})"{marks}><title>{tip}</title></path>\n'
            partial = edge_label(trace, i, pos, digits)
            if partial:  # near the arrowhead, where the lines into one box are apart
                lx, ly = _along(points[-2], points[-1], 0.72)
                labels.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle">{escape(partial)}</text>\n')
    yield "</g>\n"
    yield (
        f'<g font-size="{FONT - 2}" fill="{colours["partial"]}" stroke="{colours["bg"]}" stroke-width="4" '
        f'paint-order="stroke"{_marked(scope, "partials")}>\n'
    )
    yield from labels
    yield "</g>\n"
    for i in graph.numbered:
        box = Item(i, lay.layer[i])
        left = MARGIN + where.left[box]
        y = top(lay.layer[i])
        w = where.width[box]
        head, shown_value, shown_adjoint = lines[i]
        ident = f"{scope}-node-{graph.number[i]}" if scope else f"node-{graph.number[i]}"
        data = f' data-node="{i}"' if scope else ""
        value_class, adjoint_class = _marked(scope, "value"), _marked(scope, "adjoint")
        yield (
            f'<g class="node" id="{ident}"{data}>'
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BOX_H:.1f}" rx="6" '
            f'fill="{colours["box"]}" stroke="{colours["line"]}"/>'
            f'<text x="{left + PAD:.1f}" y="{y + PAD + FONT - 2:.1f}" fill="{colours["fg"]}" '
            f'font-weight="bold"{_marked(scope, "head")}>{escape(head)}</text>'
            f'<text x="{left + PAD:.1f}" y="{y + PAD + FONT - 2 + LINE:.1f}" fill="{colours["value"]}"{value_class}>'
            f"{escape(shown_value)}</text>"
            f'<text x="{left + PAD:.1f}" y="{y + PAD + FONT - 2 + 2 * LINE:.1f}" fill="{colours["adjoint"]}"'
            f"{adjoint_class}>"
            f"{escape(shown_adjoint)}</text>"
        )
        name = output_name_of(trace, i)
        if name is not None:
            yield (
                f'<text x="{left + w / 2:.1f}" y="{y + BOX_H + LINE:.1f}" text-anchor="middle" '
                f'fill="{colours["out"]}" font-weight="bold"{_marked(scope, "out")}>output {escape(name)}</text>'
            )
        yield "</g>\n"
    yield "</svg>\n"


def _marked(scope: str | None, name: str) -> str:
    """A class for the web lesson's stylesheet and script; nothing in the standalone picture."""
    return f' class="{name}"' if scope else ""


def _along(p0: tuple[float, float], p1: tuple[float, float], t: float) -> tuple[float, float]:
    """The point at t on the curve from p0 to p1 that leaves and arrives vertically (as the paths are drawn)."""
    (x0, y0), (x1, y1) = p0, p1
    s = 1 - t
    x = x0 * (s**3 + 3 * s * s * t) + x1 * (3 * s * t * t + t**3)
    return x, y0 + (y1 - y0) * t
