"""Trace → Lesson: the sections of the explanation in the order a teacher gives it.

Sections are cheap to make; their steps are made only when a view asks for them (`Steps`), so the
lesson of a million-node trace costs nothing until it is printed, and a view that shows the head and
the tail of a long section makes only those steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ..engine.symbolic import SymbolicPass, SymbolicTrace, rounded
from ..engine.trace import ReversePass, Trace
from ..expr import Sym, number
from . import words
from .decisions import branches
from .math import Math, Partial, Titled, adjoint, bar, dot, num
from .model import Answer, Block, Column, Header, Lesson, Line, Note, NoteKind, Section, SectionKind, Step, Steps, Words
from .passes import reverse_step, seed_notes, seed_steps, symbolic_reverse_step, tangent_step
from .source import visible as visible  # re-exported: the views and tests quote user text with it


def build(trace: Trace, digits: int = 4, *, explain: bool = False, terms: bool = False) -> Lesson:
    """The lesson of a trace; `explain` adds the sentences of --explain to every step, `terms` each reverse
    step's contributions one by one (for the stepper and the quiz, which reveal or ask for them singly).

    An array program's array level (engine/arrays/trace.py) gets its own lesson (lesson/arrays.py), in the
    same model, so every view that builds a lesson prints it; numpy is loaded only then."""
    if getattr(trace, "is_arrays", False):
        from .arrays import build_arrays

        return build_arrays(trace, digits, explain=explain, terms=terms)  # type: ignore[arg-type]
    if trace.symbolic_only:
        made = _symbolic_sections(trace, digits, explain)
    else:
        made = _sections(trace, digits, explain, terms)
    sections = tuple(section._replace(number=k) for k, section in enumerate(made, start=1))
    return Lesson(header(trace), sections, digits, explain, trace.symbolic_only)


def header(trace: Trace) -> Header:
    source = tuple(
        visible(line.rstrip())
        for line in trace.source.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    inputs = tuple((name, number(value, 6)) for name, value in trace.inputs.items())
    notes = [Note("aside", (words.symbolic_intro(trace),))] if trace.symbolic_only else []
    if trace.letter != trace.notation:
        notes.append(Note("aside", (words.letter_changed(trace.letter, trace.notation),)))
    program = visible(trace.source.strip())
    return Header(
        words.mode_title(trace.mode), tuple(notes), source, program, inputs, tuple(o.name for o in trace.graph.outputs)
    )


def _sections(trace: Trace, digits: int, explain: bool, terms: bool) -> list[Section]:
    sections = [decomposition(trace), graph(trace), forward(trace, digits, explain)]
    decided = branches(trace, digits)
    if decided is not None:
        sections.append(decided)
    for k, rpass in enumerate(trace.reverse):
        spass = trace.symbolic.passes[k] if trace.symbolic is not None and k < len(trace.symbolic.passes) else None
        make = partial(reverse_step, trace, rpass, spass, digits=digits, explain=explain, split=terms)
        title = words.reverse_title(k, len(trace.reverse), words.seed_target(trace, rpass))
        sections += _pass(trace, rpass, title, words.REVERSE_LEGEND, make, explain, k, len(trace.reverse))
    for k, tpass in enumerate(trace.forward):
        seeds: Words = ("seed: ", words.tangent_seed_words(trace, tpass))
        sections.append(
            _section(
                "tangent",
                words.tangent_title(k, len(trace.forward), tpass.input, trace.letter),
                Block("notes", (Note("formula", seeds), Note("aside", (words.TANGENT_INTRO,)))),
                Block(
                    "steps",
                    steps=_lazy(
                        trace.graph.numbered, partial(tangent_step, trace, tpass, digits=digits, explain=explain)
                    ),
                ),
            )
        )
    sections.append(result(trace, digits))
    if trace.graph.elements is not None:  # the element level of an array program: its Jacobians' sparsity
        from .arrays import sparsity_section

        sparsity = sparsity_section(trace.graph)
        if sparsity is not None:
            sections.append(sparsity)
    sections.append(_section("why_seeds", words.WHY_SEEDS, Block("notes", why_seeds(trace, digits))))
    if trace.mode == "both":
        sections.append(modes(trace, digits))
    return sections


def _pass(
    trace: Trace,
    rpass: ReversePass | SymbolicPass,
    title: str,
    legend: str,
    make: Callable[[int], Step],
    explain: bool,
    k: int,
    count: int,
) -> list[Section]:
    """A reverse pass's two sections: its seed, then its steps from the output back to the inputs."""
    target = words.seed_target(trace, rpass)
    seed = _section(
        "seed",
        words.seed_title(k, count),
        Block("steps", steps=Steps.of(seed_steps(trace, rpass.seeds, explain))),
        Block("notes", seed_notes(trace, rpass.seeds, rpass.output, target)),
    )
    steps = Block("steps", steps=_lazy(trace.graph.numbered[::-1], make))
    return [seed, _section("reverse", title, Block("notes", (Note("aside", (legend,)),)), steps)]


