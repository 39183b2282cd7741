"""The element level: an array program's tape taken apart into scalar nodes (--elements).

Each array node becomes one scalar node per element, made by its primitive's `elements` rule
(array_primitives.py) on object arrays of `Element`s, whose arithmetic adds nodes to an ordinary scalar
lowering: `W @ x` becomes y_i = W_i0·x_0 + W_i1·x_1 + …, every product and sum a node. What comes out is a
scalar Graph like any other, so every view, the quiz and forward mode work on it unchanged; its
ElementMap remembers which scalar nodes each array node became, for the Jacobians' sparsity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple, cast

import numpy as np

from ...array_primitives import ArrayPrimitive
from ...errors import LimitError
from ...language.lexer import Locator
from ...primitives import BY_NAME, Primitive
from ..graph import Graph, _Lowering

Array = Any
ELEMENT_LIMIT = 20_000
"""The most scalar nodes --elements builds: the element level is for reading, and past this it is not."""


def element_name(name: str, index: tuple[int, ...]) -> str:
    """x, (1,) → x[1]; W, (0, 2) → W[0,2] (numpy's indexing, without spaces)."""
    return f"{name}[{','.join(map(str, index))}]" if index else name


class _Builder:
    """The scalar lowering the elements add their nodes to, and where in the source the current array node is."""

    def __init__(self, low: _Lowering, limit: int):
        self.low = low
        self.first = self.last = 0
        self.limit = limit

    def apply(self, prim: Primitive, args: tuple[int, ...]) -> int:
        index = self.low.apply(prim, args, self.first, self.last)
        if len(self.low.nodes) > self.limit:
            raise LimitError(
                f"--elements would make more than {self.limit:,} scalar nodes: the element level is for small "
                "arrays (leave out --elements for the array level; --max-nodes sets this limit)"
            )
        return index

    def constant(self, value: float) -> int:
        text = repr(float(value))
        index = self.low.number(float(value), text[:-2] if text.endswith(".0") else text, self.first)
        self.low.floor = len(self.low.nodes)  # an element may use it again: folding must not delete it
        return index


class Element:
    """One scalar node of an array's elements; +, -, *, /, ** and `apply` add nodes to the builder."""

    __slots__ = ("builder", "index")

    def __init__(self, builder: _Builder, index: int):
        self.builder = builder
        self.index = index

    def apply(self, prim: Primitive, *others: Element | float) -> Element:
        args = (self.index, *(self._node(o) for o in others))
        return Element(self.builder, self.builder.apply(prim, args))

    def _node(self, other: Element | float) -> int:
        return other.index if isinstance(other, Element) else self.builder.constant(float(other))

    def _with(self, name: str, other: Element | float, swap: bool = False) -> Element:
        a, b = self._node(other), self.index
        args = (a, b) if swap else (b, a)
        return Element(self.builder, self.builder.apply(BY_NAME[name], args))

    def __add__(self, other: Element | float) -> Element:
        return self._with("add", other)

    def __radd__(self, other: Element | float) -> Element:
        return self._with("add", other, swap=True)

    def __sub__(self, other: Element | float) -> Element:
        return self._with("sub", other)

    def __rsub__(self, other: Element | float) -> Element:
        return self._with("sub", other, swap=True)

    def __mul__(self, other: Element | float) -> Element:
        return self._with("mul", other)

    def __rmul__(self, other: Element | float) -> Element:
        return self._with("mul", other, swap=True)

    def __truediv__(self, other: Element | float) -> Element:
        return self._with("div", other)

    def __rtruediv__(self, other: Element | float) -> Element:
        return self._with("div", other, swap=True)

    def __pow__(self, other: Element | float) -> Element:
        return self._with("pow", other)

    def __neg__(self) -> Element:
        return self.apply(BY_NAME["neg"])


@dataclass(frozen=True, eq=False)
class ElementMap:
    """Which scalar nodes each array node became: what ties the element level to the array level."""

    tape: Graph
    """The array program's own tape (array primitives)."""
    values: list[Array]
    elements: list[Array]
    """Array node → an int array of its elements' scalar node indices (the node's shape)."""
    made: list[tuple[int, int]]
    """Array node → the range of scalar nodes its own rule made (start, stop)."""


class Expanded(NamedTuple):
    graph: Graph
    values: dict[str, float]
    """Each element input's value (x[0] → 1.0)."""


def expand(tape: Graph, values: list[Array], limit: int = ELEMENT_LIMIT) -> Expanded:
    """The tape's array nodes as scalar nodes; the outputs and named nodes keep their names, per element."""
    locator = Locator(tape.source)
    inputs: dict[str, int] = {}
    given: dict[str, float] = {}
    for name, i in tape.inputs.items():
        token = tape.nodes[i].first
        for index in np.ndindex(*values[i].shape):
            inputs[element_name(name, index)] = token
            given[element_name(name, index)] = float(values[i][index])
    if len(inputs) > limit:
        raise LimitError(f"--elements: the inputs alone have {len(inputs):,} elements (more than {limit:,})")
    low = _Lowering(tape.source, locator, inputs)
    builder = _Builder(low, limit)
    elements: list[Array] = []
    made: list[tuple[int, int]] = []
    objects: list[Array] = []
    for i, node in enumerate(tape.nodes):
        builder.first, builder.last = node.first, node.last
        start = len(low.nodes)
        if node.is_input:
            obj = np.empty(values[i].shape, dtype=object)
            for index in np.ndindex(*values[i].shape):
                obj[index] = Element(builder, low.env[element_name(node.name or "", index)])
        elif node.is_const:
            obj = np.empty(values[i].shape, dtype=object)
            for index in np.ndindex(*values[i].shape):
                obj[index] = Element(builder, builder.constant(float(values[i][index])))
        else:
            prim = cast(ArrayPrimitive, node.prim)
            assert prim.elements is not None
            obj = np.asarray(prim.elements(*(objects[a] for a in node.args)), dtype=object)
            obj = np.vectorize(lambda e: e if isinstance(e, Element) else Element(builder, builder.constant(e)),
                               otypes=[object])(obj) if obj.size else obj  # fmt: skip
            obj = obj.reshape(values[i].shape)
        objects.append(obj)
        made.append((start, len(low.nodes)))
        elements.append(np.vectorize(lambda e: e.index, otypes=[int])(obj) if obj.size else np.zeros(obj.shape, int))
        low.floor = len(low.nodes)
    for i, node in enumerate(tape.nodes):  # the program's names, per element
        if node.name and not node.is_input and not node.is_const:
            for index in np.ndindex(*values[i].shape):
                k = int(elements[i][index])
                if low.nodes[k].name is None and not low.nodes[k].is_const:
                    low.nodes[k] = low.nodes[k]._replace(name=element_name(node.name, index))
    names: list[str] = []
    for out in tape.outputs:
        for index in np.ndindex(*values[out.node].shape):
            name = element_name(out.name, index)
            low.statement(name, tape.nodes[out.node].first, int(elements[out.node][index]))
            names.append(name)
    graph = low.finish(names)
    mapping = ElementMap(tape, values, elements, made)
    scalar = replace(
        graph,
        notes=tape.notes,
        warnings=tuple(w for w in graph.warnings if "is assigned but never used" not in w),
        is_program=False,  # a straight line of scalars: the loops and branches ran on the array tape
        elements=mapping,
    )
    return Expanded(scalar, given)


def dependence(mapping: ElementMap, graph: Graph, node: int, arg: int) -> Array:
    """Which elements of array node `node` depend on which elements of its argument `arg`: a bool array of
    shape node_shape + arg_shape (the structure of ∂node/∂arg, whatever the values)."""
    out = mapping.elements[node]
    source = mapping.elements[arg]
    where = {int(k): index for index, k in np.ndenumerate(source)}
    start, _ = mapping.made[node]
    pattern = np.zeros(out.shape + source.shape, dtype=bool)
    for index, k in np.ndenumerate(out):
        stack, seen = [int(k)], set()
        while stack:
            j = stack.pop()
            if j in seen:
                continue
            seen.add(j)
            if j in where:
                pattern[index + where[j]] = True
            if j >= start:  # made by this node's rule: look further back
                stack.extend(graph.nodes[j].args)
    return pattern


def regroup(values: dict[str, float]) -> dict[str, Any]:
    """Element values back into arrays: {'x[0]': 1, 'x[1]': 2, 'c': 3} → {'x': array([1., 2.]), 'c': 3.0}."""
    arrays: dict[str, dict[tuple[int, ...], float]] = {}
    out: dict[str, Any] = {}
    for name, value in values.items():
        head, bracket, rest = name.partition("[")
        if not bracket:
            out[name] = value
            continue
        arrays.setdefault(head, {})[tuple(int(k) for k in rest.rstrip("]").split(","))] = value
    for head, cells in arrays.items():
        shape = tuple(max(index[k] for index in cells) + 1 for k in range(len(next(iter(cells)))))
        array = np.zeros(shape)
        for index, value in cells.items():
            array[index] = value
        out[head] = array
    return out


def regroup_matrix(mapping: ElementMap, matrix: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """A matrix over element names (a Hessian: x[0] → W[1,2] → number) as input → input → nested list of
    shape input_shape + input_shape (a float where both are scalars)."""
    tape, values = mapping.tape, mapping.values
    out: dict[str, dict[str, Any]] = {}
    for a, i in tape.inputs.items():
        out[a] = {}
        for b, j in tape.inputs.items():
            block = np.zeros(values[i].shape + values[j].shape)
            for ia in np.ndindex(*values[i].shape):
                for jb in np.ndindex(*values[j].shape):
                    block[ia + jb] = matrix[element_name(a, ia)][element_name(b, jb)]
            out[a][b] = float(block) if block.ndim == 0 else block.tolist()
    return out
