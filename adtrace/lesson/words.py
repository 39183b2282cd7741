"""The Lesson's wording: every sentence and title a view prints is made here (or in the primitives table)."""

from __future__ import annotations

from collections.abc import Sequence
from string import Template

from ..engine.symbolic import SymbolicPass
from ..engine.trace import ReversePass, TangentPass, Term, Trace
from ..expr import number, show
from ..primitives import ARG_NAMES
from .math import bar as bar
from .math import dot as dot

PARENTS = (
    "The parents of a node are the nodes computed directly from it: its adjoint flows back from them. "
    "(HIPS autograd and some textbooks use 'parents' the other way round, for a node's inputs; "
    "here a node's inputs are always called its inputs.)"
)
SEED_REASON = (
    "A change in {z} changes {z} by exactly as much, so ∂{z}/∂{z} = 1; "
    "every other adjoint is this seed pushed back through the chain rule."
)
ADJOINT_NOTATION = "Notation: {w}̄i = ∂{z}/∂{w}i, the adjoint of {w}i: how much {z} changes per unit change of {w}i."

DECOMPOSITION = "Decomposition into primitives"
DECOMPOSITION_INTRO = "Inputs first, in order of appearance; then each operation in evaluation order."
GRAPH = "The graph"
FORWARD = "Forward pass: evaluate every node, inputs to output"
RESULT = "Result"
SEED_IS_OUTPUT = "seed: this node is the output {z}"
NO_PARENTS = "no parents: the output does not depend on this node"
_MODES = {"reverse": "reverse mode", "forward": "forward mode", "both": "forward and reverse mode"}


def mode_title(mode: str) -> str:
    """The trace's title; section titles carry no numbers (the terminal numbers them as it lays them out)."""
    return f"adtrace: automatic differentiation, {_MODES[mode]}"


def seed_title(k: int, count: int) -> str:
    return "Seed" if count == 1 else f"Seed for reverse pass {k + 1} of {count}"


def reverse_title(k: int, count: int, target: str) -> str:
    if count == 1:
        return "Reverse pass: adjoints, output to inputs"
    return f"Reverse pass {k + 1} of {count}: adjoints of {target}"


def tangent_title(k: int, count: int, by: str | None, w: str = "w") -> str:
    along = f"= ∂{w}/∂{by}" if by else "along the seed"
    return f"Forward mode, pass {k + 1} of {count}: tangents {dot(w)} {along}"


def seed_aside(z: str) -> str:
    """Beside a seed that is not 1."""
    return f"the seed; ∂{z}/∂{z} itself is 1"


def adjoint_notation(w: str, target: str) -> str:
    """What w̄i means in this pass (target: what the adjoints are derivatives of)."""
    if target == "0":
        return (
            f"Notation: {w}̄i is the adjoint of {w}i. With seed 0 every adjoint is 0: "
            "the seed asks for 0 times each derivative."
        )
    return ADJOINT_NOTATION.format(w=w, z=target)


def explain_seed_of(label: str, name: str, seed: float) -> str:
    """Why the reverse pass starts with this seed on this output."""
    return SEED_EXPLAIN.format(w=label, z=name, seed=_seed_clause(name, seed, 6))


def scaled_seed(shown: str, z: str) -> str:
    """Said when a single output's seed is not 1."""
    return f" With seed {shown} every adjoint is {shown} times ∂{z}/∂w (the chain rule is linear)."


def unit_seed(output: str) -> str:
    return f"Seed 1 on {output} and 0 on the other outputs: the adjoints are exactly ∂{output}/∂w."


def vjp_seed(target: str) -> str:
    return f"The adjoints are ∂{target}/∂w: this pass computes the vector–Jacobian product seedᵀ·J."


