"""The symbolic layer in the terminal: adjoints as formulas, and traces with no numbers at all.

For a trace with values, `terminal.py` calls `step_lines` (two more lines per
reverse step: each parent adjoint replaced by its own formula, then simplified)
and `closed_forms` (the closed-form gradient in the Result panel). A trace where
some input has no value is drawn entirely here by `render`, reusing the
terminal's header, decomposition and graph sections.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..engine.symbolic import SymbolicPass, SymbolicTrace, rounded
from ..engine.trace import ReversePass, Trace
from ..expr import Const, Sym, number, product, show
from . import terminal, words
from .rules import rule_text
from .words import ADJOINT_NOTATION, SEED_REASON, bar, named_note, output_name_of

LAYERS = words.SYMBOLIC_LAYERS


def pass_for(trace: Trace, rpass: ReversePass) -> SymbolicPass | None:
    """The symbolic twin of a numeric reverse pass (same seeds), if the layer is there."""
    if trace.symbolic is None:
        return None
    for k, p in enumerate(trace.reverse):
        if p is rpass and k < len(trace.symbolic.passes):
            return trace.symbolic.passes[k]
    return None


def step_lines(trace: Trace, rpass: ReversePass, j: int, indent: str) -> list[str]:
    """'= 1·w2 + 1·cos(w1)' and '= w2 + cos(w1)': the adjoint as a formula in the w's, before and after simplifying."""
    spass = pass_for(trace, rpass)
    if spass is None or isinstance(spass.adjoint[j], Const):
        return []  # a plain number: the numeric lines below say it already
    return [f"{indent} = {show(spass.expanded[j])}", f"{indent} = {show(spass.adjoint[j])}"]


def closed_forms(trace: Trace, digits: int) -> list[RenderableType]:
    """The closed-form derivatives (in the inputs) with their 'where' list, or why they are left out."""
    sym = trace.symbolic
    if sym is None:
        return [Text(trace.symbolic_note, style="dim")] if trace.symbolic_note else []
    named: list[str] = []
    lines: list[RenderableType] = [Text(words.CLOSED_FORM)]
    for out in sym.outputs:
        spass = sym.units[out]
        formulas = {name: rounded(spass.closed[i], digits) for name, i in sym.inputs.items()}
        for name, formula in formulas.items():
            lines.append(terminal.styled(f"  ∂{out}/∂{name} = {show(formula)}"))
        for name, formula in sym.bindings(formulas.values(), spass):
            named.append(name)
            lines.append(terminal.styled(f"    where {name} = {show(rounded(formula, digits))}"))
    for spass in sym.passes:
        if spass.output is None:  # a vector seed: the vector–Jacobian product, in closed form
            formulas = {name: rounded(spass.closed[i], digits) for name, i in sym.inputs.items()}
            lines.append(Text(words.closed_vjp(words.seed_target(trace, spass))))
            for name, formula in formulas.items():
                lines.append(terminal.styled(f"  {bar(name)} = {show(formula)}"))
            for name, formula in sym.bindings(formulas.values(), spass):
                named.append(name)
                lines.append(terminal.styled(f"    where {name} = {show(rounded(formula, digits))}"))
    if named:
        lines.append(Text(named_note(list(dict.fromkeys(named)), sym.limit), style="dim"))
    return lines


def render(trace: Trace, digits: int = 4) -> Group:
    """A trace where some inputs have no value: definitions, symbolic adjoints, the closed-form gradient."""
    sym = trace.symbolic
    assert sym is not None, "a trace without values always has its symbolic layer"
    parts: list[RenderableType] = [
        terminal.header(trace),
        Text(words.symbolic_intro(trace), style="dim"),
        terminal.decomposition(trace),
        terminal.graph_table(trace),
        forward_table(trace, sym, digits),
    ]
    for k, spass in enumerate(sym.passes):
        parts.append(seed_panel(trace, sym, spass, k))
        parts.append(reverse_steps(trace, sym, spass, k, digits))
    parts.append(terminal.section("Result", *closed_forms(trace, digits)))
    if trace.warnings:
        parts.append(Text("\n".join(f"warning: {w}" for w in trace.warnings), style="yellow"))
    return Group(*terminal.numbered(parts))


