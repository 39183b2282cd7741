"""The Trace: the single data model of the numbers, which the Lesson and the JSON view read.

It holds structure and numbers only (node indices, primitives, values, local
partials, adjoints, per-edge products); text, rich markup and LaTeX are made
from it on demand by renderers, which never recompute a derivative. Big
graphs stay small: one float per node and per edge, no strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple

from ..errors import NoValuesError
from ..expr import Apply, Const, Expr, Sym, number, partial_rule, show, substitute
from ..primitives import ARG_NAMES
from .graph import Graph

if TYPE_CHECKING:  # a trace without its symbolic layer (-q, --no-symbolic) loads no symbolic code
    from .symbolic import SymbolicTrace

Mode = Literal["reverse", "forward", "both"]
Notation = Literal["w", "v"]


class ReversePass(NamedTuple):
    """One reverse sweep from seeds on the outputs."""

    seeds: dict[int, float]
    """Output node index → the adjoint put on it before the sweep."""
    adjoints: list[float]
    products: list[tuple[float, ...]]
    """Per node j, w̄_p·∂w_p/∂w_j for each (p, pos) in graph.parents[j]."""
    output: str | None = None
    """The output this pass differentiates, when its seed is the unit vector e_k."""


class TangentPass(NamedTuple):
    """One forward-mode sweep from seeds on the inputs."""

    seeds: dict[int, float]
    """Input node index → its tangent ẋ."""
    tangents: list[float]
    products: list[tuple[float, ...]]
    """Per node i, ∂w_i/∂w_k·ẇ_k for each argument k (0 for constants)."""
    input: str | None = None
    """The input this pass differentiates by, when its seed is the unit vector e_k."""


class Term(NamedTuple):
    """One edge of a reverse step: the parent's adjoint times the local partial."""

    parent: int
    position: int
    parent_adjoint: float
    partial: float
    product: float


