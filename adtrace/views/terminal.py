"""Trace → rich renderables: the terminal view, section by section.

Every number shown is read from the Trace; formulas are printed by `expr.show`.
The layout is plain panels, tables and styled text so it stays readable with
NO_COLOR, when piped and at 80 columns.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..engine.trace import ReversePass, Trace
from ..expr import Const, Sym, number, product, show
from . import symbolic as symbolic_view
from .drawing import GraphDrawing
from .rules import rule_text
from .words import (
    ADJOINT_NOTATION,
    DECOMPOSITION,
    DECOMPOSITION_INTRO,
    FORWARD,
    GRAPH,
    NO_PARENTS,
    PARENTS,
    RESULT,
    SEED_IS_OUTPUT,
    SEED_REASON,
    UNSHOWN_PASSES,
    bar,
    dot,
    explain_seed,
    explain_step,
    jacobian_caption,
    mode_title,
    output_name_of,
    reverse_title,
    scaled_seed,
    seed_equation,
    seed_target,
    seed_title,
    seed_words,
    tangent_seed_words,
    unit_seed,
    vjp_seed,
)

DEFAULT_MAX_ROWS = 200
"""Past this many rows a section shows its head and tail and says how many rows it skipped."""

_LABEL = r"\b[wv]-?\d+\b"


def styled(text: str) -> Text:
    """Plain formula text with node labels and adjoints picked out (user text is never markup)."""
    out = Text(text)
    out.highlight_regex(_LABEL, "bold cyan")
    out.highlight_regex(r"[^\W\d_]\u0304[\w@-]*", "bold magenta")
    out.highlight_regex(r"[^\W\d_]\u0307[\w@-]*", "bold yellow")
    return out


def section(title: str, *body: RenderableType) -> Panel:
    """A titled panel; `render` numbers the sections in the order they appear."""
    return Panel(Group(*body), title=title, title_align="left", box=box.ROUNDED, padding=(0, 1))


def numbered(parts: list[RenderableType]) -> list[RenderableType]:
    """Number the section panels in the order they appear (sections differ by mode and by pass count)."""
    count = 0
    for part in parts:
        if isinstance(part, Panel) and isinstance(part.title, str) and part.box is box.ROUNDED:
            count += 1
            part.title = Text(f"{count}. {part.title}", style="bold")
    return parts


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


def render(trace: Trace, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS) -> Group:
    """The whole trace, in the order a teacher explains it.

    `explain` adds sentences under each reverse step; past `max_rows` rows a section shows its head and tail.
    """
    if trace.symbolic_only:
        return symbolic_view.render(trace, digits)
    from .modes import mode_comparison, tangent_steps, why_seeds

    parts: list[RenderableType] = [
        header(trace, max_rows),
        decomposition(trace, max_rows),
        graph_table(trace, digits, max_rows),
        forward_table(trace, digits, max_rows),
    ]
    for k, rpass in enumerate(trace.reverse):
        parts.append(seed_panel(trace, rpass, k, digits, explain=explain))
        parts.append(reverse_steps(trace, rpass, k, digits, explain=explain, max_rows=max_rows))
    for k, tpass in enumerate(trace.forward):
        parts.append(tangent_steps(trace, tpass, k, digits, max_rows))
    parts.append(result(trace, digits))
    parts.append(why_seeds(trace, digits))
    if trace.mode == "both":
        parts.append(mode_comparison(trace, digits))
    return Group(*numbered(parts))


def to_text(
    trace: Trace, width: int = 100, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> str:
    """The terminal view as plain text (no colour), e.g. for golden files and `str(trace)`."""
    console = Console(
        emoji=False,
        file=io.StringIO(),
        width=width,
        no_color=True,
        color_system=None,
        record=True,
        legacy_windows=False,
    )
    console.print(render(trace, digits, explain=explain, max_rows=max_rows))
    return console.export_text()


def header(trace: Trace, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
    given = ", ".join(f"{name} = {number(value, 6)}" for name, value in trace.inputs.items())
    lines = [line.rstrip() for line in trace.source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    text = Text()
    text.append("expression  ", style="dim")
    source = ("\n" + " " * 12).join(lines)
    limit = 50 * max_rows  # about a row's worth of text per row: a generated megabyte would bury the trace
    if 0 < limit < len(source):
        source = f"{source[: limit // 2]} … ({len(source) - limit:,} characters skipped) … {source[-limit // 2 :]}"
    text.append(source)
    text.append("\ninputs      ", style="dim")
    text.append(given or "none")
    outs = ", ".join(o.name for o in trace.graph.outputs)
    text.append("\noutput" + ("s     " if len(trace.graph.outputs) > 1 else "      "), style="dim")
    text.append(outs)
    title = Text.assemble(("adtrace", "bold"), mode_title(trace.mode).removeprefix("adtrace"))
    return Panel(text, title=title, title_align="left", box=box.HEAVY)


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
    intro = Text(DECOMPOSITION_INTRO, style="dim")
    return section(DECOMPOSITION, intro, lines)


def graph_table(trace: Trace, digits: int = 4, max_rows: int = DEFAULT_MAX_ROWS) -> Panel:
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
        uses = Counter(p for p, _ in graph.parents[i])
        unique = list(uses)
        parents = ", ".join(
            f"… {len(unique) - max_rows:,} more …"
            if e is None
            else trace.label(unique[e]) + (" (twice)" if uses[unique[e]] > 1 else "")
            for e in elide(range(len(unique)), max_rows)
        )
        out = output_name_of(trace, i)
        if out is not None:
            parents = f"{parents}, output {out}" if parents else f"output {out}"
        table.add_row(styled(trace.label(i)), styled(inputs), styled(parents or "none"))
    if len(numbered) > max_rows > 0:  # cut short: a drawing of every node would undo the cut
        return section(GRAPH, Text(PARENTS, style="dim"), table, skipped(len(numbered) - max_rows, "rows"))
    return section(GRAPH, Text(PARENTS, style="dim"), table, GraphDrawing(trace, digits, fallback=False))


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
    return section(FORWARD, table, *notes)


def seed_panel(trace: Trace, rpass: ReversePass, k: int, digits: int, *, explain: bool = False) -> Panel:
    target = seed_target(trace, rpass)
    body: list[RenderableType] = []
    if len(trace.graph.outputs) == 1:
        out = trace.graph.outputs[0]
        seed = rpass.seeds.get(out.node, 0.0)
        body.append(styled(seed_equation(out.name, number(seed, digits))))
        reason = SEED_REASON.format(z=out.name)
        if seed != 1:
            shown = number(seed, digits)
            reason += scaled_seed(shown, out.name)
        body.append(Text(reason, style="dim"))
    else:
        body.append(styled(seed_words(trace, rpass)))
        if rpass.output is not None:
            body.append(Text(unit_seed(rpass.output), style="dim"))
        else:
            body.append(Text(vjp_seed(target), style="dim"))
    body.append(Text(ADJOINT_NOTATION.format(w=trace.notation, z=target), style="dim"))
    if explain:
        body.append(Text(explain_seed(trace, rpass, digits), style="italic"))
    return section(seed_title(k, len(trace.reverse)), *body)


def reverse_steps(
    trace: Trace, rpass: ReversePass, k: int, digits: int, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> Panel:
    blocks: list[RenderableType] = []
    numbered = trace.graph.numbered[::-1]
    for j in elide(numbered, max_rows):
        if j is None:
            blocks.append(skipped(len(numbered) - max_rows, "steps"))
        else:
            blocks.append(reverse_step(trace, rpass, j, digits, explain=explain, max_rows=max_rows))
    return section(reverse_title(k, len(trace.reverse), seed_target(trace, rpass)), *blocks)


def reverse_step(
    trace: Trace, rpass: ReversePass, j: int, digits: int, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> Text:
    """w̄j = Σ w̄p·∂wp/∂wj: symbols, rules filled in, numbers, products, sum (and, with `explain`, in words).

    Of a sum longer than `max_rows` terms, the head and the tail are shown.
    """
    text = _reverse_step(trace, rpass, j, digits, max_rows)
    if explain and not _seed_only(trace, j):
        text.append("\n" + "\n".join(explain_step(trace, rpass, j, digits)), style="italic")
    return text


def _seed_only(trace: Trace, j: int) -> bool:
    """An output no node uses: its step is the seed, explained in the seed panel instead."""
    return not trace.graph.parents[j] and output_name_of(trace, j) is not None


def _reverse_step(trace: Trace, rpass: ReversePass, j: int, digits: int, max_rows: int) -> Text:
    label = bar(trace.label(j))
    all_terms = trace.terms(rpass, j)
    shown = [None if m is None else all_terms[m] for m in elide(range(len(all_terms)), max_rows)]
    terms = [t for t in shown if t is not None]
    cut = f"… {len(all_terms) - len(terms):,} more terms …"
    seed = rpass.seeds.get(j)
    adj = number(rpass.adjoints[j], digits)
    text = Text()
    output = output_name_of(trace, j)
    if not terms:
        if output is not None:
            seed_value = number(rpass.seeds.get(j, 0.0), digits)
            text.append_text(styled(f"{label} = {bar(output)} = {seed_value}"))
            text.append(f"   ({SEED_IS_OUTPUT.format(z=output)})", style="dim")
        else:
            text.append_text(styled(f"{label} = 0"))
            text.append(f"   ({NO_PARENTS})", style="dim")
        return text
    seed_sym = [bar(output or "")] if seed is not None else []
    seed_num = [number(seed, digits)] if seed is not None else []
    symbols = seed_sym + [
        cut if t is None else f"{bar(trace.label(t.parent))}·∂{trace.label(t.parent)}/∂{trace.label(j)}" for t in shown
    ]
    rules = seed_sym + [
        cut
        if t is None
        else show(product(Sym(bar(trace.label(t.parent))), trace.partial_formula(t.parent, t.position)))
        for t in shown
    ]
    numbers = seed_num + [
        cut
        if t is None
        else show(
            product(
                Const(t.parent_adjoint, number(t.parent_adjoint, digits)),
                trace.with_values(trace.partial_formula(t.parent, t.position), digits),
            )
        )
        for t in shown
    ]
    products = seed_num + [cut if t is None else number(t.product, digits) for t in shown]
    indent = " " * len(label)
    lines = [
        f"{label} = " + plus(symbols),
        f"{indent} = " + plus(rules),
        *symbolic_view.step_lines(trace, rpass, j, indent),
        f"{indent} = " + plus(numbers),
    ]
    if len(products) > 1:
        lines.append(f"{indent} = " + plus(products))
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


def plus(terms: list[str]) -> str:
    """Terms joined by ' + ', a negative term after the first in parentheses: 3 + (-0.4161)."""
    return " + ".join(t if k == 0 or not t.startswith("-") else f"({t})" for k, t in enumerate(terms))


def _dedupe(lines: list[str]) -> list[str]:
    """Drop a line that says exactly what the line before it said (e.g. 1·1 = 1)."""
    kept = [lines[0]]
    for line in lines[1:]:
        if line.split(" = ", 1)[-1] != kept[-1].split(" = ", 1)[-1]:
            kept.append(line)
    return kept


def result(trace: Trace, digits: int) -> Panel:
    """The output values and the derivatives, read from the passes that were shown."""
    from .modes import jacobian_table

    graph = trace.graph
    values = Text("  ".join(f"{o.name} = {number(trace.values[o.node], digits)}" for o in graph.outputs), style="bold")
    jacobian, source = trace.result_jacobian
    body: list[RenderableType] = [values]
    if source == "unshown":
        body.append(Text(UNSHOWN_PASSES, style="dim"))
    if len(graph.outputs) > 1:
        caption = jacobian_caption(source != "forward")
        body += [Text(caption, style="dim"), jacobian_table(trace, jacobian, digits)]
        return section(RESULT, *body, *_seeded_results(trace, digits))
    out = graph.outputs[0]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("derivative")
    table.add_column("value", justify="right")
    for name, i in graph.inputs.items():
        via = f" = {bar(trace.label(i))}" if source == "reverse" else ""
        table.add_row(
            styled(f"∂{out.name}/∂{name}{via}"),
            Text(number(jacobian[out.name][name], digits), style="bold green"),
        )
    return section(RESULT, *body, table, *_seeded_results(trace, digits))


def _seeded_results(trace: Trace, digits: int) -> list[RenderableType]:
    """The vector–Jacobian (reverse) and Jacobian–vector (forward) products of user seeds."""
    graph = trace.graph
    body: list[RenderableType] = []
    for rpass in trace.reverse:
        if rpass.output is None:
            vjp = ", ".join(f"{bar(name)} = {number(rpass.adjoints[i], digits)}" for name, i in graph.inputs.items())
            body.append(styled(f"with the seed {seed_words(trace, rpass)}: seedᵀ·J gives {vjp}"))
    body.extend(symbolic_view.closed_forms(trace, digits))
    for tpass in trace.forward:
        if tpass.input is None:
            jvp = ", ".join(f"{dot(o.name)} = {number(tpass.tangents[o.node], digits)}" for o in graph.outputs)
            body.append(styled(f"with the seed {tangent_seed_words(trace, tpass)}: J·seed gives {jvp}"))
    return body