def forward_table(trace: Trace, sym: SymbolicTrace, digits: int) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("w_i" if trace.notation == "w" else "v_i")
    table.add_column("definition")
    table.add_column("in the inputs", overflow="fold")
    partial = bool(trace.inputs)
    if partial:
        table.add_column("value", justify="right")
    for i in trace.graph.numbered:
        form = sym.forward_where.get(trace.label(i), sym.forward[i])  # a named node's own row writes it out
        row = [
            terminal.styled(terminal.node_title(trace, i)),
            terminal.styled(show(trace.definition(i))),
            terminal.styled(show(rounded(form, digits))),
        ]
        if partial:
            value = trace.values[i]
            row.append(Text(number(value, digits) if value == value else "", style="green"))
        table.add_row(*row)
    body: list[RenderableType] = [table]
    if sym.forward_where:
        names = list(sym.forward_where)
        body.append(Text(named_note(names, sym.limit) + "; later rows use the name", style="dim"))
    return terminal.section(words.SYMBOLIC_FORWARD, *body)


def seed_panel(trace: Trace, sym: SymbolicTrace, spass: SymbolicPass, k: int) -> RenderableType:
    seeds = ", ".join(
        f"{bar(o.name)} = {number(spass.seeds.get(o.node, 0.0), 6)}"
        for o in trace.graph.outputs
        if o.node in spass.seeds
    )
    target = words.seed_target(trace, spass)
    body: list[RenderableType] = [terminal.styled(seeds)]
    if spass.output is not None and len(trace.graph.outputs) == 1:
        out = spass.output
        body = [terminal.styled(f"{bar(out)} = ∂{out}/∂{out} = 1"), Text(SEED_REASON.format(z=out), style="dim")]
    body += [
        Text(ADJOINT_NOTATION.format(w=trace.notation, z=target), style="dim"),
    ]
    title = "Seed" if len(sym.passes) == 1 else f"Seed for reverse pass {k + 1} of {len(sym.passes)}"
    return terminal.section(title, *body)


def reverse_steps(trace: Trace, sym: SymbolicTrace, spass: SymbolicPass, k: int, digits: int) -> RenderableType:
    blocks: list[RenderableType] = [Text(LAYERS, style="dim")]
    for j in reversed(trace.graph.numbered):
        blocks.append(reverse_step(trace, spass, j, digits))
    title = words.symbolic_reverse_title(k, len(sym.passes), spass.output)
    return terminal.section(title, *blocks)


def reverse_step(trace: Trace, spass: SymbolicPass, j: int, digits: int) -> Text:
    graph = trace.graph
    label = bar(trace.label(j))
    edges = graph.parents[j]
    text = Text()
    if not edges:
        if j in spass.seeds:
            name = output_name_of(trace, j) or ""
            text.append_text(terminal.styled(f"{label} = {bar(name)} = {number(spass.seeds[j], 6)}"))
            text.append(f"   (seed: this node is the output {name})", style="dim")
        else:
            text.append_text(terminal.styled(f"{label} = 0"))
            text.append("   (no parents: the output does not depend on this node)", style="dim")
        return text
    seed = [bar(output_name_of(trace, j) or "")] if j in spass.seeds else []
    symbols = seed + [f"{bar(trace.label(p))}·∂{trace.label(p)}/∂{trace.label(j)}" for p, _ in edges]
    rules = seed + [show(product(Sym(bar(trace.label(p))), trace.partial_formula(p, pos))) for p, pos in edges]
    indent = " " * len(label)
    closed = show(rounded(spass.closed[j], digits))
    lines = [
        f"{label} = " + terminal.plus(symbols),
        f"{indent} = " + terminal.plus(rules),
        f"{indent} = {show(spass.expanded[j])}",
        f"{indent} = {show(spass.adjoint[j])}",
        f"{indent} = {closed}",
    ]
    text.append_text(terminal.styled("\n".join(terminal._dedupe(lines))))
    if closed != show(spass.adjoint[j]):
        text.append(f"   ({words.IN_THE_INPUTS})", style="dim")
    for p, pos in edges:
        partial = show(trace.partial_formula(p, pos))
        why = rule_text(graph.nodes[p].prim, pos)
        text.append(f"\n{indent}   ∂{trace.label(p)}/∂{trace.label(j)} = {partial}   ← {why}", style="dim")
    return text
