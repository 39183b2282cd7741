"""The reverse pass: adjoints, one recorded product per edge.

w̄_j = seed_j + Σ over parents p of w_j:  w̄_p · ∂w_p/∂w_j.
Walking the topological order backwards, every parent's adjoint is final
before it is used, so each sum is complete when it is made: this is the
`+=` of micrograd, kept as data so a learner can see every term.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import EvaluationError
from ..expr import number
from .graph import Graph


def adjoints(
    graph: Graph, partials: list[tuple[float, ...]], seeds: Mapping[int, float], notation: str = "w"
) -> tuple[list[float], list[tuple[float, ...]]]:
    """Adjoints of every node, and per node the products w̄_p·∂w_p/∂w_j aligned with graph.parents.

    As in the forward pass, the sweep only computes and finiteness is checked once, in bulk, at the end;
    the first adjoint that is not finite (the one nearest the output) is then found and reported, its
    node labelled in `notation` (w or v).
    """
    n = len(graph.nodes)
    adjoint = [0.0] * n
    for j, seed in seeds.items():
        adjoint[j] = seed  # the sum for w̄_j starts from its seed
    products: list[tuple[float, ...]] = [()] * n
    j = n
    for edges in reversed(graph.parents):
        j -= 1
        if not edges:  # an output, an unused input or a constant: its adjoint is its seed, if any
            continue
        if len(edges) == 1:  # the common case, without building a list
            ((p, pos),) = edges
            term = adjoint[p] * partials[p][pos]
            products[j] = (term,)
            adjoint[j] += term
        else:
            products[j] = terms = tuple([adjoint[p] * partials[p][pos] for p, pos in edges])
            total = adjoint[j]
            for term in terms:  # left to right, in the order the parents are listed
                total += term
            adjoint[j] = total
    check = sum(adjoint)
    if check - check != 0:
        for j in range(n - 1, -1, -1):
            total = adjoint[j]
            if total - total != 0:
                label = graph.label(j, notation)
                raise EvaluationError(
                    f"the adjoint of {label} is not finite ({number(total)}): the derivative overflows",
                    graph.span(j),
                    graph.source,
                )
    return adjoint, products