@dataclass(frozen=True, eq=False)
class Trace:
    """The numbers of one trace: the graph, the forward sweep's values and local partials, every reverse and
    tangent pass, and the formulas behind them (`api.Trace` adds the ways a trace shows itself)."""

    graph: Graph
    inputs: dict[str, float]
    values: list[float]
    partials: list[tuple[float, ...]]
    """Per node, ∂w_i/∂(argument k): shared by every pass in both modes."""
    notes: dict[int, str]
    """Node index → the convention used where its primitive has a kink."""
    mode: Mode
    reverse: tuple[ReversePass, ...]
    forward: tuple[TangentPass, ...]
    jacobian: dict[str, dict[str, float]]
    """Output name → input name → ∂output/∂input."""
    notation: Notation = "w"
    warnings: tuple[str, ...] = field(default=())
    symbolic: SymbolicTrace | None = None
    """The formulas behind the numbers (symbolic.py); None when left out (--no-symbolic, big graphs)."""
    symbolic_note: str = ""
    """Why the symbolic layer was left out, when it was."""

    # -- what users ask for -------------------------------------------
    @property
    def source(self) -> str:
        return self.graph.source

    @property
    def symbolic_only(self) -> bool:
        """Some input has no value: the trace holds formulas, and numbers only where all inputs are known."""
        return len(self.inputs) < len(self.graph.inputs)

    @property
    def value(self) -> float:
        """The value of the (first) output."""
        self._need_values("value")
        return self.values[self.graph.outputs[0].node]

    @property
    def outputs(self) -> dict[str, float]:
        self._need_values("outputs")
        return {o.name: self.values[o.node] for o in self.graph.outputs}

    @property
    def gradient(self) -> dict[str, float]:
        """∂(first output)/∂(each input)."""
        self._need_values("gradient")
        return self.jacobian[self.graph.outputs[0].name]

    @property
    def forward_jacobian(self) -> dict[str, dict[str, float]] | None:
        """The Jacobian as forward mode found it (one unit-seed pass per input), or None."""
        passes = {p.input: p for p in self.forward if p.input is not None}
        if not passes or len(passes) != len(self.graph.inputs):
            return None
        return {o.name: {x: passes[x].tangents[o.node] for x in self.graph.inputs} for o in self.graph.outputs}

    @property
    def result_jacobian(self) -> tuple[dict[str, dict[str, float]], Literal["reverse", "forward", "unshown"]]:
        """The Jacobian a Result section shows, and which passes it comes from: unit-seed reverse passes on
        screen, unit-seed forward passes on screen, or (custom seeds only) unit reverse passes not shown."""
        if any(p.output is not None for p in self.reverse):
            return self.jacobian, "reverse"
        forward = self.forward_jacobian
        if forward is not None:
            return forward, "forward"
        return self.jacobian, "unshown"

    def modes_agree(self, rel: float = 1e-9) -> bool | None:
        """Whether forward and reverse mode gave the same Jacobian (None if forward mode did not build one).

        The two modes add the same path products in different orders, so where large terms cancel
        (x*a + (x*b + x*c) at a = 1e16, b = -1e16, c = 1) they may differ by a few units in the last place
        of the terms, not of the result: each entry may differ by `rounding_bound` (see `cancellations`)."""
        forward = self.forward_jacobian
        if forward is None:
            return None
        return not self._beyond_rounding(forward, rel)

    def cancellations(self, rel: float = 1e-9) -> list[tuple[str, str, float, float, float]]:
        """The Jacobian entries where the two modes differ by more than `rel` but within rounding of the terms
        they add: (output, input, forward, reverse, Σ|path products|), for a note that explains it."""
        forward = self.forward_jacobian
        if forward is None:
            return []
        bound = self.rounding_bounds()
        return [
            (o, x, forward[o][x], self.jacobian[o][x], bound[o][x][1])
            for o in forward
            for x in forward[o]
            if not math.isclose(forward[o][x], self.jacobian[o][x], rel_tol=rel, abs_tol=rel)
            and abs(forward[o][x] - self.jacobian[o][x]) <= bound[o][x][0]
        ]

    def _beyond_rounding(self, forward: dict[str, dict[str, float]], rel: float) -> bool:
        differ = [
            (o, x)
            for o in forward
            for x in forward[o]
            if not math.isclose(forward[o][x], self.jacobian[o][x], rel_tol=rel, abs_tol=rel)
        ]
        if not differ:
            return False
        bound = self.rounding_bounds()
        return any(not abs(forward[o][x] - self.jacobian[o][x]) <= bound[o][x][0] for o, x in differ)

    @cached_property
    def _magnitudes(self) -> dict[str, dict[str, float]]:
        """Σ over paths from each input to each output of |the product of the local partials along it|: the
        size of the terms both modes add up (a forward sweep with |partials|, one per input)."""
        nodes = self.graph.nodes
        out: dict[str, dict[str, float]] = {o.name: {} for o in self.graph.outputs}
        for name, start in self.graph.inputs.items():
            size = [0.0] * len(nodes)
            size[start] = 1.0
            for i, node in enumerate(nodes):
                if node.args:
                    size[i] = math.fsum(
                        abs(d) * size[a] for a, d in zip(node.args, self.partials[i], strict=True) if size[a]
                    )
            for o in self.graph.outputs:
                out[o.name][name] = size[o.node]
        return out

    def rounding_bounds(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Output → input → (how far the two modes' sums may drift apart by rounding, Σ|path products|): each
        mode's error is at most about n·ε·Σ|path products| for n nodes (the standard bound for a sum)."""
        n = max(1, len(self.graph.nodes))
        eps = 2.0**-52
        return {
            o: {x: (2.0 * n * eps * size + 1e-300, size) for x, size in row.items()}
            for o, row in self._magnitudes.items()
        }

    @property
    def gradient_symbolic(self) -> dict[str, Expr] | None:
        """∂(first output)/∂(each input) as formulas in the inputs; None when the symbolic layer is left out."""
        return self.symbolic.gradient if self.symbolic is not None else None

    def _need_values(self, what: str) -> None:
        if self.symbolic_only:
            missing = [n for n in self.graph.inputs if n not in self.inputs]
            verb = "has" if len(missing) == 1 else "have"
            raise NoValuesError(
                f"this trace is symbolic ({', '.join(missing)} {verb} no value), so it has no numeric {what}: "
                "read gradient_symbolic, or give every input a value"
            )

    # -- helpers for renderers: lookups, never arithmetic --------------
    @property
    def letter(self) -> str:
        """The letter of node labels: the notation's (w, v), or another where a name would clash."""
        return self.graph.letters[self.notation]

    def label(self, i: int) -> str:
        return self._labels[i]

    def definition(self, i: int) -> Expr:
        node = self.graph.nodes[i]
        if node.is_input:
            return Sym(node.name or "")
        operands = self._operands
        return Apply(node.prim, tuple(operands[a] for a in node.args))

    @cached_property
    def _labels(self) -> list[str]:
        """Every node's label, made once for the views (each step asks for several)."""
        graph, notation = self.graph, self.notation
        return [graph.label(i, notation) for i in range(len(graph.nodes))]

    @cached_property
    def _operands(self) -> list[Expr]:
        """How each node appears inside another node's formula (Graph.operand), made once."""
        graph, notation = self.graph, self.notation
        return [graph.operand(i, notation) for i in range(len(graph.nodes))]

    def with_values(self, expr: Expr, digits: int) -> Expr:
        """The same formula with every node label replaced by that node's value."""
        if expr.__class__ is Sym:  # most formulas are a label or an operation on labels: no walk for those
            i = self._by_label.get(expr.name)
            return expr if i is None else Const(self.values[i], number(self.values[i], digits))
        mapping: dict[str, Expr] = {}
        stack = [expr]
        while stack:  # only the labels the formula holds: a lookup per symbol keeps big traces linear
            e = stack.pop()
            if isinstance(e, Sym):
                i = self._by_label.get(e.name)
                if i is not None:
                    mapping[e.name] = Const(self.values[i], number(self.values[i], digits))
            elif isinstance(e, Apply):
                stack.extend(e.args)
        return substitute(expr, mapping)

    @cached_property
    def _by_label(self) -> dict[str, int]:
        return {self.label(i): i for i in self.graph.numbered}

    def partial_formula(self, i: int, k: int) -> Expr:
        """∂w_i/∂(argument k) as a formula over node labels: the rule with its arguments filled in."""
        node = self.graph.nodes[i]
        operands = self._operands
        mapping = {ARG_NAMES[m]: operands[a] for m, a in enumerate(node.args)}
        return substitute(partial_rule(node.prim, k), mapping)

    def terms(self, rpass: ReversePass, j: int) -> list[Term]:
        """Every contribution to w̄_j in this pass, one per (parent, argument position)."""
        return [
            Term(p, pos, rpass.adjoints[p], self.partials[p][pos], prod)
            for (p, pos), prod in zip(self.graph.parents[j], rpass.products[j], strict=True)
        ]

    def __repr__(self) -> str:
        """Short, for a REPL: the expression and what it found (print(t) shows the whole trace)."""
        if self.symbolic_only:
            found = f"gradient_symbolic={ {k: show(v, 'code') for k, v in (self.gradient_symbolic or {}).items()} }"
        else:
            found = f"value={self.value!r}, gradient={self.gradient!r}"
        return f"Trace({self.source.strip()!r}, {found})"
