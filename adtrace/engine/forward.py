"""The forward pass: values and each node's local partials, then (forward mode) tangents.

Local partials depend only on the forward values, so they are computed once
and shared by every reverse pass (adjoints) and every forward-mode pass
(tangents): both modes multiply the same numbers, in opposite directions.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import NamedTuple

from ..errors import EvaluationError
from ..expr import number, show
from .graph import Graph, Node

_FAILURES = (ValueError, ZeroDivisionError, OverflowError)
_INFINITE_PARTIAL = "it is infinite, or too large for a floating-point number"
TOO_LARGE_NUMBER = "too large for a floating-point number (about 1.8e308 at most)"
TOO_LARGE = f"the result is {TOO_LARGE_NUMBER}"
_CONST = itemgetter(Node._fields.index("const"))
"""Node.const: every node's constant (0.0 for the rest) read at once, the start of the values list."""


class Forward(NamedTuple):
    values: list[float]
    """Every node's value, in topological order."""
    partials: list[tuple[float, ...]]
    """∂w_i/∂(argument k) for every node and argument (() for inputs and constants)."""
    notes: dict[int, str]
    """Node index → the convention used where its primitive has a kink."""


def forward(graph: Graph, inputs: Mapping[str, float], notation: str = "w") -> Forward:
    """Values and local partials in one sweep: a node's partials need only its own arguments' values and
    its value, so each is computed right after the value, while the arguments are at hand. The first node
    that fails, in evaluation order, raises EvaluationError.

    The sweep computes and checks little. Values are checked once, in bulk, at the end (an inf or a nan
    anywhere makes their sum inf or nan); partials are checked as they are made only for the primitives
    whose partials can fail where the value is fine (Primitive.partials_can_fail). Only when something
    failed does `_first_non_finite` walk the nodes in order to find the first failure. `notation` (w or v)
    is how the error labels the nodes.
    """
    nodes = graph.nodes
    values = list(map(_CONST, nodes))
    for name, index in graph.inputs.items():
        values[index] = float(inputs[name])
    partials: list[tuple[float, ...]] = [()] * len(nodes)
    notes: dict[int, str] = {}
    for i, (prim, args, _name, _first, _last, _const) in enumerate(nodes):
        if not args:
            continue
        try:  # free in CPython 3.11 until something raises
            # Unpacked by hand for one or two arguments (every primitive takes one or two): this runs per node.
            if len(args) == 2:
                a = values[args[0]]
                b = values[args[1]]
                values[i] = value = prim.evaluate(a, b)
                partials[i] = grads = prim.grad(a, b, value)
            else:
                a = values[args[0]]
                values[i] = value = prim.evaluate(a)
                partials[i] = grads = prim.grad(a, value)
        except _FAILURES:  # an earlier inf or nan may be the cause: the first failure is the one reported
            raise _first_non_finite(graph, values, partials, i, notation) or _diagnose(
                graph, values, i, notation
            ) from None
        if prim.partials_can_fail:
            check = sum(grads)
            if check - check != 0 and _failing_partial(nodes, args, grads) is not None:
                raise _first_non_finite(graph, values, partials, i, notation) or _diagnose(graph, values, i, notation)
        if prim.kink is not None:
            note = prim.kink(*[values[a] for a in args])
            if note:
                notes[i] = note
    check = sum(values)
    if check - check != 0:  # or a huge but finite sum: then the walk finds nothing
        error = _first_non_finite(graph, values, partials, len(nodes), notation)
        if error is not None:
            raise error
    return Forward(values, partials, notes)


def _failing_partial(nodes: list[Node], args: tuple[int, ...], grads: tuple[float, ...]) -> int | None:
    """The first argument position whose partial is inf or nan, or None. A partial on a constant argument
    (∂(a^b)/∂b at a < 0 in `x^2`) may be either: it is never used."""
    for k, d in enumerate(grads):
        if d - d != 0 and not nodes[args[k]].is_const:
            return k
    return None


def _first_non_finite(
    graph: Graph, values: list[float], partials: list[tuple[float, ...]], stop: int, notation: str
) -> EvaluationError | None:
    """The first operation before node `stop` whose value or a used local partial is not finite, diagnosed."""
    nodes = graph.nodes
    for i in range(stop):
        args = nodes[i].args
        value = values[i]
        if args and (value - value != 0 or _failing_partial(nodes, args, partials[i]) is not None):
            return _diagnose(graph, values, i, notation)
    return None


def _diagnose(graph: Graph, values: list[float], i: int, notation: str) -> EvaluationError:
    """What failed at node i, evaluated again step by step: its value, or one of its local partials."""
    node = graph.nodes[i]
    arg_values = [values[a] for a in node.args]
    try:
        value = node.prim.evaluate(*arg_values)
    except OverflowError:  # a magnitude problem, not the primitive's domain (x^y at 10, 400 is defined)
        return _failure(graph, values, i, notation, "overflows (too large for a float)", TOO_LARGE)
    except _FAILURES:
        return _failure(graph, values, i, notation, "is undefined")
    if value - value != 0:
        if value == value:  # ±inf from finite arguments: an overflow (1e300/1e-300), not a division by zero
            return _failure(graph, values, i, notation, "is not finite (overflow)", TOO_LARGE)
        return _failure(graph, values, i, notation, "is undefined")
    try:
        grads = node.prim.grad(*arg_values, value)
    except _FAILURES:
        grads = ()
    k = _failing_partial(graph.nodes, node.args, grads)
    if k is None:  # computing the partials raised (sqrt at 0)
        return _failure(graph, values, i, notation, "has no derivative", node.prim.derivative_domain)
    partial = f"∂{graph.label(i, notation)}/∂{graph.label(node.args[k], notation)}"
    if grads[k] == grads[k]:  # ±inf: a slope that is infinite (x^0.5 at 0) or too large (x/y at a tiny y)
        return _failure(
            graph, values, i, notation, f"has a local partial {partial} that is not finite", _INFINITE_PARTIAL
        )
    return _failure(graph, values, i, notation, f"has no local partial {partial}", node.prim.derivative_domain)


def tangents(
    graph: Graph, partials: list[tuple[float, ...]], seeds: Mapping[int, float], notation: str = "w"
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
            raise _failure(graph, tangent, i, notation, "has a tangent that is not finite")
        products[i] = terms
        tangent[i] = total
    return tangent, products


def _failure(
    graph: Graph, values: list[float], i: int, notation: str, what: str, reason: str | None = None
) -> EvaluationError:
    node = graph.nodes[i]
    shown_args = ", ".join(
        f"{graph.label(a, notation)} = {number(values[a], 6)}"
        for a in dict.fromkeys(node.args)
        if not graph.nodes[a].is_const
    )
    at = f" at {shown_args}" if shown_args else ""
    why = node.prim.domain if reason is None else reason
    return EvaluationError(
        f"{graph.label(i, notation)} = {show(graph.definition(i, notation))} {what}{at}" + (f": {why}" if why else ""),
        graph.span(i),
        graph.source,
    )
