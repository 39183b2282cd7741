"""Trace → rich renderables: the terminal view, section by section.

Every number shown is read from the Trace; formulas are printed by `expr.show`.
The layout is plain panels, tables and styled text so it stays readable with
NO_COLOR, when piped and at 80 columns.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..expr import Apply, Const, Expr, Sym, number, partial_rule, show
from ..primitives import ARG_NAMES, Primitive
from ..trace import ReversePass, TangentPass, Trace
from .words import (
    ADJOINT_NOTATION,
    PARENTS,
    SEED_REASON,
    bar,
    dot,
    output_name_of,
    seed_target,
    seed_words,
    tangent_seed_words,
)

DEFAULT_MAX_ROWS = 200
"""Past this many rows a section shows its head and tail and says how many rows it skipped."""

_LABEL = r"\b[wv]-?\d+\b"
_ADJ = r"\b[wvzfgh]\u0304-?\d*|[^\W\d]\u0304"


def styled(text: str) -> Text:
    """Plain formula text with node labels and adjoints picked out (user text is never markup)."""
    out = Text(text)
    out.highlight_regex(_LABEL, "bold cyan")
    out.highlight_regex(r"[^\W\d_]\u0304[\w@-]*", "bold magenta")
    out.highlight_regex(r"[^\W\d_]\u0307[\w@-]*", "bold yellow")
    return out


def section(title: str, *body: RenderableType) -> Panel:
    return Panel(Group(*body), title=f"[bold]{title}[/]", title_align="left", box=box.ROUNDED, padding=(0, 1))


def elide(rows: Sequence[int], max_rows: int) -> list[int | None]:
    """The rows a section shows: all of them, or past `max_rows` (0 = no limit) the head and the tail
    with one None where the rest were skipped. Every section that lists nodes goes through here."""
    if max_rows <= 0 or len(rows) <= max_rows:
        return list(rows)
    head = (max_rows + 1) // 2
    return [*rows[:head], None, *rows[len(rows) - (max_rows - head) :]]


def skipped(count: int, what: str) -> Text:
    """The line standing for the rows a section skipped, and how to see them."""
    return Text(
        f"⋮ {count:,} {what} skipped: --max-rows 0 shows all of them; --format json prints everything",
        style="dim italic",
    )


def render(trace: Trace, digits: int = 4, max_rows: int = DEFAULT_MAX_ROWS) -> Group:
    """The whole trace, in the order a teacher explains it; long sections show their head and tail."""
    parts: list[RenderableType] = [
        header(trace, max_rows),
        decomposition(trace, max_rows),
        graph_table(trace, max_rows),
        forward_table(trace, digits, max_rows),
    ]
    for k, rpass in enumerate(trace.reverse):
        parts.append(seed_panel(trace, rpass, k, digits))
        parts.append(reverse_steps(trace, rpass, k, digits, max_rows))
    for k, tpass in enumerate(trace.forward):
        parts.append(tangent_steps(trace, tpass, k, digits, max_rows))
    parts.append(result(trace, digits))
    if trace.warnings:
        parts.append(Text("\n".join(f"warning: {w}" for w in trace.warnings), style="yellow"))
    return Group(*parts)


def to_text(trace: Trace, width: int = 100, digits: int = 4, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """The terminal view as plain text (no colour), e.g. for golden files and `str(trace)`."""
    console = Console(
        file=io.StringIO(), width=width, no_color=True, color_system=None, record=True, legacy_windows=False
    )
    console.print(render(trace, digits, max_rows))
    return console.export_text()


def header(trace: Trace, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    given = ", ".join(f"{name} = {number(value, 6)}" for name, value in trace.inputs.items())
    text = Text()
    text.append("expression  ", style="dim")
    source = trace.source.strip()
    limit = 50 * max_rows  # about a row's worth of text per row: a generated megabyte would bury the trace
    if 0 < limit < len(source):
        source = f"{source[: limit // 2]} … ({len(source) - limit:,} characters skipped) … {source[-limit // 2 :]}"
    text.append(source)
    text.append("\ninputs      ", style="dim")
    text.append(given or "none")
    outs = ", ".join(o.name for o in trace.graph.outputs)
    text.append("\noutput" + ("s     " if len(trace.graph.outputs) > 1 else "      "), style="dim")
    text.append(outs)
    return Panel(
        text, title="[bold]adtrace[/]: reverse-mode automatic differentiation", title_align="left", box=box.HEAVY
    )


def node_title(trace: Trace, i: int) -> str:
    """w3, or 'w3 (a)' when the program named it."""
    node = trace.graph.nodes[i]
    label = trace.label(i)
    return f"{label} ({node.name})" if node.name and not node.is_input else label


def decomposition(trace: Trace, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    lines = Text()
    numbered = trace.graph.numbered
    for i in elide(numbered, max_rows):
        if i is None:
            lines.append_text(skipped(len(numbered) - max_rows, "nodes")).append("\n")
            continue
        lines.append_text(styled(f"{node_title(trace, i)} = {show(trace.definition(i))}\n"))
    for out in trace.graph.outputs:
        lines.append_text(styled(f"{out.name} = {trace.label(out.node)}\n"))
    lines.rstrip()
    intro = Text("Inputs first, in order of appearance; then each operation in evaluation order.", style="dim")
    return section("1. Decomposition into primitives", intro, lines)


def graph_table(trace: Trace, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("node")
    table.add_column("computed from (inputs)")
    table.add_column("parents (used by)")
    graph = trace.graph
    numbered = graph.numbered
    for i in elide(numbered, max_rows):
        if i is None:
            table.add_row("⋮", "⋮", "⋮")
            continue
        node = graph.nodes[i]
        inputs = (
            "input " + (node.name or "")
            if node.is_input
            else ", ".join(show(graph.operand(a, trace.notation)) for a in node.args)
        )
        edges = graph.parents[i]
        parents = ", ".join(
            f"… {len(edges) - max_rows:,} more …" if e is None else trace.label(edges[e][0])
            for e in elide(range(len(edges)), max_rows)
        )
        out = output_name_of(trace, i)
        if out is not None:
            parents = f"{parents}, output {out}" if parents else f"output {out}"
        table.add_row(styled(trace.label(i)), styled(inputs), styled(parents or "none"))
    notes = [skipped(len(numbered) - max_rows, "rows")] if len(numbered) > max_rows > 0 else []
    return section("2. The graph", Text(PARENTS, style="dim"), table, *notes)


def forward_table(trace: Trace, digits: int, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("w_i" if trace.notation == "w" else "v_i")
    table.add_column("definition")
    table.add_column("with values")
    table.add_column("value", justify="right")
    numbered = trace.graph.numbered
    for i in elide(numbered, max_rows):
        if i is None:
            table.add_row("⋮", "⋮", "⋮", "⋮")
            continue
        definition = trace.definition(i)
        value = number(trace.values[i], digits)
        with_values = value if trace.graph.nodes[i].is_input else show(trace.with_values(definition, digits))
        table.add_row(
            styled(node_title(trace, i)),
            styled(show(definition)),
            Text(with_values),
            Text(value, style="green"),
        )
    notes = [skipped(len(numbered) - max_rows, "rows")] if len(numbered) > max_rows > 0 else []
    return section("3. Forward pass: evaluate every node, inputs to output", table, *notes)


def seed_panel(trace: Trace, rpass: ReversePass, k: int, digits: int) -> Panel:
    target = seed_target(trace, rpass)
    body: list[RenderableType] = []
    if len(trace.graph.outputs) == 1:
        out = trace.graph.outputs[0]
        seed = rpass.seeds.get(out.node, 0.0)
        body.append(styled(f"{bar(out.name)} = ∂{out.name}/∂{out.name} = {number(seed, digits)}"))
        reason = SEED_REASON.format(z=out.name)
        if seed != 1:
            shown = number(seed, digits)
            reason += f" With seed {shown} every adjoint is {shown} times ∂{out.name}/∂w (the chain rule is linear)."
        body.append(Text(reason, style="dim"))
    else:
        body.append(styled(seed_words(trace, rpass)))
        if rpass.output is not None:
            body.append(
                Text(
                    f"Seed 1 on {rpass.output} and 0 on the other outputs: "
                    f"the adjoints are exactly ∂{rpass.output}/∂w.",
                    style="dim",
                )
            )
        else:
            body.append(
                Text(
                    f"The adjoints are ∂{target}/∂w: this pass computes the vector–Jacobian product seedᵀ·J.",
                    style="dim",
                )
            )
    body.append(Text(ADJOINT_NOTATION.format(w=trace.notation, z=target), style="dim"))
    title = "4. Seed" if len(trace.reverse) == 1 else f"4.{k + 1} Seed for reverse pass {k + 1} of {len(trace.reverse)}"
    return section(title, *body)


def rule_text(prim: Primitive, k: int) -> str:
    """'product rule: ∂(a·b)/∂a = b' — the textbook rule a partial comes from."""
    symbols = tuple(Sym(ARG_NAMES[m]) for m in range(prim.arity))
    expr = show(Apply(prim, symbols))
    expr = f"({expr})" if not prim.is_function else f" {expr}"
    return f"{prim.rule}: ∂{expr}/∂{ARG_NAMES[k]} = {show(partial_rule(prim, k))}"


def reverse_steps(trace: Trace, rpass: ReversePass, k: int, digits: int, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    blocks: list[RenderableType] = []
    graph = trace.graph
    numbered = graph.numbered[::-1]
    for j in elide(numbered, max_rows):
        blocks.append(
            skipped(len(numbered) - max_rows, "steps") if j is None else reverse_step(trace, rpass, j, digits, max_rows)
        )
    title = "5. Reverse pass: adjoints, output to inputs"
    if len(trace.reverse) > 1:
        title = f"5.{k + 1} Reverse pass {k + 1} of {len(trace.reverse)}: adjoints of {seed_target(trace, rpass)}"
    return section(title, *blocks)


def reverse_step(trace: Trace, rpass: ReversePass, j: int, digits: int, max_rows: int = DEFAULT_MAX_ROWS) -> Text:
    """w̄j = Σ w̄p·∂wp/∂wj: symbols, rules filled in, numbers, products, sum (of a long sum, its head and tail)."""
    label = bar(trace.label(j))
    all_terms = trace.terms(rpass, j)
    shown = [None if m is None else all_terms[m] for m in elide(range(len(all_terms)), max_rows)]
    terms = [t for t in shown if t is not None]
    cut = f"… {len(all_terms) - len(terms):,} more terms …"
    seed = rpass.seeds.get(j)
    adj = number(rpass.adjoints[j], digits)
    text = Text()
    if not terms:
        if seed is not None:
            name = output_name_of(trace, j) or ""
            text.append_text(styled(f"{label} = {bar(name)} = {number(seed, digits)}"))
            text.append("   (seed: this node is the output " + name + ")", style="dim")
        else:
            text.append_text(styled(f"{label} = 0"))
            text.append("   (no parents: the output does not depend on this node)", style="dim")
        return text
    seed_sym = [bar(output_name_of(trace, j) or "")] if seed is not None else []
    seed_num = [number(seed, digits)] if seed is not None else []
    symbols = seed_sym + [
        cut if t is None else f"{bar(trace.label(t.parent))}·∂{trace.label(t.parent)}/∂{trace.label(j)}" for t in shown
    ]
    rules = seed_sym + [
        cut if t is None else _times(Sym(bar(trace.label(t.parent))), trace.partial_formula(t.parent, t.position))
        for t in shown
    ]
    numbers = seed_num + [
        cut
        if t is None
        else _times(
            Const(t.parent_adjoint, number(t.parent_adjoint, digits)),
            trace.with_values(trace.partial_formula(t.parent, t.position), digits),
        )
        for t in shown
    ]
    products = seed_num + [cut if t is None else number(t.product, digits) for t in shown]
    indent = " " * len(label)
    lines = [
        f"{label} = " + " + ".join(symbols),
        f"{indent} = " + " + ".join(rules),
        f"{indent} = " + " + ".join(numbers),
    ]
    if len(products) > 1:
        lines.append(f"{indent} = " + " + ".join(p if not p.startswith("-") else f"({p})" for p in products))
    lines.append(f"{indent} = {adj}")
    text.append_text(styled("\n".join(_dedupe(lines))))
    for t in shown:
        if t is None:
            text.append(f"\n{indent}   {cut} (--max-rows 0 shows all of them)", style="dim italic")
            continue
        parent = trace.graph.nodes[t.parent]
        partial = show(trace.partial_formula(t.parent, t.position))
        why = rule_text(parent.prim, t.position)
        text.append("\n")
        text.append(f"{indent}   ∂{trace.label(t.parent)}/∂{trace.label(j)} = {partial}   ← {why}", style="dim")
        note = trace.notes.get(t.parent)
        if note:
            text.append(f"\n{indent}   note: {note}", style="yellow")
    return text


def _times(left: Expr, right: Expr) -> str:
    from ..primitives import BY_NAME

    return show(Apply(BY_NAME["mul"], (left, right)))


def _dedupe(lines: list[str]) -> list[str]:
    """Drop a line that says exactly what the line before it said (e.g. 1·1 = 1)."""
    kept = [lines[0]]
    for line in lines[1:]:
        if line.split(" = ", 1)[-1] != kept[-1].split(" = ", 1)[-1]:
            kept.append(line)
    return kept


def tangent_steps(trace: Trace, tpass: TangentPass, k: int, digits: int, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    """Forward mode: ẇi = Σ ∂wi/∂wk·ẇk over the node's arguments."""
    lines: list[RenderableType] = [styled(f"seed: {tangent_seed_words(trace, tpass)}")]
    graph = trace.graph
    numbered = graph.numbered
    for i in elide(numbered, max_rows):
        if i is None:
            lines.append(skipped(len(numbered) - max_rows, "steps"))
            continue
        node = graph.nodes[i]
        label = dot(trace.label(i))
        if node.is_input:
            lines.append(styled(f"{label} = {dot(node.name or '')} = {number(tpass.tangents[i], digits)}"))
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
            f"{label} = " + " + ".join(symbols),
            f"{indent} = " + " + ".join(rules),
            f"{indent} = " + " + ".join(numbers),
        ]
        text.append(f"{indent} = {number(tpass.tangents[i], digits)}")
        lines.append(styled("\n".join(_dedupe(text))))
    by = tpass.input or "the seed direction"
    title = f"Forward mode, pass {k + 1} of {len(trace.forward)}: tangents ẇ = ∂w/∂{by}"
    return section(title, *lines)