def seed_target(trace: Trace, rpass: ReversePass | SymbolicPass) -> str:
    """What the adjoints of a pass are derivatives of: 'z', 'f', '2·z' or '(1·f + 0.5·g)'.

    Outputs without a seed of their own have seed 0 and are left out of the sum.
    """
    if rpass.output is not None:
        return rpass.output
    seeded = [o for o in trace.graph.outputs if rpass.seeds.get(o.node, 0.0) != 0]
    if not seeded:
        return "0"
    if len(seeded) == 1 and len(trace.graph.outputs) == 1:
        seed = rpass.seeds[seeded[0].node]
        return seeded[0].name if seed == 1 else _weighted(seed, seeded[0].name)
    return "(" + " + ".join(f"{_num(rpass.seeds[o.node])}·{o.name}" for o in seeded) + ")"


def _weighted(seed: float, name: str) -> str:
    """(2·z), (-z)."""
    return f"(-{name})" if seed == -1 else f"({_num(seed)}·{name})"


def seed_equation(name: str, seed: str) -> str:
    """'z̄ = ∂z/∂z = 1', or for another seed 'z̄ = 2 (the seed; ∂z/∂z itself is 1)'."""
    if seed == "1":
        return f"{bar(name)} = ∂{name}/∂{name} = 1"
    return f"{bar(name)} = {seed}   (the seed; ∂{name}/∂{name} itself is 1)"


def seed_words(trace: Trace, rpass: ReversePass) -> str:
    parts = []
    for out in trace.graph.outputs:
        value = rpass.seeds.get(out.node, 0.0)
        parts.append(f"{bar(out.name)} = {_num(value)}")
    return ", ".join(parts)


def tangent_seed_words(trace: Trace, tpass: TangentPass) -> str:
    return ", ".join(f"{dot(name)} = {_num(tpass.seeds.get(i, 0.0))}" for name, i in trace.graph.inputs.items())


def output_name_of(trace: Trace, i: int) -> str | None:
    for out in trace.graph.outputs:
        if out.node == i:
            return out.name
    return None


def _num(value: float) -> str:
    return f"{value:g}"


# -- explanations in words (--explain): generic sentences here, per-primitive ones in primitives.py --

PATHS = (
    "{w} reaches {z} along {count} paths, {through}, so its adjoint is the sum of the {count} contributions: {sums}."
)
SEED_EXPLAIN = (
    "The reverse pass starts where the forward pass ended: {w} is the output {z}, so its adjoint is the seed{seed}."
)
UNUSED_EXPLAIN = "No node uses {w} on the way to {z}, so {z} does not depend on it: its adjoint is 0."
_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
_POSITIONS = ("first", "second")


def fill(template: str, args: Sequence[str]) -> str:
    """A primitive's `reads`/`explain` template with its arguments ($a, $b) filled in."""
    return Template(template).safe_substitute(dict(zip(ARG_NAMES, args, strict=False)))


def operand_texts(trace: Trace, i: int) -> list[str]:
    """How node i's arguments read in a sentence: labels, or constants (parenthesised when not atomic)."""
    texts = []
    for a in trace.graph.nodes[i].args:
        text = show(trace.graph.operand(a, trace.notation))
        texts.append(text if text.replace(".", "").isalnum() else f"({text})")
    return texts


def explain_forward(trace: Trace, i: int, digits: int = 4) -> str:
    """'w3 is the product of w1 and w2: 2·3 = 6.'"""
    node = trace.graph.nodes[i]
    label = trace.label(i)
    value = number(trace.values[i], digits)
    if node.is_input:
        return f"{label} is the input {node.name}, given the value {value}."
    reads = fill(node.prim.reads, operand_texts(trace, i))
    with_values = show(trace.with_values(trace.definition(i), digits))
    return f"{label} is {reads}: {with_values} = {value}."


