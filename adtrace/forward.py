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
        try:  # free in CPython 3.11 until something raises; then _diagnose says what failed, and why
            # Unpacked by hand for the usual one or two arguments: this loop runs once per node.
            if len(args) == 2:
                a = values[args[0]]
                b = values[args[1]]
                value = prim.evaluate(a, b)
                grads = prim.grad(a, b, value)
            elif len(args) == 1:
                a = values[args[0]]
                value = prim.evaluate(a)
                grads = prim.grad(a, value)
            else:
                arg_values = [values[a] for a in args]
                value = prim.evaluate(*arg_values)
                grads = prim.grad(*arg_values, value)
        except _FAILURES:
            raise _diagnose(graph, values, i) from None
        check = value + sum(grads)  # inf or nan somewhere makes this inf or nan (or a huge sum does)
        if check - check != 0 and (
            value - value != 0 or any(d - d != 0 and not nodes[args[k]].is_const for k, d in enumerate(grads))
        ):  # a partial on a constant argument may be inf: it is never used
            raise _diagnose(graph, values, i)
        values[i] = value
        partials[i] = grads
        if prim.kink is not None:
            note = prim.kink(*[values[a] for a in args])
            if note:
                notes[i] = note
    return Forward(values, partials, notes)


def _diagnose(graph: Graph, values: list[float], i: int) -> EvaluationError:
    """What failed at node i, evaluated again step by step: its value, or one of its local partials."""
    node = graph.nodes[i]
    arg_values = [values[a] for a in node.args]
    try:
        value = node.prim.evaluate(*arg_values)
    except OverflowError:
        return _failure(graph, values, i, "overflows (too large for a float)")
    except _FAILURES:
        return _failure(graph, values, i, "is undefined")
    if value - value != 0:
        return _failure(graph, values, i, "is not finite (overflow)" if value == value else "is undefined")
    return _failure(graph, values, i, "has no derivative", node.prim.derivative_domain)


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
        graph.span(i),
        graph.source,
    )
