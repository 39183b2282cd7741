"""The graph as a Mermaid flowchart, top-down, for markdown (GitHub, Obsidian, VS Code, Jupyter).

One box per numbered node: its label and operation, its value and its adjoint (its tangent in forward
mode) on three lines, and `output z` under an output's; one arrow per argument, labelled with the local
partial ∂(user)/∂(argument) at this point. Nodes and edges are written in the order of the shared layout
(`layout.py`: layer by layer, left to right), which is the order Mermaid's layered layout starts from,
so its picture comes out like the terminal's: inputs at the top, the output at the bottom, few crossings.

Labels are quoted, ids are ASCII (`n3` for w3), and the only markup is Mermaid's line break `<br>`.
"""

from __future__ import annotations

import re

from ..engine.trace import Trace
from ..expr import Expr, Sym, show, substitute, symbols
from ..lesson.values import edge_label, is_arrays, shown
from ..lesson.words import bar, dot, output_name_of
from .layout import layered

CONFIG = (
    "---\nconfig:\n  themeVariables:\n    fontSize: 13px\n"
    "  flowchart:\n    nodeSpacing: 20\n    rankSpacing: 40\n    padding: 6\n---\n"
)
"""Mermaid's front matter: a smaller font and tighter spacing than its defaults, which keeps a 30-node
two-layer network under 1,000 px wide in a browser (983 px; 1,322 px with the defaults)."""
_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_LABEL = re.compile(r"(?<![\w\u0304])[^\W\d_]\u0304?-?\d+(?!\d)")
"""A node label inside an array edge's rule (w̄5·w2ᵀ): written w̄₅·w₂ᵀ, as the boxes write it."""


def pretty(name: str) -> str:
    """x1 → x₁, v-1 → v₋₁, w̄3 → w̄₃, c@2 → c⁽²⁾: names where LaTeX is not read."""
    base, _, version = name.partition("@")
    match = re.fullmatch(r"(.*?[^\W\d_]\u0304?\u0307?)_?(-?\d+)", base)
    if match:
        base = match.group(1) + match.group(2).translate(_SUB)
    return base + (f"({version})".translate(_SUP) if version else "")


def _clean(text: str) -> str:
    """A label's text as Mermaid reads it inside quotes: no quote characters, no markup."""
    return text.replace('"', "'").replace("<", "‹").replace(">", "›").replace("#", "♯")


def mermaid(trace: Trace, digits: int = 4) -> str:
    """The front matter (CONFIG), `flowchart TD`, one line per node, then one per edge (no code fence, no
    trailing newline): the body of a ```mermaid block."""
    graph = trace.graph
    lay = layered(graph)
    ids = {i: f"n{graph.number[i]}" for i in graph.numbered}
    sweep = trace.reverse[0].adjoints if trace.reverse else trace.forward[0].tangents if trace.forward else None
    arrays = is_arrays(trace)
    lines = ["flowchart TD"]
    order = [item.node for row in lay.rows for item in row if lay.is_box(item)]
    position = {item: x for row in lay.rows for x, item in enumerate(row)}
    for i in order:
        label = pretty(trace.label(i))
        defn = trace.definition(i)
        renames: dict[str, Expr] = {name: Sym(pretty(name)) for name in symbols(defn)}
        parts = [f"{label} = {show(substitute(defn, renames))}"]
        value = shown(trace.values[i], digits)
        if value:
            parts.append(f"= {value}")
        adjoint = shown(sweep[i], digits) if sweep is not None else ""
        if adjoint:
            mark = pretty(bar(trace.label(i)) if trace.reverse else dot(trace.label(i)))
            parts.append(f"{mark} = {adjoint}")
        out = output_name_of(trace, i)
        if out is not None:
            parts.append(f"output {pretty(out)}")
        lines.append(f'  {ids[i]}["{"<br>".join(_clean(p) for p in parts)}"]')
    for i in order:
        args = [(pos, a) for pos, a in enumerate(graph.nodes[i].args) if not graph.nodes[a].is_const]
        args.sort(key=lambda pa: (position[lay.above(pa[1], i)], pa[0]))
        for pos, a in args:
            partial = edge_label(trace, i, pos, digits)
            if partial and arrays:  # the rule that carries w̄i back, its labels written as the boxes write them
                flow = _LABEL.sub(lambda m: pretty(m.group()), partial)
                lines.append(f'  {ids[a]} -->|"{_clean(flow)}"| {ids[i]}')
            elif partial:
                flow = f"∂{pretty(trace.label(i))}/∂{pretty(trace.label(a))} = {partial}"
                lines.append(f'  {ids[a]} -->|"{_clean(flow)}"| {ids[i]}')
            else:
                lines.append(f"  {ids[a]} --> {ids[i]}")
    return CONFIG + "\n".join(lines)