def result(trace: Trace, digits: int) -> Panel:
    graph = trace.graph
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("derivative")
    table.add_column("value", justify="right")
    single = len(graph.outputs) == 1
    for out in graph.outputs:
        for name, i in graph.inputs.items():
            via = ""
            if single and trace.reverse and trace.reverse[0].output == out.name:
                via = f" = {bar(trace.label(i))}"
            table.add_row(
                styled(f"∂{out.name}/∂{name}{via}"),
                Text(number(trace.jacobian[out.name][name], digits), style="bold green"),
            )
    values = Text("  ".join(f"{o.name} = {number(trace.values[o.node], digits)}" for o in graph.outputs), style="bold")
    body: list[RenderableType] = [values, table]
    for rpass in trace.reverse:
        if rpass.output is None:
            vjp = ", ".join(f"{bar(name)} = {number(rpass.adjoints[i], digits)}" for name, i in graph.inputs.items())
            body.append(styled(f"with the seed {seed_words(trace, rpass)}: seedᵀ·J gives {vjp}"))
    for tpass in trace.forward:
        if tpass.input is None:
            jvp = ", ".join(f"{dot(o.name)} = {number(tpass.tangents[o.node], digits)}" for o in graph.outputs)
            body.append(styled(f"with the seed {tangent_seed_words(trace, tpass)}: J·seed gives {jvp}"))
    return section("6. Result", *body)
