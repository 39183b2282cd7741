"""ArrayTrace → Lesson: the tape of array nodes, then each adjoint as a vector–Jacobian product.

The same Lesson model every view prints (lesson/model.py): a reverse step's lhs is the adjoint (w̄1), its
lines the rule in symbols with shapes (w̄5·w2ᵀ), the numbers, and the value as a matrix; its partials say
which rule each term comes from; --explain derives the rule from the index form on the learner's numbers
and says how big the Jacobian nobody builds would be.
"""

from __future__ import annotations

from string import Template
from typing import Any

import numpy as np

from ..array_primitives import ArrayPrimitive
from ..engine.arrays.elements import ElementMap, dependence, element_name
from ..engine.arrays.trace import ArrayTrace
from ..engine.graph import Graph
from ..engine.simplify import simplify
from ..expr import ARG_LETTERS, Apply, Const, Expr, Sym, latex_name, number, partial_rule, show, substitute
from ..primitives import ARG_NAMES, ATOM
from . import array_words as aw
from . import words
from .array_values import matrix, shape_text, show_value
from .decisions import branches
from .lazy import Lazy
from .math import Formula, Math, Running, Sum, bar
from .model import Block, Column, Header, Lesson, Line, Note, PartialUse, Section, Step, Term, Words
from .source import visible

Array = Any


def build_arrays(trace: ArrayTrace, digits: int = 4, *, explain: bool = False, terms: bool = False) -> Lesson:
    """The array level's lesson; `terms` gives each reverse step its contributions one by one (the stepper
    and the web lesson reveal them singly), as lesson.build.build does for a scalar trace."""
    sections = [tape_section(trace, digits)]
    decided = branches(trace, digits)  # type: ignore[arg-type]
    if decided is not None:
        sections.append(decided)
    for rpass in trace.reverse:
        sections.append(reverse_section(trace, rpass, digits, explain, len(trace.reverse) > 1, terms))
    for tpass in trace.forward:
        sections.append(tangent_section(trace, tpass, digits))
    sections.append(result_section(trace, digits))
    numbered = tuple(s._replace(number=k) for k, s in enumerate(sections, start=1))
    return Lesson(header(trace, digits), numbered, digits, explain, False)


def header(trace: ArrayTrace, digits: int) -> Header:
    source = tuple(visible(line.rstrip()) for line in trace.source.splitlines() if line.strip())
    inputs = tuple((name, show_value(value, digits)) for name, value in trace.inputs.items())
    notes = (Note("aside", (aw.ARRAY_LEVEL,)),)
    return Header(
        aw.TITLE, notes, source, visible(trace.source.strip()), inputs, tuple(o.name for o in trace.graph.outputs)
    )


def _label(trace: ArrayTrace, i: int) -> str:
    node = trace.graph.nodes[i]
    return node.name or "" if node.is_const else trace.label(i)


def tape_section(trace: ArrayTrace, digits: int) -> Section:
    g = trace.graph
    order = g.numbered

    def row(k: int) -> Step:
        i = order[k]
        node = g.nodes[i]
        what = node.name or "" if node.is_input else show(g.definition(i))
        name = node.name if node.name and not node.is_input else ""
        value = matrix(trace.values[i], digits)
        shape = shape_text(trace.shape(i))
        cells: tuple[Words, ...] = ((trace.label(i),), (name,), (shape,), (what,), (value,))
        if where:
            context = g.context(i)
            cells += ((words.context_words(context.call, [(lp.kind, lp.line, lp.iteration) for lp in context.loops]),),)
        lines = (Line("symbols", g.definition(i, trace.notation)), Line("value", value))  # for the stepper
        return Step("forward", i, Sym(trace.label(i)), lines, cells=cells, uses=node.args, aside=aw.shape_aside(shape))

    where = len(g.contexts) > 1  # a program with loops or calls: say where each node was made
    columns: tuple[Column, ...] = (
        Column("node"),
        Column("name"),
        Column("shape"),
        Column("definition"),
        Column("value"),
    )
    if where:
        columns += (Column(aw.MADE_IN),)
    table = Block("table", steps=Lazy(len(order), row), columns=columns, what="nodes", drawing=True)
    return Section("forward", aw.TAPE, (Block("notes", (Note("text", (aw.TAPE_INTRO,)),)), table))