def _section(kind: SectionKind, title: str, *blocks: Block) -> Section:
    return Section(kind, title, tuple(b for b in blocks if b.notes or len(b.steps) or b.kind == "table"))


def _lazy(order: tuple[int, ...], make: Callable[[int], Step]) -> Steps:
    return Steps(len(order), lambda k: make(order[k]))


# -- the graph -----------------------------------------------------------------
def title(trace: Trace, i: int) -> Math:
    """w3, or w3 (a) when the program named it."""
    node = trace.graph.nodes[i]
    label = trace.label(i)
    return Titled(label, node.name) if node.name and not node.is_input else Sym(label)


def decomposition(trace: Trace) -> Section:
    """The tape: every node in evaluation order; for a program, each run of one call or loop iteration
    under a line saying where it was made, and each node with its source line."""
    g = trace.graph
    numbered = g.numbered
    outputs = g.outputs
    entries: Sequence[int] = numbered
    starts: list[int] = []
    if g.is_program:
        entries = []
        for k, (cid, run) in enumerate(g.groups()):
            if k or cid:  # a group header: where this run of the tape was made (none before a top-level start)
                starts.append(len(entries))
                entries.append(-1 - cid)
            entries.extend(run)

    def step(k: int) -> Step:
        i = entries[k]
        if i < 0:
            context = g.contexts[-1 - i]
            loops = [(lp.kind, lp.line, lp.iteration) for lp in context.loops]
            return Step("note", notes=(Note("aside", (words.group_header(context.call, loops),)),))
        aside = words.node_origin(g.line(i)) if g.is_program else ""
        return Step(
            "definition",
            i,
            title(trace, i),
            (Line("symbols", trace.definition(i)),),
            aside=aside,
            uses=(i,),
            inline=True,
        )

    def output(k: int) -> Step:
        out = outputs[k]
        return Step("definition", out.node, Sym(out.name), (Line("symbols", Sym(trace.label(out.node))),), inline=True)

    intro = [Note("aside", (words.DECOMPOSITION_INTRO,))]
    if g.is_program:
        intro.append(Note("aside", (words.TAPE,)))
    intro += [Note("aside", (visible(note),)) for note in g.notes]
    return _section(
        "decomposition",
        words.DECOMPOSITION,
        Block("notes", tuple(intro)),
        Block("steps", steps=Steps(len(entries), step), what="nodes", groups=tuple(starts)),
        Block("steps", steps=Steps(len(outputs), output), what="outputs"),
    )


def graph(trace: Trace) -> Section:
    g = trace.graph
    numbered = g.numbered

    def row(k: int) -> Step:
        i = numbered[k]
        node = g.nodes[i]
        inputs: Words = (
            ("input ", Sym(node.name or ""))
            if node.is_input
            else _joined([g.operand(a, trace.notation) for a in node.args])
        )
        uses: dict[int, int] = {}
        for p, _ in g.parents[i]:
            uses[p] = uses.get(p, 0) + 1
        parents: list[str | Math] = []
        for p, times in uses.items():
            parents += [", "] if parents else []
            parents.append(Sym(trace.label(p)))
            if times > 1:
                parents.append(" (twice)" if times == 2 else f" ({times} times)")
        out = words.output_name_of(trace, i)
        if out is not None:
            parents += [", output ", Sym(out)] if parents else ["output ", Sym(out)]
        return Step(
            "graph_row",
            i,
            Sym(trace.label(i)),
            cells=((Sym(trace.label(i)),), inputs, tuple(parents) or ("none",)),
            uses=(i, *node.args),
            edges=tuple((a, i) for a in node.args if not g.nodes[a].is_const),
        )

    columns = (Column("node"), Column("computed from (inputs)"), Column("parents (used by)"))
    return _section(
        "graph",
        words.GRAPH,
        Block("notes", (Note("aside", (words.PARENTS,)),)),
        Block("table", steps=Steps(len(numbered), row), columns=columns, what="rows", drawing=True),
    )


def _joined(items: list[Math]) -> Words:
    out: list[str | Math] = []
    for item in items:
        out += [", ", item] if out else [item]
    return tuple(out)