def partial_sentence(trace: Trace, p_node: int, position: int, j: int) -> str:
    """'w3 is the product of w1 and w2, so ∂w3/∂w1 = w2 — <why>': one local partial in words.

    When the node uses wj twice (x*x), the sentence names which argument it is about, so the two
    contributions read differently."""
    p, wj = trace.label(p_node), trace.label(j)
    node = trace.graph.nodes[p_node]
    args = operand_texts(trace, p_node)
    prim = node.prim
    partial = show(trace.partial_formula(p_node, position))
    said = f"{p} is {fill(prim.reads, args)}, so ∂{p}/∂{wj} = {partial}"
    if node.args.count(j) > 1:
        said = f"{p} is {fill(prim.reads, args)}; through its {_POSITIONS[position]} argument, ∂{p}/∂{wj} = {partial}"
    why = prim.explain_each[position] if prim.explain_each else prim.explain
    if why:
        said += f" — {fill(why, args)}"
    return said


def explain_term(trace: Trace, rpass: ReversePass, j: int, term: Term, alone: bool, digits: int = 4) -> str:
    """One contribution w̄p·∂wp/∂wj in words: what wp is, why its partial is what it is, and the chain rule."""
    z = seed_target(trace, rpass)
    p, wj = trace.label(term.parent), trace.label(j)
    first = partial_sentence(trace, term.parent, term.position, j)
    partial_value = number(term.partial, digits)
    partial_value = f"({partial_value})" if partial_value.startswith("-") else partial_value
    numbers = f"{number(term.parent_adjoint, digits)} × {partial_value} = {number(term.product, digits)}"
    chain = f"∂{z}/∂{p} · ∂{p}/∂{wj} = {numbers}"
    if alone:
        return f"{first}. Using the chain rule, ∂{z}/∂{wj} = {chain}."
    return f"{first}. Using the chain rule, the path through {p} contributes {chain}."


def explain_symbolic_step(trace: Trace, spass: SymbolicPass, j: int) -> list[str]:
    """The sentences of a reverse step with formulas instead of numbers."""
    edges = trace.graph.parents[j]
    wj = trace.label(j)
    lines = []
    for p, pos in edges:
        chain = f"{bar(trace.label(p))}·∂{trace.label(p)}/∂{wj}"
        lines.append(
            f"{partial_sentence(trace, p, pos, j)}. Using the chain rule, the path through "
            f"{trace.label(p)} contributes {chain}."
        )
    count = len(edges) + (1 if j in spass.seeds else 0)
    if count > 1:
        lines.append(
            f"{wj} is reached along {_COUNTS.get(count, str(count))} paths, so its adjoint is the sum of their "
            f"contributions: {bar(wj)} = {show(spass.adjoint[j])}."
        )
    return lines


def explain_tangent(trace: Trace, tpass: TangentPass, i: int, digits: int = 4) -> str:
    """'ẇ3 is how fast w3 changes along the seed: …, so ẇ3 = ∂w3/∂w1·ẇ1 + … = 3.'"""
    node = trace.graph.nodes[i]
    label = trace.label(i)
    args = [a for a in node.args if not trace.graph.nodes[a].is_const]
    sums = " + ".join(f"∂{label}/∂{trace.label(a)}·{dot(trace.label(a))}" for a in args)
    reads = fill(node.prim.reads, operand_texts(trace, i))
    return (
        f"{dot(label)} is how fast {label} changes along the seed. {label} is {reads}, so by the chain rule "
        f"{dot(label)} = {sums} = {number(tpass.tangents[i], digits)}."
    )


def explain_sum(trace: Trace, rpass: ReversePass, j: int, terms: Sequence[Term], digits: int = 4) -> str:
    """The two-parents sentence: a node reached along several paths sums their contributions."""
    z = seed_target(trace, rpass)
    parents = [t.parent for t in terms]
    through = []
    for t in terms:
        where = f"through {trace.label(t.parent)}"
        if parents.count(t.parent) > 1:
            where += f" (as its {_POSITIONS[t.position]} argument)"
        through.append(where)
    seed = rpass.seeds.get(j)
    parts = [number(t.product, digits) for t in terms]
    if seed is not None:
        through.append(f"directly, as the output {output_name_of(trace, j)} (its seed)")
        parts.append(number(seed, digits))
    count = len(parts)
    joined = ", ".join(through[:-1]) + " and " + through[-1] if count > 2 else " and ".join(through)
    sums = " + ".join(s if not s.startswith("-") else f"({s})" for s in parts)
    return PATHS.format(
        w=trace.label(j),
        z=z,
        count=_COUNTS.get(count, str(count)),
        through=joined,
        sums=f"{sums} = {number(rpass.adjoints[j], digits)}",
    )