def _operand(trace: ArrayTrace, i: int) -> Expr:
    """A node inside a rule: its label, a scalar constant as typed, an array constant by its text (zeros(2)):
    an array is no number the simplifier could fold."""
    node = trace.graph.nodes[i]
    if node.is_const and np.ndim(node.const):
        return Sym(node.name or "")
    return trace.graph.operand(i, trace.notation)


def rule_text(trace: ArrayTrace, p: int, pos: int, adj: str, fmt: str) -> str:
    """The VJP rule of edge (p, pos) over the nodes' labels: w̄6·w2ᵀ (plain) or its LaTeX."""
    formula = rule(trace, p, pos, adj)
    return formula.latex if fmt == "latex" else formula.plain


def rule(trace: ArrayTrace, p: int, pos: int, adj: str) -> Formula:
    """The VJP rule of edge (p, pos): an elementwise one is the adjoint times the scalar partial with its
    arguments filled in and simplified (w̄7 ⊙ 2·w6); the others fill in their table's templates."""
    g = trace.graph
    prim = trace.prim(p)
    args = g.nodes[p].args
    if prim.elementwise is not None:
        mapping: dict[str, Expr] = {ARG_NAMES[k]: _operand(trace, a) for k, a in enumerate(args)}
        local = simplify(substitute(partial_rule(prim.elementwise, pos), mapping))
        return _times(adj, local)
    plain_names = {"g": adj, "y": trace.label(p)}
    latex_names = {"g": latex_name(adj), "y": latex_name(trace.label(p))}
    for k, a in enumerate(args):
        letter = ARG_LETTERS[k]
        plain_names[letter] = _label(trace, a)
        latex_names[letter] = "{" + show(g.operand(a, trace.notation), "latex") + "}"
    return Formula(
        Template(prim.rules[pos]).safe_substitute(plain_names),
        Template(prim.rules_latex[pos]).safe_substitute(latex_names),
    )


def _times(adj: str, local: Expr) -> Formula:
    """w̄7 ⊙ (local partial), with 1 and -1 left out."""
    if isinstance(local, Const) and local.value in (1.0, -1.0):
        sign = "-" if local.value < 0 else ""
        return Formula(sign + adj, sign + latex_name(adj))
    plain, latex = show(local), show(local, "latex")
    if isinstance(local, Apply) and local.prim.plain.prec < ATOM:
        plain, latex = f"({plain})", f"\\left({latex}\\right)"
    return Formula(f"{adj} ⊙ {plain}", f"{latex_name(adj)} \\odot {latex}")


def generic_rule(prim: ArrayPrimitive, pos: int, fmt: str = "plain") -> str:
    """A VJP rule as a learner reads it in general: Ȳ·Bᵀ (Y the result, A and B the arguments)."""
    if prim.elementwise is not None:
        mapping: dict[str, Expr] = {c: Sym(c.upper()) for c in ARG_NAMES}
        formula = _times("Ȳ", simplify(substitute(partial_rule(prim.elementwise, pos), mapping)))
        return formula.latex.replace(latex_name("Ȳ"), "\\bar{Y}") if fmt == "latex" else formula.plain
    if fmt == "latex":
        names = {**{c: c.upper() for c in ARG_LETTERS}, "g": "\\bar{Y}", "y": "Y"}
        return Template(prim.rules_latex[pos]).safe_substitute(names)
    names = {**{c: c.upper() for c in ARG_LETTERS}, "g": "Ȳ", "y": "Y"}
    return Template(prim.rules[pos]).safe_substitute(names)


def _arg_adjoint(pos: int) -> Formula:
    """Ā, B̄, …: argument `pos`'s adjoint, in a rule written in general."""
    letter = ARG_LETTERS[pos].upper()
    return Formula(letter + "\u0304", f"\\bar{{{letter}}}")