def forward(trace: Trace, digits: int, explain: bool) -> Section:
    numbered = trace.graph.numbered

    def row(k: int) -> Step:
        i = numbered[k]
        definition = trace.definition(i)
        value = num(trace.values[i], digits)
        with_values = value if trace.graph.nodes[i].is_input else trace.with_values(definition, digits)
        lhs = title(trace, i)
        return Step(
            "forward",
            i,
            lhs,
            (Line("symbols", definition), Line("numbers", with_values), Line("value", value)),
            cells=((lhs,), (definition,), (with_values,), (value,)),
            uses=(i, *trace.graph.nodes[i].args),
            explain=(words.explain_forward(trace, i, digits),) if explain else (),
            answer=Answer(trace.values[i], definition),
        )

    w = f"{trace.letter}_i"
    columns = (Column(w), Column("definition"), Column("with values"), Column("value", "right"))
    return _section(
        "forward", words.FORWARD, Block("table", steps=Steps(len(numbered), row), columns=columns, what="rows")
    )


# -- results -------------------------------------------------------------------
def result(trace: Trace, digits: int) -> Section:
    """The output values and the derivatives, read from the passes that were shown; then seeded products and
    closed forms."""
    graph = trace.graph
    values: list[str | Math] = []
    for o in graph.outputs:
        values += ["  "] if values else []
        values += [Sym(o.name), " = ", num(trace.values[o.node], digits)]
    jacobian, source = trace.result_jacobian
    blocks = [Block("notes", (Note("emphasis", tuple(values)),))]
    if source == "unshown":
        blocks.append(Block("notes", (Note("aside", (words.UNSHOWN_PASSES,)),)))
    if len(graph.outputs) > 1:
        blocks.append(Block("notes", (Note("aside", (words.jacobian_caption(source != "forward"),)),)))
        blocks.append(jacobian_table(trace, jacobian, digits))
    else:
        out = graph.outputs[0]
        inputs = list(graph.inputs.items())

        def row(k: int) -> Step:
            name, i = inputs[k]
            cell: Words = (Partial(out.name, name),)
            if source == "reverse":
                cell = (Partial(out.name, name), " = ", adjoint(trace.label(i)))
            value = jacobian[out.name][name]
            return Step("jacobian_row", i, Partial(out.name, name), cells=(cell, (num(value, digits),)), uses=(i,))

        columns = (Column("derivative"), Column("value", "right"))
        blocks.append(Block("table", steps=Steps(len(inputs), row), columns=columns, what="rows"))
    blocks += seeded_results(trace, digits)
    blocks += closed_forms(trace, digits)
    blocks.append(warnings(trace))
    return _section("result", words.RESULT, *blocks)


def jacobian_table(trace: Trace, jacobian: dict[str, dict[str, float]], digits: int) -> Block:
    """Rows are outputs, columns are inputs: J[f][x] = ∂f/∂x."""
    inputs = list(trace.graph.inputs)
    rows = list(jacobian.items())

    def row(k: int) -> Step:
        out, values = rows[k]
        cells: tuple[Words, ...] = ((Sym(out),), *((num(values[x], digits),) for x in inputs))
        return Step("jacobian_row", None, Sym(out), cells=cells)

    columns = (Column("J"), *(Column(f"∂/∂{x}", "right") for x in inputs))
    return Block("table", steps=Steps(len(rows), row), columns=columns, what="rows")


def seeded_results(trace: Trace, digits: int) -> list[Block]:
    """The vector–Jacobian (reverse) and Jacobian–vector (forward) products of user seeds."""
    graph = trace.graph
    notes: list[Note] = []
    for rpass in trace.reverse:
        if rpass.output is None:
            vjp = ", ".join(f"{bar(name)} = {number(rpass.adjoints[i], digits)}" for name, i in graph.inputs.items())
            notes.append(Note("formula", (f"with the seed {words.seed_words(trace, rpass)}: seedᵀ·J gives {vjp}",)))
    for tpass in trace.forward:
        if tpass.input is None:
            jvp = ", ".join(f"{dot(o.name)} = {number(tpass.tangents[o.node], digits)}" for o in graph.outputs)
            notes.append(
                Note("formula", (f"with the seed {words.tangent_seed_words(trace, tpass)}: J·seed gives {jvp}",))
            )
    return [Block("notes", tuple(notes))] if notes else []


def closed_forms(trace: Trace, digits: int) -> list[Block]:
    """The closed-form derivatives (in the inputs) with their 'where' list, or why they are left out."""
    sym = trace.symbolic
    if sym is None:
        return [Block("notes", (Note("aside", (trace.symbolic_note,)),))] if trace.symbolic_note else []
    blocks: list[Block] = []
    named: list[str] = []
    for out in sym.outputs:
        spass = sym.units[out]
        steps = [
            Step("closed_form", i, Partial(out, name), (Line("closed", rounded(spass.closed[i], digits)),))
            for name, i in sym.inputs.items()
        ]
        steps += _where(sym, spass, digits, named)
        blocks.append(Block("steps", steps=Steps.of(steps)))
    for spass in sym.passes:
        if spass.output is None:  # a vector seed: the vector–Jacobian product, in closed form
            target = words.seed_target(trace, spass)
            blocks.append(Block("notes", (Note("text", (words.closed_vjp(target),)),)))
            steps = [
                Step("closed_form", i, adjoint(name), (Line("closed", rounded(spass.closed[i], digits)),))
                for name, i in sym.inputs.items()
            ]
            steps += _where(sym, spass, digits, named)
            blocks.append(Block("steps", steps=Steps.of(steps)))
    intro = words.closed_form_intro(trace)
    after = [Note("aside", (words.named_note(list(dict.fromkeys(named)), sym.limit),))] if named else []
    return [Block("notes", (Note("text", (intro,)),)), *blocks, *([Block("notes", tuple(after))] if after else [])]