def explain_seed(trace: Trace, rpass: ReversePass, digits: int = 4) -> str:
    """Why the reverse pass starts with the seed on the output(s)."""
    return " ".join(
        SEED_EXPLAIN.format(w=trace.label(o.node), z=o.name, seed=_seed_clause(o.name, rpass.seeds[o.node], digits))
        for o in trace.graph.outputs
        if o.node in rpass.seeds
    )


def _seed_clause(name: str, seed: float, digits: int) -> str:
    return f" ∂{name}/∂{name} = 1" if seed == 1 else f", {number(seed, digits)} (∂{name}/∂{name} itself is 1)"


def explain_step(trace: Trace, rpass: ReversePass, j: int, digits: int = 4) -> list[str]:
    """Every sentence for the reverse step of node j: its seed, each contribution, and the sum."""
    terms = trace.terms(rpass, j)
    seed = rpass.seeds.get(j)
    z = seed_target(trace, rpass)
    if not terms:
        if seed is not None:
            return [SEED_EXPLAIN.format(w=trace.label(j), z=output_name_of(trace, j), seed=number(seed, digits))]
        return [UNUSED_EXPLAIN.format(w=trace.label(j), z=z)]
    alone = len(terms) == 1 and seed is None
    lines = [explain_term(trace, rpass, j, t, alone, digits) for t in terms]
    if not alone:
        lines.append(explain_sum(trace, rpass, j, terms, digits))
    return lines


# -- seeds and the two modes: 'Why seeds?' and 'Forward or reverse?' (render/modes.py, render/markdown.py) --

WHY_SEEDS = "Why seeds?"
FORWARD_OR_REVERSE = "Forward or reverse?"
REVERSE_SEED_IS = (
    "Reverse mode: the seed is the adjoint put on the output before the sweep. It picks what the "
    "adjoints are derivatives of: which output, or which weighted sum of outputs."
)
FORWARD_SEED_IS = (
    "Forward mode: the seed is the tangent put on the inputs. It picks the direction in input space "
    "the derivative is taken along."
)
ROW_PER_PASS = "One reverse pass per output gives one row of the Jacobian each."
JACOBIAN_FROM_FORWARD = "Jacobian from forward mode:"
JACOBIAN_FROM_REVERSE = "Jacobian from reverse mode:"
UNSHOWN_PASSES = "(derivatives from one unit-seed reverse pass per output, not shown above)"
TANGENT_INTRO = (
    "ẇi is how fast wi changes along the seed direction. Each tangent is computed from its "
    "arguments' tangents, inputs to output, alongside the values."
)


def why_seeds(trace: Trace, digits: int = 4) -> list[tuple[str, str]]:
    """The answer to 'why do we need seeds?' tied to this trace's numbers, as (kind, sentence) pairs.

    kind is "text" (plain words), "formula" (words with adjoints and tangents in them) or "note" (an aside).
    """
    graph = trace.graph
    lines: list[tuple[str, str]] = []
    if trace.reverse:
        first = trace.reverse[0]
        x, xi = next(iter(graph.inputs.items()))
        out = graph.outputs[0].name
        lines.append(("text", REVERSE_SEED_IS))
        if first.output is not None:
            shown = f"{bar(trace.label(xi))} = ∂{first.output}/∂{x} = {number(first.adjoints[xi], digits)}"
            lines.append(("formula", f"Here {seed_words(trace, first)}, so {shown}."))
            if len(graph.outputs) > 1:
                lines.append(("note", ROW_PER_PASS))
            else:
                lines.append(
                    (
                        "note",
                        f"With seed s every adjoint would be s times as large (try --seed 2): "
                        f"the chain rule is linear, and 1 asks for ∂{out}/∂{trace.letter} itself.",
                    )
                )
        else:
            jac = trace.jacobian[out][x]
            lines.append(
                (
                    "formula",
                    f"Here {seed_words(trace, first)}, so {bar(trace.label(xi))} = {number(first.adjoints[xi], digits)}"
                    f" — compare ∂{out}/∂{x} = {number(jac, digits)}: the seed weights each output's derivative "
                    "(a vector–Jacobian product).",
                )
            )
    if trace.forward:
        first_t = trace.forward[0]
        out_node = graph.outputs[0]
        lines.append(("text", FORWARD_SEED_IS))
        seeds = tangent_seed_words(trace, first_t)
        along = f"∂{out_node.name}/∂{first_t.input}" if first_t.input else f"the derivative of {out_node.name} along it"
        got = number(first_t.tangents[out_node.node], digits)
        lines.append(("formula", f"Here {seeds}, so {dot(out_node.name)} = {along} = {got}."))
    return lines