def reverse_section(
    trace: ArrayTrace, rpass: Any, digits: int, explain: bool, several: bool, terms: bool = False
) -> Section:
    g = trace.graph
    order = [i for i in reversed(g.numbered)]
    seeds = [
        Step(
            "seed",
            j,
            Sym(bar(trace.label(j))),
            (Line("value", matrix(seed, digits)),),
            inline=True,
            aside=aw.seed_aside(shape_text(trace.shape(j)), rpass.output is not None),
        )
        for j, seed in rpass.seeds.items()
    ]
    steps_at = [j for j in order if g.parents[j]]

    def step(k: int) -> Step:
        return reverse_step(trace, rpass, steps_at[k], digits, explain, terms)

    title = aw.REVERSE if not several or rpass.output is None else aw.reverse_of(rpass.output)
    blocks = (
        Block("notes", (Note("text", (aw.REVERSE_INTRO,)),)),
        Block("steps", steps=Lazy(len(seeds), seeds.__getitem__)),
        Block("steps", steps=Lazy(len(steps_at), step)),
    )
    return Section("reverse", title, blocks)


def reverse_step(trace: ArrayTrace, rpass: Any, j: int, digits: int, explain: bool, split: bool = False) -> Step:
    """w̄j = Σ over its parents of each one's rule (w̄5·w2ᵀ), then the contributions as matrices, then w̄j; an
    output that other nodes use starts its sum with its seed. With `split`, each contribution as a Term."""
    g = trace.graph
    plain_terms: list[Math] = []
    number_terms: list[Math] = []
    uses: list[PartialUse] = []
    sentences: list[str] = []
    notes: list[Note] = []
    said: list[str] = []
    seeded = j in rpass.seeds
    if seeded:
        out = next((o.name for o in g.outputs if o.node == j), trace.label(j))
        plain_terms.append(Sym(bar(out)))
        number_terms.append(matrix(rpass.seeds[j], digits))
    for (p, pos), product in zip(g.parents[j], rpass.products[j], strict=True):
        adj = bar(trace.label(p))
        prim = trace.prim(p)
        formula = rule(trace, p, pos, adj)
        plain = formula.plain
        plain_terms.append(formula)
        number_terms.append(matrix(product, digits))
        shapes = shape_equation(trace, p, pos)
        uses.append(
            PartialUse(
                p,
                pos,
                Formula(f"{adj} → {bar(trace.label(j))}", f"{latex_name(adj)} \\to {latex_name(bar(trace.label(j)))}"),
                Formula(f"{plain}  {shapes}", f"{formula.latex}\\quad {_latex_shapes(shapes)}"),
                f"{prim.rule}: {generic_rule(prim, pos)}",
                (prim.rule, _arg_adjoint(pos), Formula(generic_rule(prim, pos), generic_rule(prim, pos, "latex"))),
            )
        )
        if trace.shape(j) != trace.shape(p) and prim.elementwise is not None:
            notes.append(
                Note("aside", (aw.broadcast(trace.label(j), shape_text(trace.shape(j)), shape_text(trace.shape(p))),))
            )
        if explain:
            edge = explain_edge(trace, rpass, p, pos, j, digits)
            sentences.extend(edge)
            said.append(" ".join(edge))
    count = len(number_terms)
    if explain and count > 1:
        sentences.append(aw.summed(trace.label(j), count, shape_text(trace.shape(j))))
    lines = [Line("symbols", Sum(tuple(plain_terms)))]
    if count > 1 or trace.values[j].ndim:
        lines.append(Line("products", Sum(tuple(number_terms))))
    lines.append(Line("value", matrix(rpass.adjoints[j], digits)))
    terms: tuple[Term, ...] = ()
    if split:
        head = 1 if seeded else 0
        terms = tuple(
            Term(
                p,
                pos,
                (Line("rules", plain_terms[head + k]), Line("value", number_terms[head + k])),
                float("nan"),  # an array contribution: its numbers are the Matrix of its last line
                Running(tuple(number_terms), head + k + 1),
                said[k] if explain else "",
            )
            for k, (p, pos) in enumerate(g.parents[j])
        )
    return Step(
        "reverse",
        j,
        Sym(bar(trace.label(j))),
        tuple(lines),
        partials=tuple(uses),
        uses=tuple(p for p, _ in g.parents[j]),
        edges=tuple((j, p) for p, _ in g.parents[j]),
        explain=tuple(sentences),
        notes=tuple(notes),
        terms=terms,
    )


