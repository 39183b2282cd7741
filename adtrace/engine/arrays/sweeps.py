"""The reverse and forward sweeps over an array tape: vector–Jacobian and Jacobian–vector products.

Reverse: Ā_j = seed_j + Σ over parents p of A_j: vjp_p(Ā_p), each contribution the shape of A_j; the
tape is topologically ordered, so walking it backwards finishes every parent before its arguments, as in
the scalar sweep (engine/reverse.py). Forward: Ȧ_i = jvp_i(Ȧ of its arguments). No local Jacobian is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import numpy as np

from ...array_primitives import ArrayPrimitive
from ...errors import EvaluationError
from ..graph import Graph

Array = Any


class ArrayReversePass(NamedTuple):
    seeds: dict[int, Array]
    adjoints: list[Array]
    """Every node's adjoint, the shape of its value (zeros where no path leads to a seeded output)."""
    products: list[tuple[Array, ...]]
    """Per node j, the contribution of each (p, pos) in graph.parents[j]: vjp_p(Ā_p), the shape of A_j."""
    output: str | None = None


class ArrayTangentPass(NamedTuple):
    seeds: dict[int, Array]
    tangents: list[Array]
    input: str | None = None


def reverse(
    graph: Graph, values: list[Array], seeds: Mapping[int, Array], output: str | None = None
) -> ArrayReversePass:
    nodes = graph.nodes
    n = len(nodes)
    adjoint: list[Array] = [None] * n
    products: list[tuple[Array, ...]] = [()] * n
    for j, seed in seeds.items():
        adjoint[j] = np.array(seed, dtype=float)
    with np.errstate(all="ignore"):
        for j in range(n - 1, -1, -1):
            edges = graph.parents[j]
            if not edges:
                continue
            terms = []
            shape = values[j].shape
            for p, pos in edges:
                g = adjoint[p]
                if g is None:  # no path from the seeds through p
                    terms.append(np.zeros(shape))
                    continue
                prim = cast(ArrayPrimitive, nodes[p].prim)
                args = [values[a] for a in nodes[p].args]
                term = np.asarray(prim.vjp[pos](g, values[p], *args), dtype=float)
                terms.append(term if term.shape == shape else np.broadcast_to(term, shape).copy())
            products[j] = tuple(terms)
            total = adjoint[j]
            for term in terms:
                total = term if total is None else total + term
            adjoint[j] = total
    for j in range(n - 1, -1, -1):
        if adjoint[j] is None:
            adjoint[j] = np.zeros(values[j].shape)
        elif not np.all(np.isfinite(adjoint[j])):
            raise EvaluationError(
                f"the adjoint of {graph.label(j)} is not finite: the derivative overflows or is undefined",
                graph.span(j),
                graph.source,
            )
    return ArrayReversePass(dict(seeds), adjoint, products, output)


def tangents(
    graph: Graph, values: list[Array], seeds: Mapping[int, Array], name: str | None = None
) -> ArrayTangentPass:
    nodes = graph.nodes
    tangent: list[Array] = [None] * len(nodes)
    for i, seed in seeds.items():
        tangent[i] = np.array(seed, dtype=float)
    with np.errstate(all="ignore"):
        for i, node in enumerate(nodes):
            if not node.args:
                continue
            ts = [tangent[a] for a in node.args]
            if all(t is None for t in ts):
                continue
            prim = cast(ArrayPrimitive, node.prim)
            assert prim.jvp is not None
            args = [values[a] for a in node.args]
            tangent[i] = np.broadcast_to(np.asarray(prim.jvp(ts, values[i], *args), dtype=float), values[i].shape)
    filled = [np.zeros(values[i].shape) if t is None else np.array(t) for i, t in enumerate(tangent)]
    return ArrayTangentPass(dict(seeds), filled, name)
