"""The ArrayTrace: an array program's tape, values, adjoints and tangents (numbers only, numpy arrays).

Like the scalar Trace (engine/trace.py) it holds no text: the Lesson (lesson/arrays.py) and the views
read it. Gradients of array inputs are arrays of the input's shape; the Jacobian of an output with shape
S by an input with shape T has shape S + T (one reverse pass per output element, built only up to a size).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ...array_primitives import ArrayPrimitive
from ...errors import InputValueError, OptionError
from ...expr import Expr
from ..graph import Graph
from .sweeps import ArrayReversePass, ArrayTangentPass, reverse, tangents

Array = Any
JACOBIAN_LIMIT = 1_000_000
"""The most entries of one output's Jacobian (all inputs together) a trace builds by unit reverse passes."""


@dataclass(frozen=True, eq=False)
class ArrayTrace:
    graph: Graph
    inputs: dict[str, Array]
    values: list[Array]
    mode: str
    reverse: tuple[ArrayReversePass, ...]
    forward: tuple[ArrayTangentPass, ...]
    jacobian: dict[str, dict[str, Array]]
    """Output → input → ∂output/∂input, shape output_shape + input_shape (absent when too big)."""
    notation: str = "w"
    warnings: tuple[str, ...] = field(default=())

    @property
    def source(self) -> str:
        return self.graph.source

    @property
    def is_arrays(self) -> bool:
        return True

    @property
    def value(self) -> Array:
        return self.values[self.graph.outputs[0].node]

    @property
    def outputs(self) -> dict[str, Array]:
        return {o.name: self.values[o.node] for o in self.graph.outputs}

    @property
    def gradient(self) -> dict[str, Array]:
        """∂(first output)/∂(each input), each the input's shape, from the unit seed whatever --seed says (for
        an array output: the derivative of the sum of its elements, the adjoints of a seed of ones)."""
        out = self.graph.outputs[0]
        if self.values[out.node].ndim == 0 and self.jacobian.get(out.name):
            return dict(self.jacobian[out.name])
        rpass = reverse(self.graph, self.values, self._unit(0))
        return {name: rpass.adjoints[i] for name, i in self.graph.inputs.items()}

    @property
    def unit_seeds(self) -> bool:
        """Whether the reverse passes shown are the unit ones (one per output, seeded with ones)."""
        return all(p.output is not None for p in self.reverse)

    def _unit(self, k: int) -> dict[int, Array]:
        node = self.graph.outputs[k].node
        return {node: np.ones(self.values[node].shape)}

    # -- the read-only interface the views share with the scalar Trace (no numbers computed here) --
    @property
    def symbolic(self) -> None:
        """No symbolic layer at the array level (the element level has one)."""
        return None

    @property
    def symbolic_only(self) -> bool:
        """Every input of an array program has a value (a symbolic array trace is not there)."""
        return False

    @property
    def letter(self) -> str:
        """The letter of node labels, as the scalar Trace's (w, v, or another where a name would clash)."""
        return self.graph.letters[self.notation]

    def definition(self, i: int) -> Expr:
        """Node i's formula over its arguments' labels (w1 @ w2), or the input's name."""
        return self.graph.definition(i, self.notation)

    def shape(self, i: int) -> tuple[int, ...]:
        return tuple(self.values[i].shape)

    def label(self, i: int) -> str:
        return self.graph.label(i, self.notation)

    def prim(self, i: int) -> ArrayPrimitive:
        return cast(ArrayPrimitive, self.graph.nodes[i].prim)

    def local_partial(self, p: int, pos: int) -> Array:
        """∂w_p/∂(argument pos), element by element, of an elementwise node (the shape of w_p): what the
        lesson's worked example multiplies by (no other node's local Jacobian is ever built)."""
        prim = self.prim(p)
        args = [self.values[a] for a in self.graph.nodes[p].args]
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(prim.local[pos](*args, self.values[p]), dtype=float), self.shape(p))

    def __repr__(self) -> str:
        value = np.array2string(np.asarray(self.value), precision=4)
        return f"ArrayTrace({self.source.strip()!r}, value={value})"