def passes_needed(trace: Trace) -> tuple[str, str]:
    """How many forward and reverse passes this trace took, and what each gives."""
    inputs = ", ".join(trace.graph.inputs)
    outputs = ", ".join(o.name for o in trace.graph.outputs)
    forward = f"Forward mode needed {_passes(len(trace.forward))}: "
    forward += (
        f"one per input ({inputs}), each giving a column of J."
        if all(p.input is not None for p in trace.forward)
        else "one for the seed's direction, giving J·seed."
    )
    reverse = f"Reverse mode needed {_passes(len(trace.reverse))}: "
    reverse += (
        f"one per output ({outputs}), each giving a row of J."
        if all(p.output is not None for p in trace.reverse)
        else "one for the seed's weights, giving seedᵀ·J."
    )
    return forward, reverse


def modes_verdict(trace: Trace) -> list[str]:
    agree = trace.modes_agree()
    return ["Both modes gave the same Jacobian." if agree else "The two Jacobians differ beyond rounding!"]


def mode_cost(trace: Trace) -> str:
    n, m = len(trace.graph.inputs), len(trace.graph.outputs)
    return (
        f"With n = {n} and m = {m} here: reverse mode costs m sweeps, forward mode n. "
        "That is why reverse mode wins for many inputs and one output (a loss: one sweep gives the whole "
        "gradient), and forward mode for few inputs and many outputs."
    )


def jacobian_caption(by_rows: bool) -> str:
    """Above the Jacobian of a trace with several outputs: rows from reverse passes, or columns from forward ones."""
    rows = "one row per reverse pass (seed e_k on output k)" if by_rows else "one column per forward pass"
    return f"The Jacobian J, {rows}:"


def _passes(count: int) -> str:
    return f"{count} pass" if count == 1 else f"{count} passes"


# -- the symbolic layer (render/symbolic.py, render/markdown.py) --

SYMBOLIC_FORWARD = "Forward pass: each node as a formula in the inputs"
SYMBOLIC_REVERSE = "Reverse pass: adjoints as formulas, output to inputs"
SYMBOLIC_LAYERS = (
    "Each step: the chain rule in symbols; the local partials filled in; each parent adjoint replaced "
    "by its own formula; the same simplified; then, in the inputs, the closed form."
)
IN_THE_INPUTS = "in the inputs"
IN_THE_NODES = "as a formula in the nodes:"
NOTE = "note:"
SKIPPED = "{count:,} {what} skipped: --max-rows 0 shows all of them; --format json prints everything"
SKIPPED_RUNS = (
    "{count:,} loop iterations and calls skipped, whole: --max-rows 0 shows all of them; --format json prints "
    "everything"
)
MORE_TERMS = "… {count:,} more terms …"
MORE_ITEMS = "… {count:,} more of them …"
CLOSED_FORM = "In closed form (every adjoint written out in the inputs, simplified):"
CLOSED_FORM_FORWARD = "In closed form (each derivative written out in the inputs, simplified):"
REVERSE_LEGEND = (
    "Each step reads: the chain rule in symbols (one term per parent); the local partials filled in; "
    "the numbers; each term's product; the adjoint. Then, as a formula in the nodes: every parent adjoint "
    "written out, and simplified. Under it, each local partial and the rule it comes from."
)


