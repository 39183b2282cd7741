"""The forward pass: values and each node's local partials, then (forward mode) tangents.

Local partials depend only on the forward values, so they are computed once
and shared by every reverse pass (adjoints) and every forward-mode pass
(tangents): both modes multiply the same numbers, in opposite directions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .errors import EvaluationError
from .expr import number, show
from .graph import Graph

_FAILURES = (ValueError, ZeroDivisionError, OverflowError)


class Forward(NamedTuple):
    values: list[float]
    """Every node's value, in topological order."""
    partials: list[tuple[float, ...]]
    """∂w_i/∂(argument k) for every node and argument (() for inputs and constants)."""
    notes: dict[int, str]
    """Node index → the convention used where its primitive has a kink."""


def forward(graph: Graph, inputs: Mapping[str, float]) -> Forward:
    """Values and local partials in one sweep: a node's partials need only its own arguments' values and
    its value, so each is computed right after the value, while the arguments are at hand. The first node
    that fails, in evaluation order, raises EvaluationError."""
    nodes = graph.nodes
    values = [node.const for node in nodes]
    for name, index in graph.inputs.items():
        values[index] = float(inputs[name])
    partials: list[tuple[float, ...]] = [()] * len(nodes)
    notes: dict[int, str] = {}
    for i, node in enumerate(nodes):
        args = node.args
        if not args:
            continue
        prim = node.prim
        # Unpacked by hand for the usual one or two arguments: this loop runs once per node.
        if len(args) == 2:
            a = values[args[0]]
            b = values[args[1]]
            try:
                value = prim.evaluate(a, b)
            except OverflowError:
                raise _failure(graph, values, i, "overflows (too large for a float)") from None
            except _FAILURES:
                raise _failure(graph, values, i, "is undefined") from None
            if value - value != 0:  # inf or nan, without a function call
                raise _failure(graph, values, i, _not_finite(value))
            try:
                grads = prim.grad(a, b, value)
            except _FAILURES:
                raise _failure(graph, values, i, "has no derivative", prim.derivative_domain) from None
        else:
            arg_values = [values[a] for a in args]
            try:
                value = prim.evaluate(*arg_values)
            except OverflowError:
                raise _failure(graph, values, i, "overflows (too large for a float)") from None
            except _FAILURES:
                raise _failure(graph, values, i, "is undefined") from None
            if value - value != 0:
                raise _failure(graph, values, i, _not_finite(value))
            try:
                grads = prim.grad(*arg_values, value)
            except _FAILURES:
                raise _failure(graph, values, i, "has no derivative", prim.derivative_domain) from None
        values[i] = value
        partials[i] = grads
        check = sum(grads)
        if check - check != 0:  # some partial is inf or nan: it matters unless its argument is a constant
            for k, d in enumerate(grads):
                if d - d != 0 and not nodes[args[k]].is_const:
                    raise _failure(graph, values, i, "has no derivative", prim.derivative_domain)
        if prim.kink is not None:
            note = prim.kink(*[values[a] for a in args])
            if note:
                notes[i] = note
    return Forward(values, partials, notes)


def _not_finite(value: float) -> str:
    return "is not finite (overflow)" if value == value else "is undefined"


def tangents(
    graph: Graph, partials: list[tuple[float, ...]], seeds: Mapping[int, float]
) -> tuple[list[float], list[tuple[float, ...]]]:
    """Forward mode: ẇ_i = Σ_k ∂w_i/∂w_k · ẇ_k over the node's arguments.

    Returns the tangents and, per node, the product for each argument (0 for
    constants), so a renderer can show every term without multiplying.
    """
    nodes = graph.nodes
    tangent = [0.0] * len(nodes)
    products: list[tuple[float, ...]] = [()] * len(nodes)
    for index, seed in seeds.items():
        tangent[index] = seed
    for i, node in enumerate(nodes):
        args = node.args
        if not args:
            continue
        terms = tuple(0.0 if nodes[a].is_const else d * tangent[a] for a, d in zip(args, partials[i], strict=True))
        total = 0.0
        for term in terms:
            total += term
        if total - total != 0:
            raise _failure(graph, tangent, i, "has a tangent that is not finite")
        products[i] = terms
        tangent[i] = total
    return tangent, products


def _failure(graph: Graph, values: list[float], i: int, what: str, reason: str | None = None) -> EvaluationError:
    node = graph.nodes[i]
    shown_args = ", ".join(
        f"{graph.label(a)} = {number(values[a], 6)}" for a in dict.fromkeys(node.args) if not graph.nodes[a].is_const
    )
    at = f" at {shown_args}" if shown_args else ""
    why = node.prim.domain if reason is None else reason
    return EvaluationError(
        f"{graph.label(i)} = {show(graph.definition(i))} {what}{at}" + (f": {why}" if why else ""),
        node.span,
        graph.source,
    )