def trace_arrays(
    graph: Graph,
    given: Mapping[str, Any],
    seed: Any,
    mode: str,
    notation: str,
    warnings: tuple[str, ...],
) -> ArrayTrace:
    """Values, reverse passes (one per output, or one from the seeds), tangents and the Jacobian."""
    inputs = {name: np.asarray(given[name], dtype=float) for name in graph.inputs}
    values = _forward(graph, inputs)
    outputs = graph.outputs
    unit = [reverse(graph, values, {o.node: np.ones(values[o.node].shape)}, o.name) for o in outputs]
    passes: tuple[ArrayReversePass, ...] = ()
    tangent_passes: tuple[ArrayTangentPass, ...] = ()
    reverse_seeds, forward_seeds = _seeds(graph, values, seed, mode)
    if mode in ("reverse", "both"):
        passes = (reverse(graph, values, reverse_seeds),) if reverse_seeds is not None else tuple(unit)
    if mode in ("forward", "both"):
        if forward_seeds is not None:
            tangent_passes = (tangents(graph, values, forward_seeds),)
        else:
            tangent_passes = tuple(
                tangents(graph, values, {i: np.ones(values[i].shape)}, name) for name, i in graph.inputs.items()
            )
    jacobian = {o.name: _jacobian(graph, values, o.node, unit[k]) for k, o in enumerate(outputs)}
    return ArrayTrace(graph, inputs, values, mode, passes, tangent_passes, jacobian, notation, warnings)


def _forward(graph: Graph, inputs: dict[str, Array]) -> list[Array]:
    """Each node's value (the interpreter computed them as it ran; this sweep is the tape replayed)."""
    values: list[Array] = []
    with np.errstate(all="ignore"):
        for node in graph.nodes:
            if node.is_input:
                values.append(inputs[node.name or ""])
            elif node.is_const:
                values.append(np.asarray(node.const, dtype=float))
            else:
                values.append(np.asarray(node.prim.evaluate(*(values[a] for a in node.args)), dtype=float))
    return values


def _jacobian(graph: Graph, values: list[Array], out: int, unit: ArrayReversePass) -> dict[str, Array]:
    """∂out/∂input, shape out_shape + input_shape: one reverse pass per element of the output."""
    size = values[out].size
    total = sum(values[i].size for i in graph.inputs.values())
    if size == 1:
        return {name: unit.adjoints[i].reshape(values[out].shape + values[i].shape) for name, i in graph.inputs.items()}
    if size * total > JACOBIAN_LIMIT:
        return {}
    rows: dict[str, list[Array]] = {name: [] for name in graph.inputs}
    for k in range(size):
        seed = np.zeros(size)
        seed[k] = 1.0
        rpass = reverse(graph, values, {out: seed.reshape(values[out].shape)})
        for name, i in graph.inputs.items():
            rows[name].append(rpass.adjoints[i])
    return {name: np.array(rows[name]).reshape(values[out].shape + values[i].shape) for name, i in graph.inputs.items()}


def _seeds(
    graph: Graph, values: list[Array], seed: Any, mode: str
) -> tuple[dict[int, Array] | None, dict[int, Array] | None]:
    """--seed on an array program: a number (the first output), or name → number or array of its shape."""
    if seed is None:
        return None, None
    if not isinstance(seed, Mapping):
        if mode == "forward":
            raise OptionError("forward mode on an array program: give one seed per input, as in --seed 'x=[1,0]'")
        out = graph.outputs[0].node
        return {out: np.full(values[out].shape, float(seed))}, None
    names = {o.name: o.node for o in graph.outputs} if mode != "forward" else dict(graph.inputs)
    seeds: dict[int, Array] = {}
    for name, value in seed.items():
        if name not in names:
            what = "output" if mode != "forward" else "input"
            raise OptionError(f"the seed names '{name}', which is not an {what} ({', '.join(names)})")
        node = names[name]
        array = np.asarray(value, dtype=float)
        try:
            seeds[node] = np.broadcast_to(array, values[node].shape).copy()
        except ValueError:
            raise InputValueError(
                f"the seed of {name} has shape {tuple(array.shape)}, but {name} has shape {tuple(values[node].shape)}"
            ) from None
        if not np.all(np.isfinite(seeds[node])):
            raise InputValueError(f"the seed of {name} must be finite")
    return (seeds, None) if mode != "forward" else (None, seeds)