def closed_form_intro(trace: Trace) -> str:
    """Above the closed forms: 'every adjoint written out' only where adjoints were shown."""
    return CLOSED_FORM if trace.reverse or trace.symbolic_only else CLOSED_FORM_FORWARD


def closed_vjp(target: str) -> str:
    return f"With the seed, seedᵀ·J = ∂{target}/∂(inputs) in closed form:"


def symbolic_reverse_title(k: int, count: int, output: str | None) -> str:
    if count == 1:
        return SYMBOLIC_REVERSE
    return f"Reverse pass {k + 1} of {count}: adjoints of {output or 'the seeds'}"


def symbolic_intro(trace: Trace) -> str:
    """What a trace with inputs left as symbols is: all symbolic, or partly evaluated."""
    symbols = [n for n in trace.graph.inputs if n not in trace.inputs]
    names = ", ".join(symbols)
    stay = "stays a symbol" if len(symbols) == 1 else "stay symbols"
    if not trace.inputs:
        return (
            f"No values given: a symbolic trace. {names} {stay}, every adjoint is a formula, "
            "and the gradient comes out in closed form."
        )
    given = ", ".join(f"{n} = {number(v, 6)}" for n, v in trace.inputs.items())
    return f"Partial evaluation: {given} substituted; {names} {stay} (no value given)."


def named_note(names: list[str], limit: int) -> str:
    """Why some formulas use a name (w7, w̄5) instead of being written out."""
    if len(names) == 1:
        return (
            f"{names[0]} is kept as a named intermediate: "
            f"written out in full it would be longer than {limit} symbols and operations"
        )
    return (
        f"{', '.join(names)} are kept as named intermediates: "
        f"written out in full each would be longer than {limit} symbols and operations"
    )


def too_big_to_draw(count: int, limit: int) -> str:
    return (
        f"The graph has {count} nodes, too many to draw (a diagram is drawn up to {limit}); the table lists every edge."
    )


def mermaid_legend(trace: Trace) -> str:
    """Under the Mermaid diagram: what its boxes and arrows say."""
    what = "adjoint" if trace.reverse else "tangent" if trace.forward else "formula"
    if getattr(trace, "is_arrays", False):
        from .array_words import mermaid_legend as arrays_legend

        return arrays_legend(what)
    return (
        f"Each box is a node with its value and its {what}; each arrow runs from an argument to the node "
        "computed from it, labelled with that local partial."
    )


# -- the stepper (--step) --


def step_start(source: str) -> str:
    flat = " ".join(source.split())
    shown = flat if len(flat) <= 60 else flat[:59] + "…"
    return f"The graph of {shown}: press Enter to evaluate it, one node at a time."


def step_done(trace: Trace, digits: int) -> str:
    """The last screen: what the lesson found."""
    if getattr(trace, "is_arrays", False):  # an array program's gradients are arrays
        from .array_values import show_value
        from .array_words import step_done as arrays_done
        from .array_words import step_done_seeded

        out = trace.graph.outputs[0]
        gradients = [(name, show_value(g, digits)) for name, g in trace.gradient.items()]
        seeded = trace.values[out.node].ndim > 0  # type: ignore[attr-defined]  # an array output: from its seed
        return (step_done_seeded if seeded else arrays_done)(out.name, gradients)
    if trace.symbolic_only:
        return "Done: the adjoints are formulas; the closed forms are in the trace's Result. Press q to quit."
    found = ", ".join(f"∂{o}/∂{x} = {number(d, digits)}" for o, row in trace.jacobian.items() for x, d in row.items())
    return f"Done: {found}. Press q to quit."


def more_rows(count: int) -> str:
    return f"… {count} more"


def running_sum(label: str, so_far: str) -> str:
    return f"{bar(label)} so far: {so_far}"


