"""Terminal sections about seeds and the two modes: tangent passes, 'Why seeds?', forward vs reverse.

Like every renderer, these only read the Trace: the products, tangents and
Jacobians were all computed by the engine.
"""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..engine.trace import TangentPass, Trace
from ..expr import Const, Sym, number, product, show
from . import words
from .terminal import DEFAULT_MAX_ROWS, _dedupe, elide, plus, section, skipped, styled
from .words import dot, tangent_seed_words


def tangent_steps(trace: Trace, tpass: TangentPass, k: int, digits: int, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    """Forward mode: ẇi = Σ ∂wi/∂wk·ẇk over the node's arguments, beside the values."""
    graph = trace.graph
    lines: list[RenderableType] = [
        styled(f"seed: {tangent_seed_words(trace, tpass)}"),
        Text(words.TANGENT_INTRO, style="dim"),
    ]
    numbered = graph.numbered
    for row in elide(numbered, max_rows):
        if row is None:
            lines.append(skipped(len(numbered) - max_rows, "steps"))
            continue
        i = row
        node = graph.nodes[i]
        label = dot(trace.label(i))
        value = f"   ({trace.label(i)} = {number(trace.values[i], digits)})"
        if node.is_input:
            line = styled(f"{label} = {dot(node.name or '')} = {number(tpass.tangents[i], digits)}")
            line.append(value, style="dim")
            lines.append(line)
            continue
        live = [(pos, a) for pos, a in enumerate(node.args) if not graph.nodes[a].is_const]
        symbols = [f"∂{trace.label(i)}/∂{trace.label(a)}·{dot(trace.label(a))}" for _, a in live]
        rules = [show(product(trace.partial_formula(i, pos), Sym(dot(trace.label(a))))) for pos, a in live]
        numbers = [
            show(
                product(
                    trace.with_values(trace.partial_formula(i, pos), digits),
                    Const(tpass.tangents[a], number(tpass.tangents[a], digits)),
                )
            )
            for pos, a in live
        ]
        indent = " " * len(label)
        text = [
            f"{label} = " + plus(symbols),
            f"{indent} = " + plus(rules),
            f"{indent} = " + plus(numbers),
            f"{indent} = {number(tpass.tangents[i], digits)}",
        ]
        block = styled("\n".join(_dedupe(text)))
        block.append(value, style="dim")
        lines.append(block)
    return section(words.tangent_title(k, len(trace.forward), tpass.input), *lines)


def jacobian_table(trace: Trace, jacobian: dict[str, dict[str, float]], digits: int) -> Table:
    """Rows are outputs, columns are inputs: J[f][x] = ∂f/∂x."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("J")
    for name in trace.graph.inputs:
        table.add_column(f"∂/∂{name}", justify="right")
    for out, row in jacobian.items():
        table.add_row(
            Text(out, style="bold"), *(Text(number(row[x], digits), style="green") for x in trace.graph.inputs)
        )
    return table


def why_seeds(trace: Trace, digits: int) -> Panel:
    """The answer to 'why do we need seeds?', tied to the numbers of this trace."""
    body: list[RenderableType] = []
    for kind, sentence in words.why_seeds(trace, digits):
        body.append(styled(sentence) if kind == "formula" else Text(sentence, style="dim" if kind == "note" else ""))
    return section(words.WHY_SEEDS, *body)


def mode_comparison(trace: Trace, digits: int) -> Panel:
    """Forward vs reverse on this expression's own numbers: passes needed, same Jacobian."""
    body: list[RenderableType] = [Text(line) for line in words.passes_needed(trace)]
    forward = trace.forward_jacobian
    agree = trace.modes_agree()
    if forward is not None:
        body.append(Text(words.JACOBIAN_FROM_FORWARD, style="dim"))
        body.append(jacobian_table(trace, forward, digits))
        body.append(Text(words.JACOBIAN_FROM_REVERSE, style="dim"))
        body.append(jacobian_table(trace, trace.jacobian, digits))
        body.append(Text(words.modes_verdict(agree), style="bold green" if agree else "bold red"))
    body.append(Text(words.mode_cost(trace), style="dim"))
    return section(words.FORWARD_OR_REVERSE, *body)