def shape_equation(trace: ArrayTrace, p: int, pos: int) -> str:
    """The shapes of a rule's factors, as matrices: (2×3) = (2×1)·(1×3) for W̄ = ȳ·xᵀ (a vector on the left of
    @ is a row, on the right a column, as numpy reads it); for the other rules, the shape of the result."""
    prim = trace.prim(p)
    args = [trace.shape(a) for a in trace.graph.nodes[p].args]
    result = shape_text(args[pos])
    if prim.name == "matmul":
        (m, n), (n2, q) = _matrix_shape(args[0], "row"), _matrix_shape(args[1], "column")
        factors = (f"({m}×{q})", f"({q}×{n2})") if pos == 0 else (f"({n}×{m})", f"({m}×{q})")
        return aw.shape_product(result, *factors)
    if prim.name == "outer":
        m, n = int(np.prod(args[0])), int(np.prod(args[1]))
        factors = (f"({m}×{n})", f"({n}×1)") if pos == 0 else (f"({n}×{m})", f"({m}×1)")
        return aw.shape_product(result, *factors)
    return aw.shape_only(result)


def _latex_shapes(text: str) -> str:
    """[2×3 = (2×1)·(1×3)] in LaTeX; 'shape' and 'scalar' as words."""
    for word in ("shape", "scalar"):
        text = text.replace(word, f"\\text{{{word}}}\\ ")
    return text.replace("×", " \\times ").replace("·", " \\cdot ")


def _matrix_shape(shape: tuple[int, ...], vector: str) -> tuple[int, int]:
    if len(shape) == 2:
        return shape[0], shape[1]
    return (1, shape[0]) if vector == "row" else (shape[0], 1)


def explain_edge(trace: ArrayTrace, rpass: Any, p: int, pos: int, j: int, digits: int) -> list[str]:
    prim: ArrayPrimitive = trace.prim(p)
    out = [aw.index_form(trace.label(p), prim.index_form, prim.index_rules[pos] if prim.index_rules else "")]
    worked = worked_element(trace, rpass, p, pos, j, digits)
    if worked:
        out.append(worked)
    size_p, size_j = trace.values[p].size, trace.values[j].size
    if size_p > 1 and size_j > 1:
        out.append(aw.jacobian_size(trace.label(p), trace.label(j), size_p, size_j))
    return out


def _at(label: str, index: tuple[int, ...]) -> str:
    return f"{label}[{','.join(map(str, index))}]" if index else label


def worked_element(trace: ArrayTrace, rpass: Any, p: int, pos: int, j: int, digits: int) -> str:
    """The rule on one element of the learner's numbers: w̄1[0,1] = w̄5[0]·w2[1] = (-8.8)·2 = -17.6 (the
    element with the largest contribution, so the example is never a trivial 0)."""
    prim = trace.prim(p)
    product = np.asarray(rpass.products[j][[q for q, _ in trace.graph.parents[j]].index(p)])
    if product.ndim == 0:
        return ""
    index = tuple(int(k) for k in np.unravel_index(int(np.argmax(np.abs(product))), product.shape))
    adj_p, adj_j = bar(trace.label(p)), bar(trace.label(j))
    g = np.asarray(rpass.adjoints[p])
    args = trace.graph.nodes[p].args
    value = number(float(product[index]), digits)
    if prim.name == "matmul":
        other = args[1 - pos]
        a_shape, b_shape = trace.shape(args[0]), trace.shape(args[1])
        terms = _matmul_terms(index, pos, a_shape, b_shape)
        parts = [f"{_at(adj_p, gi)}·{_at(_label(trace, other), oi)}" for gi, oi in terms]
        numbers = [f"{_neg(float(g[gi]), digits)}·{_neg(float(trace.values[other][oi]), digits)}" for gi, oi in terms]
        return aw.worked(_at(adj_j, index), parts, numbers, value)
    if prim.elementwise is not None and g.shape == product.shape:
        local = number(float(trace.local_partial(p, pos)[index]), digits)
        return aw.worked(
            _at(adj_j, index), [f"{_at(adj_p, index)}·∂{_at(trace.label(p), index)}/∂{_at(trace.label(j), index)}"],
            [f"{_neg(float(g[index]), digits)}·{local if not local.startswith('-') else f'({local})'}"], value,
        )  # fmt: skip
    return ""


def _neg(value: float, digits: int) -> str:
    """A factor in a product: a negative one in parentheses, 2·(-8.8)."""
    text = number(value, digits)
    return f"({text})" if text.startswith("-") else text


Pair = tuple[tuple[int, ...], tuple[int, ...]]


