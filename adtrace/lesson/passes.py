"""The steps of the passes: seeds, reverse steps (numeric and symbolic) and forward-mode tangents.

A reverse step w̄j = Σ w̄p·∂wp/∂wj is made at every level a learner meets: the chain rule in symbols,
the local partials filled in, the numbers, the products, the sum; then the adjoint as a formula in the
nodes (when the symbolic layer is there), the partials with their rules, the sentences, the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..engine.symbolic import SymbolicPass, rounded
from ..engine.trace import ReversePass, TangentPass, Trace
from ..engine.trace import Term as TraceTerm
from ..expr import Const, Expr, product
from . import words
from .lazy import Kept, Lazy
from .math import Math, Partial, Prod, Running, Sum, adjoint, num, seed_num, tangent
from .model import Answer, Line, Note, PartialUse, Step, Term
from .rules import rule_math, rule_text
from .tidy import tidy


def _leaf(j: int, label: str, output: str | None, seed: float | None, sentences: tuple[str, ...]) -> Step:
    """The step of a node no other node uses: an output's adjoint is its seed; any other node's is 0."""
    if output is not None and seed is not None:
        value = seed_num(seed)
        return Step(
            "reverse",
            j,
            adjoint(label),
            (Line("symbols", adjoint(output)), Line("value", value)),
            aside=words.SEED_IS_OUTPUT.format(z=output),
            uses=(j,),
            answer=Answer(value.value, value),
            inline=True,
        )
    zero = Const(0.0, "0")
    return Step(
        "reverse",
        j,
        adjoint(label),
        (Line("value", zero),),
        aside=words.NO_PARENTS,
        uses=(j,),
        explain=sentences,
        answer=Answer(0.0, zero),
        inline=True,
    )


def partial_use(trace: Trace, p: int, pos: int, j: int) -> PartialUse:
    prim = trace.graph.nodes[p].prim
    return PartialUse(
        p,
        pos,
        Partial(trace.label(p), trace.label(j)),
        tidy(trace.partial_formula(p, pos)),
        rule_text(prim, pos),
        rule_math(prim, pos),
        note=trace.notes.get(p, ""),
    )


def seed_steps(trace: Trace, seeds: dict[int, float], explain: bool) -> list[Step]:
    """One step per seeded output: z̄ = ∂z/∂z = 1 (or the seed given)."""
    steps = []
    for out in trace.graph.outputs:
        if out.node not in seeds:
            continue
        seed = seeds[out.node]
        lines = (Line("symbols", Partial(out.name, out.name)),) if seed == 1 else ()
        sentences = (words.explain_seed_of(trace.label(out.node), out.name, seed),) if explain else ()
        steps.append(
            Step(
                "seed",
                out.node,
                adjoint(out.name),
                (*lines, Line("value", seed_num(seed))),
                aside="" if seed == 1 else words.seed_aside(out.name),
                uses=(out.node,),
                explain=sentences,
                answer=Answer(seed, seed_num(seed)),
                inline=True,
            )
        )
    return steps


def reverse_step(
    trace: Trace, rpass: ReversePass, spass: SymbolicPass | None, j: int, digits: int, explain: bool, split: bool
) -> Step:
    label = trace.label(j)
    graph = trace.graph
    seed = rpass.seeds.get(j)
    output = words.output_name_of(trace, j)
    edges = graph.parents[j]
    sentences = tuple(words.explain_step(trace, rpass, j, digits)) if explain else ()
    if not edges:
        return _leaf(j, label, output, rpass.seeds.get(j, 0.0) if output is not None else None, sentences)
    terms = trace.terms(rpass, j)
    head: list[Math] = [adjoint(output or "")] if seed is not None else []
    head_num: list[Math] = [seed_num(seed)] if seed is not None else []
    if len(terms) <= EAGER:  # the common step: every level made at once, in one walk of the terms
        partials: Sequence[PartialUse] = tuple([partial_use(trace, t.parent, t.position, j) for t in terms])
        pairs = list(zip(terms, partials, strict=True))
        lines = [
            Line("symbols", Sum((*head, *[_by_symbol(trace, t, u) for t, u in pairs]))),
            Line("rules", Sum((*head, *[_by_rule(trace, t, u) for t, u in pairs]))),
            Line("numbers", Sum((*head_num, *[_by_number(trace, t, u, digits) for t, u in pairs]))),
        ]
    else:  # thousands of parents: each level made when printed, each partial once (a view may print head and tail)
        kept = partials = Kept(len(terms), lambda k: partial_use(trace, terms[k].parent, terms[k].position, j))
        lines = [
            Line("symbols", _sum(head, len(terms), lambda k: _by_symbol(trace, terms[k], kept[k]))),
            Line("rules", _sum(head, len(terms), lambda k: _by_rule(trace, terms[k], kept[k]))),
            Line("numbers", _sum(head_num, len(terms), lambda k: _by_number(trace, terms[k], kept[k], digits))),
        ]

    def products(k: int) -> Math:
        return num(terms[k].product, digits)

    if len(terms) + len(head) > 1:
        lines.append(Line("products", _sum(head_num, len(terms), products)))
    rules = lines[1].math
    lines.append(Line("value", num(rpass.adjoints[j], digits)))
    formula: Math = rules
    also: tuple[Line, ...] = ()
    if spass is not None and not isinstance(spass.adjoint[j], Const):
        also = (Line("expanded", spass.expanded[j]), Line("simplified", spass.adjoint[j]))
        formula = spass.adjoint[j]
    return Step(
        "reverse",
        j,
        adjoint(label),
        tuple(lines),
        partials=partials,
        uses=(j, *dict.fromkeys(t.parent for t in terms)),
        edges=tuple((j, t.parent) for t in terms),
        explain=sentences,
        answer=Answer(rpass.adjoints[j], formula),
        terms=_terms(trace, rpass, j, terms, partials, head_num, digits, explain) if split else (),
        also=also,
    )


def _by_symbol(trace: Trace, t: TraceTerm, u: PartialUse) -> Math:
    """A term of a reverse step in symbols: w̄p·∂wp/∂wj."""
    return Prod((adjoint(trace.label(t.parent)), u.symbol))


def _by_rule(trace: Trace, t: TraceTerm, u: PartialUse) -> Math:
    """The same term with its local partial's rule filled in: w̄p·cos(wj)."""
    return product(adjoint(trace.label(t.parent)), _expr(u.formula))