def graph_hidden(need_width: int, need_height: int, width: int, height: int) -> str:
    """Said when the graph does not fit the terminal, instead of dropping it silently."""
    if not need_width:
        return f"(the graph is not drawn: it does not fit {width} columns; the table lists every node)"
    return (
        f"(the graph is not drawn: it needs {need_width}×{need_height} and the terminal is {width}×{height}; "
        "make it larger or zoom out)"
    )


def letter_changed(letter: str, notation: str) -> str:
    """Said when node labels can't use their usual letter."""
    return (
        f"Nodes are labelled {letter}1, {letter}2, … here, not {notation}1, {notation}2, …: "
        f"a name in the program looks like a {notation} label."
    )


# -- programs: the tape, where a node came from, the decisions the run made --

TAPE = (
    "Reverse mode differentiates the operations that actually ran, in the order they ran: this list is "
    "that record, the tape. A loop's body appears once per iteration, a function's nodes once per call."
)
BRANCHES = "Decisions: the branches this run took"
BRANCHES_INTRO = (
    "A comparison has no derivative: it only picks which operations run. So the derivative is the "
    "derivative of the path taken, at these values; other values may take another path."
)
_WENT = {
    "body": "so the run took its block",
    "next": "so the run went on to the next test",
    "else": "so the run took the else block",
    "skip": "so no block ran",
    "then": "so the expression took its first value",
    "orelse": "so the expression took its else value",
}


def context_words(call: str | None, loops: Sequence[tuple[str, int, int]]) -> str:
    """'in taylor_sine#1, while loop (line 6) iteration 2' — where a run of the tape was made."""
    parts = [f"in {call}"] if call else []
    parts += [f"{kind} loop (line {line}) iteration {k}" for kind, line, k in loops]
    return ", ".join(parts) if parts else "at the top level"


def group_header(call: str | None, loops: Sequence[tuple[str, int, int]]) -> str:
    return f"— {context_words(call, loops)} —"


def node_origin(line: int) -> str:
    return f"line {line}"


def branch_sentence(
    line: int, condition: str, values: Sequence[float], taken: bool, kind: str, went: str, where: str, digits: int
) -> str:
    """'line 6: np.abs(currterm) > 0.001 was true (1.571, 0.001), so the run went round the loop again.'"""
    shown = ", ".join(number(v, digits) for v in values)
    truth = "true" if taken else "false"
    if kind == "while":
        result = "so the run went round the loop again" if taken else "so the loop ended"
    else:
        result = _WENT.get(went, "")
    place = f" ({where})" if where != "at the top level" else ""
    return f"line {line}: {condition} was {truth} at {shown}{place}, {result}."


# -- the web lesson (views/web.py) ----------------------------------------------
WEB_KEYS = "→ or Space: next step · ←: back · Home / End: first / last step"
WEB_STEPPER = "Step through the lesson"
WEB_DOCUMENT = "The whole trace"
WEB_LARGER = "Larger text"
WEB_CONTRAST = "High contrast"
WEB_THEME = "Light / dark"
WEB_USES = "uses"
WEB_NO_SCRIPT = "The step-by-step lesson needs JavaScript; the whole trace is below."


def web_start(source: str) -> str:
    """The first state of the web lesson (the terminal's step_start says which key to press there)."""
    return step_start(source).replace("press Enter", "press →")


def web_done(trace: Trace, digits: int) -> str:
    """The last state of the web lesson: what it found (as step_done, without the terminal's quit key)."""
    return step_done(trace, digits).removesuffix(" Press q to quit.")


WEB_STEP = "step {k} of {count}: "
"""How the web lesson's status line starts ('step 3 of 17: forward w3'): the page fills in the numbers, then the
step's kind and node."""


def edge_title(node: str, arg: str, partial: str, position: int) -> str:
    """The tooltip of an edge in a picture: ∂w3/∂w1 = 3 (argument 1); ? where a symbolic trace has no number."""
    return f"∂{node}/∂{arg} = {partial or '?'} (argument {position})"