def _matmul_terms(index: tuple[int, ...], pos: int, a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> list[Pair]:
    """The (adjoint index, other factor's index) pairs of one element of a matmul's VJP, in numpy's indexing
    of the original shapes (a vector keeps one index): ā[i, j] = Σ_k ȳ[i, k]·b[j, k], b̄[j, k] = Σ_i a[i, j]·ȳ[i, k]."""
    pairs: list[Pair] = []
    if pos == 0:
        row = index[0] if len(a_shape) == 2 else None
        for k in range(b_shape[1]) if len(b_shape) == 2 else [None]:
            pairs.append((tuple(x for x in (row, k) if x is not None), (index[-1],) if k is None else (index[-1], k)))
    else:
        col = index[1] if len(b_shape) == 2 else None
        for r in range(a_shape[0]) if len(a_shape) == 2 else [None]:
            pairs.append((tuple(x for x in (r, col) if x is not None), (index[0],) if r is None else (r, index[0])))
    return pairs[:4]


def tangent_section(trace: ArrayTrace, tpass: Any, digits: int) -> Section:
    g = trace.graph
    order = list(g.numbered)

    def step(k: int) -> Step:
        i = order[k]
        if g.nodes[i].is_input:  # its seed: ones on the input this pass differentiates by, else zeros
            tangent = matrix(tpass.tangents[i], digits)
            return Step("tangent", i, Sym(aw.dot_label(trace.label(i))), (Line("value", tangent),), inline=True,
                        aside=aw.tangent_seed(g.nodes[i].name or ""))  # fmt: skip
        lines = (Line("symbols", tangent_rule(trace, tpass, i)), Line("value", matrix(tpass.tangents[i], digits)))
        return Step("tangent", i, Sym(aw.dot_label(trace.label(i))), lines)

    title = aw.tangent_title(tpass.input)
    return Section("tangent", title, (Block("steps", steps=Lazy(len(order), step)),))


def tangent_rule(trace: ArrayTrace, tpass: Any, i: int) -> Formula:
    """ẇ5 = ẇ1 @ w2: how a tangent flows forward through node i (its JVP), over the labels; an argument
    whose tangent is 0 in this pass (no path from the seeded input) is left out."""
    g = trace.graph
    node = g.nodes[i]
    prim = trace.prim(i)
    moving = [k for k, a in enumerate(node.args) if not g.nodes[a].is_const and np.any(tpass.tangents[a])]
    if not moving:
        return Formula("0", "0")
    dots: dict[str, Expr] = {trace.label(node.args[k]): Sym(aw.dot_label(trace.label(node.args[k]))) for k in moving}
    if prim.elementwise is not None:
        mapping: dict[str, Expr] = {ARG_NAMES[k]: _operand(trace, a) for k, a in enumerate(node.args)}
        scalar = prim.elementwise
        parts = [
            _times(aw.dot_label(trace.label(node.args[k])), simplify(substitute(partial_rule(scalar, k), mapping)))
            for k in moving
        ]
        return _joined(parts)
    if prim.tangent_rule:
        names = {"t": aw.dot_label(trace.label(node.args[0])), "a": trace.label(node.args[0]), "y": trace.label(i)}
        text = Template(prim.tangent_rule).safe_substitute(names)
        return Formula(text, "\\text{" + text.replace("Σ", "sum of") + "}")
    definition = g.definition(i, trace.notation)
    if prim.linear:
        moved = substitute(definition, dots)
        return Formula(show(moved), show(moved, "latex"))
    terms = [substitute(definition, {trace.label(node.args[k]): dots[trace.label(node.args[k])]}) for k in moving]
    return _joined([Formula(show(t), show(t, "latex")) for t in terms])


def _joined(parts: list[Formula]) -> Formula:
    """Terms added, a negative one subtracted: ẇ11 - ẇ6."""
    plain, latex = parts[0].plain, parts[0].latex
    for part in parts[1:]:
        neg = part.plain.startswith("-")
        plain += f" - {part.plain[1:]}" if neg else f" + {part.plain}"
        latex += f" - {part.latex[1:]}" if neg else f" + {part.latex}"
    return Formula(plain, latex)


def result_section(trace: ArrayTrace, digits: int) -> Section:
    """The output's value, then each input's gradient (a scalar output, unit seed), or each input's adjoint of
    the first pass, read as seedᵀ·J (an array output, or a seed of your own): never called ∂y/∂x when it isn't."""
    g = trace.graph
    out = g.outputs[0]
    scalar = trace.values[out.node].ndim == 0
    seeded = trace.reverse[0] if trace.reverse and (not scalar or not trace.unit_seeds) else None
    grads = trace.gradient if seeded is None else {n: seeded.adjoints[i] for n, i in g.inputs.items()}
    names = list(g.inputs)

    def row(k: int) -> Step:
        name = names[k]
        shape = trace.shape(g.inputs[name])
        head = f"∂{out.name}/∂{name}" if seeded is None else f"{bar(name)} (seedᵀ·J)"
        cells = ((head,), (shape_text(shape),), (matrix(grads[name], digits),))
        return Step("jacobian_row", g.inputs[name], cells=cells)

    columns = (Column("derivative" if seeded is None else "adjoint"), Column("shape"), Column("value"))
    value = Note("formula", (f"{out.name} = ", matrix(trace.values[out.node], digits)))
    if seeded is None:
        said = aw.gradient_intro(out.name, shape_text(trace.shape(out.node)), bool(trace.forward) and not trace.reverse)
    else:
        said = aw.seeded_intro(", ".join(o.name for o in g.outputs if o.node in seeded.seeds))
    notes = [value, Note("text", (said,))]
    table = Block("table", steps=Lazy(len(names), row), columns=columns, what="inputs")
    return Section("result", aw.RESULT, (Block("notes", tuple(notes)), table))


# -- the element level's extra section: each array node's Jacobian, and its sparsity -----------------------


def sparsity_section(graph: Graph) -> Section | None:
    """For --elements: which elements of each array node depend on which elements of its arguments."""
    mapping: ElementMap | None = graph.elements
    if mapping is None:
        return None
    tape = mapping.tape
    blocks: list[Block] = [Block("notes", (Note("text", (aw.SPARSITY_INTRO,)),))]
    for i in tape.numbered:
        node = tape.nodes[i]
        if node.is_input:
            continue
        for a in dict.fromkeys(node.args):
            if tape.nodes[a].is_const:
                continue
            pattern = dependence(mapping, graph, i, a)
            if pattern.ndim < 2 or pattern.size > 400:
                continue
            blocks.extend(_pattern_blocks(tape, mapping, i, a, pattern))
    if len(blocks) == 1:
        return None
    return Section("closed_form", aw.SPARSITY, tuple(blocks))


def _pattern_blocks(tape: Graph, mapping: ElementMap, i: int, a: int, pattern: Array) -> list[Block]:
    out_shape = mapping.values[i].shape
    arg_shape = mapping.values[a].shape
    name_i, name_a = _array_name(tape, i), _array_name(tape, a)
    rows = pattern.reshape(int(np.prod(out_shape)) if out_shape else 1, -1)
    out_names = [element_name(name_i, idx) for idx in np.ndindex(*out_shape)] or [name_i]
    arg_names = [element_name(name_a, idx) for idx in np.ndindex(*arg_shape)] or [name_a]
    nonzero = int(rows.sum())

    def row(k: int) -> Step:
        cells = ((out_names[k],), *((("■" if rows[k, m] else "·"),) for m in range(rows.shape[1])))
        return Step("jacobian_row", cells=cells)

    columns = (Column(f"∂{name_i}/∂{name_a}"), *(Column(n) for n in arg_names))
    caption = Note("text", (aw.pattern_caption(name_i, name_a, nonzero, rows.size, _named_definition(tape, i)),))
    return [Block("notes", (caption,)), Block("table", (), Lazy(rows.shape[0], row), columns, what="rows")]


def _array_name(tape: Graph, i: int) -> str:
    """An array node by the program's name for it (W, y), or as ⟨w3⟩: its label on the array tape, which
    the element level's own labels would otherwise be mistaken for."""
    node = tape.nodes[i]
    return node.name if node.name and not node.is_const else f"⟨{tape.label(i)}⟩"


def _named_definition(tape: Graph, i: int) -> str:
    mapping: dict[str, Expr] = {
        tape.label(a): Sym(_array_name(tape, a)) for a in tape.nodes[i].args if not tape.nodes[a].is_const
    }
    return show(substitute(tape.definition(i), mapping))