def _by_number(trace: Trace, t: TraceTerm, u: PartialUse, digits: int) -> Math:
    """The same term in numbers: 2·cos(0.5)."""
    return product(num(t.parent_adjoint, digits), trace.with_values(_expr(u.formula), digits))


def _terms(
    trace: Trace,
    rpass: ReversePass,
    j: int,
    terms: list[TraceTerm],
    partials: Sequence[PartialUse],
    head_num: list[Math],
    digits: int,
    explain: bool,
) -> tuple[Term, ...]:
    """Each contribution on its own, with the running sum after it (the stepper reveals them one by one)."""
    alone = len(terms) == 1 and not head_num
    products = (*head_num, *(num(t.product, digits) for t in terms))
    out: list[Term] = []
    for k, (t, u) in enumerate(zip(terms, partials, strict=True)):
        out.append(
            Term(
                t.parent,
                t.position,
                (
                    Line("symbols", _by_symbol(trace, t, u)),
                    Line("rules", _by_rule(trace, t, u)),
                    Line("numbers", _by_number(trace, t, u, digits)),
                    Line("value", num(t.product, digits)),
                ),
                t.product,
                Running(products, len(head_num) + k + 1),
                words.explain_term(trace, rpass, j, t, alone, digits) if explain else "",
            )
        )
    return tuple(out)


EAGER = 64
"""Up to this many terms a step makes its sums at once; a node with more parents makes them when printed."""


def _sum(head: list[Math], count: int, make: Callable[[int], Math]) -> Sum:
    """head (the seed term, if any) + one term per parent."""
    if count <= EAGER:
        return Sum((*head, *(make(k) for k in range(count))))
    first = len(head)
    return Sum(Lazy(first + count, lambda k: head[k] if k < first else make(k - first)))


