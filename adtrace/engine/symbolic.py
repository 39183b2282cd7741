"""Symbolic adjoints and closed-form gradients: the recipe the numbers follow.

Values flow through the graph; the symbols are the recipe. For every node this
module builds, as `Expr` formulas (printed by `expr.show` as plain text, adtrace
syntax or LaTeX):

* its value in terms of the inputs (`w3 = x1·x2`);
* per reverse pass, its adjoint in terms of the w's, first as the chain-rule sum
  with each parent adjoint replaced by that parent's own formula, unsimplified
  (`1·w2 + 1·cos(w1)`), then simplified (`w2 + cos(w1)`);
* its adjoint in terms of the inputs: for an input, the closed-form gradient
  (`∂z/∂x1 = x2 + cos(x1)`).

Inputs with a value become numbers (partial evaluation); the others stay symbols.

Blow-up: a formula that shares a sub-formula can double with every level
(`y = y*sin(y)` repeated). A value or adjoint formula with more than `LIMIT`
nodes is not substituted into later ones: it keeps its name (`w7`, `w̄5`) and
is listed once, let-style ("where w7 = …"). So every formula stays below
`LIMIT` per name, and the work per node is bounded; above `MAX_NODES` numbered
nodes the symbolic layer is skipped altogether (with a note), since nobody reads
a closed form of a graph that size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import EvaluationError
from ..expr import Apply, Const, Expr, Sym, evaluate, fold, number, partial_rule, substitute
from ..primitives import ARG_NAMES, BY_NAME
from .forward import TOO_LARGE
from .graph import Graph
from .simplify import Simplifier, const, number_of

LIMIT = 40
"""A formula with more nodes than this keeps its name instead of being written out."""
MAX_NODES = 200
"""Graphs with more numbered nodes than this get no symbolic layer."""

_MUL, _ADD = BY_NAME["mul"], BY_NAME["add"]
_FAILURES = (ValueError, ZeroDivisionError, OverflowError)


def adjoint_name(label: str) -> str:
    """w3 → w̄3 (the macron sits on the letter, before the digits); z@2 → z̄@2."""
    if "@" in label:
        base, _, version = label.partition("@")
        return adjoint_name(base) + "@" + version
    head = label.rstrip("0123456789-")
    return head + "\u0304" + label[len(head) :] if head else label + "\u0304"


class SymbolicPass(NamedTuple):
    """One reverse pass as formulas, per node index (constants hold Const 0)."""

    seeds: dict[int, float]
    output: str | None
    expanded: list[Expr]
    """Seed + Σ (parent adjoint's formula)·∂wp/∂wj over the w's, as the chain rule writes it."""
    adjoint: list[Expr]
    """`expanded`, simplified. A parent adjoint formula bigger than LIMIT stays as its name w̄p."""
    closed: list[Expr]
    """The adjoint in terms of the inputs (simplified); its name w̄j when kept as an intermediate."""
    where: dict[str, Expr]
    """Adjoints kept named in `closed`: w̄j → its formula (output to inputs)."""


@dataclass(frozen=True, eq=False)
class SymbolicTrace:
    """The formulas behind a trace's numbers: each node's value in the inputs, and each pass's adjoints."""

    forward: list[Expr]
    """Per node, its value in terms of the inputs (its label when kept as an intermediate)."""
    forward_where: dict[str, Expr]
    """Values kept named in the formulas: w7 → its formula (inputs to output)."""
    passes: tuple[SymbolicPass, ...]
    """Aligned with Trace.reverse; for a trace with no numbers, the passes it shows."""
    units: dict[str, SymbolicPass]
    """Output name → the pass with seed 1 on that output (the Jacobian's row)."""
    inputs: dict[str, int]
    outputs: tuple[str, ...]
    symbolic_inputs: tuple[str, ...]
    """Inputs with no value: they stay symbols (the others were substituted)."""
    limit: int = LIMIT
    notes: tuple[str, ...] = field(default=())

    @property
    def jacobian(self) -> dict[str, dict[str, Expr]]:
        """Output → input → ∂output/∂input in closed form."""
        return {o: {n: self.units[o].closed[i] for n, i in self.inputs.items()} for o in self.outputs}

    @property
    def gradient(self) -> dict[str, Expr]:
        return self.jacobian[self.outputs[0]]

    def where(self, spass: SymbolicPass | None = None) -> dict[str, Expr]:
        """Every named intermediate a formula of this pass may use (default: the first output's)."""
        spass = spass if spass is not None else self.units[self.outputs[0]]
        return {**self.forward_where, **spass.where}

    def bindings(self, exprs: Iterable[Expr], spass: SymbolicPass | None = None) -> list[tuple[str, Expr]]:
        """The 'where' list for some formulas: each named intermediate they use, directly or not, in let order."""
        table = self.where(spass)
        used: set[str] = set()
        stack = list(exprs)
        while stack:
            node = stack.pop()
            if isinstance(node, Sym):
                if node.name in table and node.name not in used:
                    used.add(node.name)
                    stack.append(table[node.name])
            elif isinstance(node, Apply):
                stack.extend(node.args)
        return [(name, expr) for name, expr in table.items() if name in used]

    def value_of(self, expr: Expr, point: dict[str, float], spass: SymbolicPass | None = None) -> float:
        """A formula's value at a point in the inputs, its named intermediates evaluated first (let order)."""
        env = dict(point)
        for name, formula in self.bindings([expr], spass):
            env[name] = evaluate(formula, env)
        return evaluate(expr, env)


def build(
    graph: Graph,
    known: dict[str, float],
    passes: list[tuple[dict[int, float], str | None]],
    notation: str = "w",
    limit: int = LIMIT,
) -> SymbolicTrace:
    """The symbolic layer for these reverse passes (seeds, output), plus a unit pass per output."""
    return _Builder(graph, known, notation, limit).run(passes)


def known_values(graph: Graph, known: dict[str, float]) -> list[float]:
    """Forward values where every input a node depends on has a value; nan elsewhere."""
    values = [node.const if node.is_const else math.nan for node in graph.nodes]
    for name, index in graph.inputs.items():
        if name in known:
            values[index] = known[name]
    for i, node in enumerate(graph.nodes):
        if node.args and all(values[a] == values[a] for a in node.args):
            try:
                values[i] = node.prim.evaluate(*[values[a] for a in node.args])
            except _FAILURES as error:
                overflow = isinstance(error, OverflowError)
                why = TOO_LARGE if overflow else node.prim.domain or "not finite"
                raise EvaluationError(
                    f"{graph.label(i)} {'overflows' if overflow else 'is undefined'} at the given values: {why}",
                    graph.span(i),
                    graph.source,
                ) from None
    return values


def rounded(expr: Expr, digits: int) -> Expr:
    """The same formula with long decimals (substituted input values) shown to `digits` digits."""

    def leaf(node: Const | Sym) -> Expr:
        if isinstance(node, Const) and number_of(node) is not None and len(node.text) > digits + 3:
            return Const(node.value, number(node.value, digits))
        return node

    return fold(expr, leaf, lambda node, args: Apply(node.prim, tuple(args)))


class _Builder:
    def __init__(self, graph: Graph, known: dict[str, float], notation: str, limit: int):
        self.graph = graph
        self.known = known
        self.notation = notation
        self.limit = limit
        self.simp = Simplifier()
        self.forward: list[Expr] = []
        self.forward_where: dict[str, Expr] = {}
        self.partials_x: dict[tuple[int, int], Expr] = {}
        self.partials_w: dict[tuple[int, int], Expr] = {}
        self.lengths: dict[int, tuple[Expr, bool]] = {}
        self.consts = [node.is_const for node in graph.nodes]
        self.operands = [self.operand(i) for i in range(len(graph.nodes))]
        """How each node appears in another's formula: its label, or a constant's text."""

    def run(self, passes: list[tuple[dict[int, float], str | None]]) -> SymbolicTrace:
        self.forward_forms()
        done = [self.reverse(seeds, output) for seeds, output in passes]
        units: dict[str, SymbolicPass] = {}
        for out in self.graph.outputs:
            found = next((p for p in done if p.output == out.name and p.seeds == {out.node: 1.0}), None)
            units[out.name] = found if found is not None else self.reverse({out.node: 1.0}, out.name)
        notes: list[str] = []
        named = list(dict.fromkeys(list(self.forward_where) + [n for p in units.values() for n in p.where]))
        if named:
            notes.append(
                f"{', '.join(named)} {'is' if len(named) == 1 else 'are'} kept as named intermediates: "
                f"written out in full each would be longer than {self.limit} symbols and operations"
            )
        return SymbolicTrace(
            forward=self.forward,
            forward_where=self.forward_where,
            passes=tuple(done),
            units=units,
            inputs=dict(self.graph.inputs),
            outputs=tuple(o.name for o in self.graph.outputs),
            symbolic_inputs=tuple(n for n in self.graph.inputs if n not in self.known),
            limit=self.limit,
            notes=tuple(notes),
        )

    def label(self, i: int) -> str:
        return self.graph.label(i, self.notation)

    def constant(self, i: int) -> Const:
        """A constant node as a formula with no name in it (`c*2` written out as `sin(1)*2`): a named constant
        is not an input, and its name may be reassigned, so a closed form must not refer to it."""
        node = self.graph.nodes[i]
        return Const(node.const, self.graph.constant_code(i))

    def operand(self, i: int) -> Expr:
        return self.constant(i) if self.graph.nodes[i].is_const else self.graph.operand(i, self.notation)

    def forward_forms(self) -> None:
        graph = self.graph
        for i, node in enumerate(graph.nodes):
            if node.is_const:
                form: Expr = self.simp.run(self.constant(i))
            elif node.is_input:
                name = node.name or ""
                form = const(self.known[name]) if name in self.known else Sym(name)
            else:
                args = tuple(self.forward[a] for a in node.args)
                form = self.simp.run(Apply(node.prim, args))
                if self.longer(form):
                    self.forward_where[self.label(i)] = form
                    form = Sym(self.label(i))
            self.forward.append(form)

    def longer(self, expr: Expr) -> bool:
        """Whether a formula has more nodes than the limit; a formula met again (the simplifier shares them) is
        looked up."""
        if type(expr) is not Apply:
            return self.limit < 1
        found = self.lengths.get(id(expr))
        if found is None:  # held, so the id stays its own
            found = self.lengths[id(expr)] = (expr, _longer(expr, self.limit))
        return found[1]

    def partial_x(self, p: int, pos: int) -> Expr:
        """∂wp/∂(argument pos) in terms of the inputs, simplified."""
        found = self.partials_x.get((p, pos))
        if found is None:
            node = self.graph.nodes[p]
            mapping = {ARG_NAMES[m]: self.forward[a] for m, a in enumerate(node.args)}
            found = self.partials_x[p, pos] = self.simp.run(substitute(partial_rule(node.prim, pos), mapping))
        return found

    def partial_w(self, p: int, pos: int) -> Expr:
        """∂wp/∂(argument pos) over node labels, as Trace.partial_formula gives it."""
        found = self.partials_w.get((p, pos))
        if found is None:
            node = self.graph.nodes[p]
            mapping = {ARG_NAMES[m]: self.operands[a] for m, a in enumerate(node.args)}
            found = self.partials_w[p, pos] = substitute(partial_rule(node.prim, pos), mapping)
        return found

    def reverse(self, seeds: dict[int, float], output: str | None) -> SymbolicPass:
        graph = self.graph
        n = len(graph.nodes)
        zero: Expr = Const(0, "0")
        expanded: list[Expr] = [zero] * n
        adjoint: list[Expr] = [zero] * n
        closed: list[Expr] = [zero] * n
        where: dict[str, Expr] = {}
        named = [False] * n
        """Whether adjoint[j] is longer than the limit: later formulas use its name."""
        run, longer, nodes, parents, consts = self.simp.run, self.longer, graph.nodes, graph.parents, self.consts
        partials_w, partials_x = self.partials_w, self.partials_x
        for j in range(n - 1, -1, -1):
            if consts[j]:
                continue
            in_w: list[Expr] = []
            in_x: list[Expr] = []
            if j in seeds:
                seed = const(seeds[j])
                in_w.append(seed)
                in_x.append(seed)
            for p, pos in parents[j]:
                parent = Sym(adjoint_name(self.label(p))) if named[p] else adjoint[p]
                in_w.append(Apply(_MUL, (parent, partials_w.get((p, pos)) or self.partial_w(p, pos))))
                in_x.append(Apply(_MUL, (closed[p], partials_x.get((p, pos)) or self.partial_x(p, pos))))
            expanded[j] = _sum(in_w) if in_w else zero
            adjoint[j] = run(expanded[j])
            named[j] = longer(adjoint[j])
            form = run(_sum(in_x)) if in_x else zero
            if not nodes[j].is_input and longer(form):
                name = adjoint_name(self.label(j))
                where[name] = form
                form = Sym(name)
            closed[j] = form
        return SymbolicPass(dict(seeds), output, expanded, adjoint, closed, where)


def _longer(expr: Expr, limit: int) -> bool:
    """size(expr) > limit, counting only until it is."""
    count = 0
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        count += 1
        if count > limit:
            return True
        if type(node) is Apply:
            stack.extend(node.args)
    return False


def _sum(items: list[Expr]) -> Expr:
    if len(items) == 1:
        return items[0]
    result = items[0]
    for item in items[1:]:
        result = Apply(_ADD, (result, item))
    return result