# -- second derivatives: the adjoint program traced, forward over reverse (--hessian, --hvp) --
HESSIAN_MODE = "adtrace: second derivatives, forward mode over the adjoint program"
ADJOINT_PROGRAM = "The adjoint program: the reverse pass as code, traced"


def adjoint_program_intro(letter: str, output: str) -> tuple[str, ...]:
    return (
        f"The gradient of {output} is computed by a program (adtrace --adjoint-program prints it): the tape, then "
        "one statement per chain-rule term, w̄j += w̄p·∂wp/∂wj. That program is traced like any other.",
        f"Its nodes are numbered {letter}1, {letter}2, …; each keeps the name of its program variable beside it "
        "(wbar3 is the adjoint w̄3, wbar3@2 the same adjoint after one more term is added).",
    )


def hessian_tangent_title(k: int, count: int, by: str | None) -> str:
    along = f"tangents ẇ̄ = ∂w̄/∂{by}" if by else "tangents along v"
    return f"Forward over reverse, pass {k + 1} of {count}: {along}"


def hessian_tangent_intro(by: str | None, output: str) -> str:
    if by is None:
        return (
            "One tangent pass over the adjoint program, seeded with v: the tangent of every value is how fast it "
            f"moves along v, so the tangent of each gradient entry ∂{output}/∂xi is the entry i of H·v."
        )
    return (
        f"A tangent pass over the adjoint program, seeded with ẋ = 1 for {by}: every tangent is how fast its value "
        f"moves as {by} moves. The tangent of an adjoint, ẇ̄i = ∂w̄i/∂{by}, is a second derivative; the tangents of "
        f"the gradient ∂{output}/∂xi at the end are the column ∂/∂{by} of the Hessian."
    )


HESSIAN = "The Hessian: second derivatives, one tangent pass per input"
HVP = "The Hessian–vector product H·v, in one tangent pass"


def hessian_caption(output: str) -> str:
    return (
        f"H[xi][xj] = ∂²{output}/∂xi∂xj: row xi is the tangent of ∂{output}/∂xi, column xj comes from the pass "
        "seeded with ẋj = 1."
    )


def symmetry_verdict(symmetric: bool, asymmetry: float, count: int) -> str:
    if count == 1:
        return "One input: the Hessian is 1×1, symmetric by itself."
    if asymmetry == 0.0:
        return "Symmetric: H[xi][xj] = H[xj][xi] exactly, as it must be where the second derivatives are continuous."
    if symmetric:
        return (
            f"Symmetric to rounding: H and its transpose differ by at most {number(asymmetry)}, the order in which "
            "the two mixed partials add the same terms."
        )
    return (
        f"Not symmetric: H[xi][xj] and H[xj][xi] differ by up to {number(asymmetry)}. The mixed partials of a "
        "function with continuous second derivatives agree, so the path taken has a kink or a jump near here."
    )


def hessian_cost(count: int) -> str:
    passes = "one tangent pass" if count == 1 else f"{count} tangent passes"
    return (
        f"{passes} over the adjoint program, one per input. Each costs a small multiple of one gradient (the adjoint "
        "program is itself a small multiple of the function), so the whole Hessian costs about n gradients; for one "
        "direction, --hvp gives H·v in a single pass."
    )


def hvp_cost(vector: str) -> str:
    return (
        f"H·v for v = ({vector}) took one tangent pass over the adjoint program, seeded with v. Each statement of "
        "that program gets one tangent statement beside it, a few multiplications and additions, so the pass costs a "
        "small multiple of one gradient (which is itself a small multiple of the function), whatever the number of "
        "inputs: the n×n Hessian is never formed."
    )


HESSIAN_CLOSED = "In closed form (the symbolic layer differentiates the gradient's formulas, simplified):"


def hessian_closed_rest(named: bool) -> str:
    said = "The entries below the diagonal are the same, by symmetry."
    if named:
        said += (
            " Each row's 'where' names are its own: every row is a reverse pass of its own over the adjoint program."
        )
    return said