def _where(sym: SymbolicTrace, spass: SymbolicPass, digits: int, named: list[str]) -> list[Step]:
    formulas = [spass.closed[i] for i in sym.inputs.values()]
    steps = []
    for name, formula in sym.bindings(formulas, spass):
        named.append(name)
        steps.append(Step("closed_form", None, Sym(name), (Line("closed", rounded(formula, digits)),), prefix="where"))
    return steps


def warnings(trace: Trace) -> Block:
    return Block("notes", tuple(Note("warning", (f"warning: {visible(w)}",)) for w in trace.warnings))


def why_seeds(trace: Trace, digits: int) -> tuple[Note, ...]:
    kinds: dict[str, NoteKind] = {"text": "text", "formula": "formula", "note": "aside"}
    return tuple(Note(kinds[kind], (sentence,)) for kind, sentence in words.why_seeds(trace, digits))


def modes(trace: Trace, digits: int) -> Section:
    """Forward vs reverse on this expression's own numbers: passes needed, the same Jacobian both ways."""
    blocks = [Block("notes", tuple(Note("text", (line,)) for line in words.passes_needed(trace)))]
    forward_j = trace.forward_jacobian
    if forward_j is not None:
        agree = trace.modes_agree()
        blocks += [
            Block("notes", (Note("aside", (words.JACOBIAN_FROM_FORWARD,)),)),
            jacobian_table(trace, forward_j, digits),
            Block("notes", (Note("aside", (words.JACOBIAN_FROM_REVERSE,)),)),
            jacobian_table(trace, trace.jacobian, digits),
            Block(
                "notes", tuple(Note("emphasis" if agree else "alarm", (line,)) for line in words.modes_verdict(trace))
            ),
        ]
    blocks.append(Block("notes", (Note("aside", (words.mode_cost(trace),)),)))
    return _section("modes", words.FORWARD_OR_REVERSE, *blocks)


# -- a trace with inputs left as symbols ----------------------------------------
def _symbolic_sections(trace: Trace, digits: int, explain: bool) -> list[Section]:
    sym = trace.symbolic
    assert sym is not None, "a trace without values always has its symbolic layer"
    sections = [decomposition(trace), graph(trace), symbolic_forward(trace, sym, digits)]
    decided = branches(trace, digits)
    if decided is not None:
        sections.append(decided)
    for k, spass in enumerate(sym.passes):
        make = partial(symbolic_reverse_step, trace, spass, digits=digits, explain=explain)
        title = words.symbolic_reverse_title(k, len(sym.passes), spass.output)
        sections += _pass(trace, spass, title, words.SYMBOLIC_LAYERS, make, explain, k, len(sym.passes))
    sections.append(_section("result", words.RESULT, *closed_forms(trace, digits), warnings(trace)))
    return sections


def symbolic_forward(trace: Trace, sym: SymbolicTrace, digits: int) -> Section:
    numbered = trace.graph.numbered
    partly = bool(trace.inputs)

    def row(k: int) -> Step:
        i = numbered[k]
        form = sym.forward_where.get(trace.label(i), sym.forward[i])  # a named node's own row writes it out
        cells: tuple[Words, ...] = ((title(trace, i),), (trace.definition(i),), (rounded(form, digits),))
        value = trace.values[i]
        if partly:
            cells += ((num(value, digits),) if value == value else ("",),)
        return Step(
            "forward",
            i,
            title(trace, i),
            (Line("symbols", trace.definition(i)), Line("closed", rounded(form, digits))),
            cells=cells,
            uses=(i,),
            answer=Answer(value, form),
        )

    w = f"{trace.letter}_i"
    columns: tuple[Column, ...] = (Column(w), Column("definition"), Column(words.IN_THE_INPUTS))
    if partly:
        columns += (Column("value", "right"),)
    blocks = [Block("table", steps=Steps(len(numbered), row), columns=columns, what="rows")]
    if sym.forward_where:
        note = words.named_note(list(sym.forward_where), sym.limit) + "; later rows use the name"
        blocks.append(Block("notes", (Note("aside", (note,)),)))
    return _section("symbolic_forward", words.SYMBOLIC_FORWARD, *blocks)
