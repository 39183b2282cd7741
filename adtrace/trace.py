"""The Trace: the single data model every renderer reads.

It holds structure and numbers only (node indices, primitives, values, local
partials, adjoints, per-edge products); text, rich markup and LaTeX are made
from it on demand by renderers, which never recompute a derivative. Big
graphs stay small: one float per node and per edge, no strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple

from .expr import Apply, Const, Expr, Sym, number, partial_rule, substitute
from .graph import Graph
from .primitives import ARG_NAMES

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

Mode = Literal["reverse", "forward", "both"]
Notation = Literal["w", "v"]


@dataclass(frozen=True)
class ReversePass:
    """One reverse sweep from seeds on the outputs."""

    seeds: dict[int, float]
    """Output node index → the adjoint put on it before the sweep."""
    adjoints: list[float]
    products: list[tuple[float, ...]]
    """Per node j, w̄_p·∂w_p/∂w_j for each (p, pos) in graph.parents[j]."""
    output: str | None = None
    """The output this pass differentiates, when its seed is the unit vector e_k."""


@dataclass(frozen=True)
class TangentPass:
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


@dataclass(frozen=True)
class Trace:
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

    # -- what users ask for -------------------------------------------
    @property
    def source(self) -> str:
        return self.graph.source

    @property
    def value(self) -> float:
        """The value of the (first) output."""
        return self.values[self.graph.outputs[0].node]

    @property
    def outputs(self) -> dict[str, float]:
        return {o.name: self.values[o.node] for o in self.graph.outputs}

    @property
    def gradient(self) -> dict[str, float]:
        """∂(first output)/∂(each input)."""
        return self.jacobian[self.graph.outputs[0].name]

    # -- helpers for renderers: lookups, never arithmetic --------------
    def label(self, i: int) -> str:
        return self.graph.label(i, self.notation)

    def definition(self, i: int) -> Expr:
        return self.graph.definition(i, self.notation)

    def with_values(self, expr: Expr, digits: int) -> Expr:
        """The same formula with every node label replaced by that node's value."""
        mapping: dict[str, Expr] = {}
        stack = [expr]
        while stack:  # only the labels the formula uses: a big graph's rows stay O(1) each
            item = stack.pop()
            if isinstance(item, Sym):
                i = self._index_of_label.get(item.name)
                if i is not None:
                    mapping[item.name] = Const(self.values[i], number(self.values[i], digits))
            elif isinstance(item, Apply):
                stack.extend(item.args)
        return substitute(expr, mapping)

    @cached_property
    def _index_of_label(self) -> dict[str, int]:
        return {self.label(i): i for i in self.graph.numbered}

    def partial_formula(self, i: int, k: int) -> Expr:
        """∂w_i/∂(argument k) as a formula over node labels: the rule with its arguments filled in."""
        node = self.graph.nodes[i]
        mapping = {ARG_NAMES[m]: self.graph.operand(a, self.notation) for m, a in enumerate(node.args)}
        return substitute(partial_rule(node.prim, k), mapping)

    def terms(self, rpass: ReversePass, j: int) -> list[Term]:
        """Every contribution to w̄_j in this pass, one per (parent, argument position)."""
        return [
            Term(p, pos, rpass.adjoints[p], self.partials[p][pos], prod)
            for (p, pos), prod in zip(self.graph.parents[j], rpass.products[j], strict=True)
        ]

    # -- display ------------------------------------------------------
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from .render.terminal import render

        yield render(self)

    def __str__(self) -> str:
        from .render.terminal import to_text

        return to_text(self)

    def to_json(self, indent: int | None = 2) -> str:
        from .render.json import to_json

        return to_json(self, indent=indent)