def symbolic_reverse_step(trace: Trace, spass: SymbolicPass, j: int, digits: int, explain: bool) -> Step:
    """A reverse step with formulas only: symbols, partials filled in, parent adjoints as formulas, simplified,
    then in the inputs."""
    label = trace.label(j)
    edges = trace.graph.parents[j]
    output = words.output_name_of(trace, j)
    if not edges:
        return _leaf(j, label, output, spass.seeds.get(j), ())
    partials = tuple(partial_use(trace, p, pos, j) for p, pos in edges)
    head: list[Math] = [adjoint(output or "")] if j in spass.seeds else []
    symbols = Sum((*head, *(Prod((adjoint(trace.label(u.parent)), u.symbol)) for u in partials)))
    rules = Sum((*head, *(product(adjoint(trace.label(u.parent)), _expr(u.formula)) for u in partials)))
    closed = rounded(spass.closed[j], digits)
    lines = [
        Line("symbols", symbols),
        Line("rules", rules),
        Line("expanded", spass.expanded[j]),
        Line("simplified", spass.adjoint[j]),
        Line("closed", closed),
    ]
    sentences = tuple(words.explain_symbolic_step(trace, spass, j)) if explain else ()
    return Step(
        "reverse",
        j,
        adjoint(label),
        tuple(lines),
        partials=partials,
        aside=words.IN_THE_INPUTS if closed != spass.adjoint[j] else "",
        uses=(j, *dict.fromkeys(p for p, _ in edges)),
        edges=tuple((j, p) for p, _ in edges),
        explain=sentences,
        answer=Answer(float("nan"), spass.adjoint[j]),
    )


def tangent_step(trace: Trace, tpass: TangentPass, i: int, digits: int, explain: bool) -> Step:
    """ẇi = Σ ∂wi/∂wk·ẇk over the node's arguments, beside the value."""
    graph = trace.graph
    node = graph.nodes[i]
    label = trace.label(i)
    aside = f"{label} = {num(trace.values[i], digits).text}"
    value = num(tpass.tangents[i], digits)
    if node.is_input:
        return Step(
            "tangent",
            i,
            tangent(label),
            (Line("symbols", tangent(node.name or "")), Line("value", value)),
            aside=aside,
            uses=(i,),
            answer=Answer(tpass.tangents[i], value),
            inline=True,
        )
    live = [(pos, a) for pos, a in enumerate(node.args) if not graph.nodes[a].is_const]
    partials = tuple(
        PartialUse(
            i,
            pos,
            Partial(label, trace.label(a)),
            tidy(trace.partial_formula(i, pos)),
            rule_text(node.prim, pos),
            rule_math(node.prim, pos),
        )
        for pos, a in live
    )
    symbols = Sum(tuple(Prod((u.symbol, tangent(trace.label(a)))) for u, (_, a) in zip(partials, live, strict=True)))
    rules = Sum(
        tuple(product(_expr(u.formula), tangent(trace.label(a))) for u, (_, a) in zip(partials, live, strict=True))
    )
    numbers = Sum(
        tuple(
            product(trace.with_values(_expr(u.formula), digits), num(tpass.tangents[a], digits))
            for u, (_, a) in zip(partials, live, strict=True)
        )
    )
    sentences = (words.explain_tangent(trace, tpass, i, digits),) if explain else ()
    return Step(
        "tangent",
        i,
        tangent(label),
        (Line("symbols", symbols), Line("rules", rules), Line("numbers", numbers), Line("value", value)),
        partials=partials,
        aside=aside,
        uses=(i, *(a for _, a in live)),
        edges=tuple((a, i) for _, a in live),
        explain=sentences,
        answer=Answer(tpass.tangents[i], rules),
    )


def _expr(math: Math) -> Expr:
    """A partial's formula is always an Expr (tidy keeps it one)."""
    assert not isinstance(math, (Partial, Prod, Sum)), "a local partial is a formula"
    return math  # type: ignore[return-value]


def seed_notes(trace: Trace, seeds: dict[int, float], output: str | None, target: str) -> tuple[Note, ...]:
    """Why this seed, and what the adjoints of this pass are derivatives of."""
    graph = trace.graph
    notes: list[Note] = []
    if len(graph.outputs) == 1:
        out = graph.outputs[0]
        seed = seeds.get(out.node, 0.0)
        reason = words.SEED_REASON.format(z=out.name)
        if seed != 1:
            reason += words.scaled_seed(f"{seed:g}", out.name)
        notes.append(Note("aside", (reason,)))
    elif output is not None:
        notes.append(Note("aside", (words.unit_seed(output),)))
    else:
        notes.append(Note("aside", (words.vjp_seed(target),)))
    notes.append(Note("aside", (words.adjoint_notation(trace.letter, target),)))
    return tuple(notes)
