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

from ..expr import Const, Sym, number
from ..trace import TangentPass, Trace
from .terminal import _dedupe, _times, plus, section, styled
from .words import bar, dot, seed_words, tangent_seed_words


def tangent_steps(trace: Trace, tpass: TangentPass, k: int, digits: int) -> Panel:
    """Forward mode: ẇi = Σ ∂wi/∂wk·ẇk over the node's arguments, beside the values."""
    graph = trace.graph
    lines: list[RenderableType] = [
        styled(f"seed: {tangent_seed_words(trace, tpass)}"),
        Text(
            "ẇi is how fast wi changes along the seed direction. Each tangent is computed from its "
            "arguments' tangents, inputs to output, alongside the values.",
            style="dim",
        ),
    ]
    for i in graph.numbered:
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
        rules = [_times(trace.partial_formula(i, pos), Sym(dot(trace.label(a)))) for pos, a in live]
        numbers = [
            _times(
                trace.with_values(trace.partial_formula(i, pos), digits),
                Const(tpass.tangents[a], number(tpass.tangents[a], digits)),
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
    by = f"∂w/∂{tpass.input}" if tpass.input else "the derivative along the seed direction"
    title = f"Forward mode, pass {k + 1} of {len(trace.forward)}: tangents ẇ = {by}"
    return section(title, *lines)


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
    graph = trace.graph
    body: list[RenderableType] = []
    if trace.reverse:
        first = trace.reverse[0]
        x, xi = next(iter(graph.inputs.items()))
        out = graph.outputs[0].name
        body.append(
            Text(
                "Reverse mode: the seed is the adjoint put on the output before the sweep. It picks what the "
                "adjoints are derivatives of: which output, or which weighted sum of outputs.",
            )
        )
        if first.output is not None:
            shown = f"{bar(trace.label(xi))} = ∂{first.output}/∂{x} = {number(first.adjoints[xi], digits)}"
            body.append(styled(f"Here {seed_words(trace, first)}, so {shown}."))
            if len(graph.outputs) > 1:
                body.append(Text("One reverse pass per output gives one row of the Jacobian each.", style="dim"))
            else:
                body.append(
                    Text(
                        f"With seed s every adjoint would be s times as large (try --seed 2): "
                        f"the chain rule is linear, and 1 asks for ∂{out}/∂w itself.",
                        style="dim",
                    )
                )
        else:
            jac = trace.jacobian[out][x]
            body.append(
                styled(
                    f"Here {seed_words(trace, first)}, so {bar(trace.label(xi))} = {number(first.adjoints[xi], digits)}"
                    f" — compare ∂{out}/∂{x} = {number(jac, digits)}: the seed weights each output's derivative "
                    "(a vector–Jacobian product)."
                )
            )
    if trace.forward:
        first_t = trace.forward[0]
        out_node = graph.outputs[0]
        body.append(
            Text(
                "Forward mode: the seed is the tangent put on the inputs. It picks the direction in input space "
                "the derivative is taken along.",
            )
        )
        seeds = tangent_seed_words(trace, first_t)
        along = f"∂{out_node.name}/∂{first_t.input}" if first_t.input else f"the derivative of {out_node.name} along it"
        got = number(first_t.tangents[out_node.node], digits)
        body.append(styled(f"Here {seeds}, so {dot(out_node.name)} = {along} = {got}."))
    return section("Why seeds?", *body)


def mode_comparison(trace: Trace, digits: int) -> Panel:
    """Forward vs reverse on this expression's own numbers: passes needed, same Jacobian."""
    graph = trace.graph
    n, m = len(graph.inputs), len(graph.outputs)
    inputs = ", ".join(graph.inputs)
    outputs = ", ".join(o.name for o in graph.outputs)
    body: list[RenderableType] = [
        Text(
            f"Forward mode needed {_passes(len(trace.forward))}: one per input ({inputs}), each giving a column of J."
        ),
        Text(f"Reverse mode needed {_passes(len(trace.reverse))}: one per output ({outputs}), each giving a row of J."),
    ]
    forward = trace.forward_jacobian
    agree = trace.modes_agree()
    if forward is not None:
        body.append(Text("Jacobian from forward mode:", style="dim"))
        body.append(jacobian_table(trace, forward, digits))
        body.append(Text("Jacobian from reverse mode:", style="dim"))
        body.append(jacobian_table(trace, trace.jacobian, digits))
        verdict = "Both modes gave the same Jacobian." if agree else "The two Jacobians differ beyond rounding!"
        body.append(Text(verdict, style="bold green" if agree else "bold red"))
    body.append(
        Text(
            f"With n = {n} and m = {m} here: reverse mode costs m sweeps, forward mode n. "
            "That is why reverse mode wins for many inputs and one output (a loss: one sweep gives the whole "
            "gradient), and forward mode for few inputs and many outputs.",
            style="dim",
        )
    )
    return section("Forward or reverse?", *body)


def _passes(count: int) -> str:
    return f"{count} pass" if count == 1 else f"{count} passes"
