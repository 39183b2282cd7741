"""Run an array program, recording a tape of array nodes: the interpreter of programs, with numpy values.

An array program is run by the same interpreter as any program (engine/interpreter.py: its loops,
branches, calls and contexts), on a lowering whose nodes are array operations (array_primitives.py):
`W @ x` is one node whose value is a vector, not one node per element. A scalar is a 0-d array here, and
every scalar primitive acts elementwise with numpy's broadcasting. On this tape a constant's `const` is
its numpy value (a float for a scalar), and the interpreter's values are numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, cast

import numpy as np

from ... import array_primitives as ap
from ...errors import ArityError, ControlFlowError, EvaluationError, NameResolutionError, ShapeError, UnsupportedError
from ...expr import Apply, Const, show
from ...language import program as pg
from ...language.lexer import Locator
from ...primitives import BY_NAME, CONST, Primitive
from ..graph import _NO_PARENTS, Graph, Limits, Node, _Lowering
from ..interpreter import Value, _Frame, _Interpreter, item_first, item_last

Array = Any


def shape_text(shape: tuple[int, ...]) -> str:
    """numpy's way: (3,), (2, 3), () for a scalar."""
    return str(tuple(shape))


class ArrayLowering(_Lowering):
    """The lowering of array programs: constant operations fold with numpy, and print as typed; an array join
    (`stack`, `concatenate`, an array literal) takes any number of arguments, each an edge."""

    def apply(self, prim: Primitive, args: tuple[int, ...], first: int, last: int) -> int:
        if len(args) <= 2:
            return super().apply(prim, args, first, last)
        parents = self.parents
        if all(parents[a] is _NO_PARENTS for a in args):
            return self.fold(prim, args, first, last)
        i = len(self.nodes)
        for position, a in enumerate(args):
            if parents[a] is not _NO_PARENTS:
                parents[a].append((i, position))
        self.nodes.append(Node(prim, args, None, first, last))
        parents.append([])
        return i

    def fold(self, prim: Primitive, args: tuple[int, ...], first: int, last: int) -> int:
        nodes = self.nodes
        values = [nodes[a].const for a in args]
        with np.errstate(all="ignore"):
            try:
                value = np.asarray(prim.evaluate(*(np.asarray(v, dtype=float) for v in values)), dtype=float)
            except (ValueError, IndexError, TypeError) as error:
                raise ShapeError(_shape_message(prim, values, error), self.span(first, last), self.source) from None
        if not np.all(np.isfinite(value)):
            raise EvaluationError(
                f"a constant is undefined or too large ({prim.domain or 'not a finite number'})",
                self.span(first, last),
                self.source,
            )
        text = show(Apply(prim, tuple(Const(0.0, nodes[a].name or "") for a in args)), "code")
        const = float(value) if value.ndim == 0 else value
        nodes.append(Node(CONST, (), text, first, last, cast(float, const)))
        self.parents.append(cast(list[tuple[int, int]], ()))
        return len(nodes) - 1

    def array(self, value: Array, text: str, first: int, last: int) -> int:
        """A constant array (a literal, zeros(3)): one node holding its value."""
        self.nodes.append(Node(CONST, (), text, first, last, cast(float, value)))
        self.parents.append(cast(list[tuple[int, int]], ()))
        return len(self.nodes) - 1


def _shape_message(prim: Primitive, values: list[Any], error: Exception) -> str:
    shapes = [shape_text(np.shape(v)) for v in values]
    if prim.name == "matmul":
        return f"{shapes[0]} @ {shapes[1]} — {error}"
    if len(shapes) == 2 and "broadcast" in str(error):
        return f"shapes {shapes[0]} and {shapes[1]} can't be broadcast together for {prim.name}"
    return f"{prim.name} of shape{'s' if len(shapes) > 1 else ''} {', '.join(shapes)}: {error}"


class ArrayInterpreter(_Interpreter):
    """The program interpreter on an array tape: values are numpy arrays, operations array primitives."""

    def __init__(
        self, source: str, locator: Locator, program: pg.Program, values: dict[str, Array], limits: Limits
    ) -> None:
        super().__init__(source, locator, program, {}, limits)
        given = {**program.declared, **values}
        self.low = ArrayLowering(source, locator, program.inputs)
        self.top = self.frame = _Frame(self.low.env, None, None)
        self.vals = [cast(float, np.asarray(given.get(name, math.nan), dtype=float)) for name in program.inputs]
        self.unknown = {i for i, name in enumerate(program.inputs) if name not in given}

    # -- values ------------------------------------------------------------------------------------------
    def array_of(self, index: int) -> Array:
        """Node `index`'s value: a numpy array here (the base interpreter's list is typed for floats)."""
        return self.vals[index]

    def sync(self, first: int, last: int) -> None:
        nodes, vals = self.low.nodes, self.vals
        if len(nodes) < len(vals):
            del vals[len(nodes) :]
            del self.ctx[len(nodes) :]
        while len(vals) < len(nodes):
            node = nodes[len(vals)]
            if node.prim is CONST:
                vals.append(cast(float, np.asarray(node.const, dtype=float)))
            else:
                self.count += 1
                vals.append(cast(float, self.evaluate(node, first, last)))
            self.ctx.append(self.cid)
        super().sync(first, last)

    def evaluate(self, node: Node, first: int, last: int) -> Array:
        args = [self.array_of(a) for a in node.args]
        with np.errstate(all="ignore"):
            try:
                value = np.asarray(node.prim.evaluate(*args), dtype=float)
            except (ValueError, IndexError, TypeError) as error:
                message = f"{self.text(node.first, node.last)}: {_shape_message(node.prim, args, error)}"
                raise ShapeError(message, self.span(node.first, node.last), self.source) from None
        if not np.all(np.isfinite(value)) and not any(a in self.unknown for a in node.args):
            raise EvaluationError(
                f"{node.prim.name} gives a value that is not finite "
                f"({node.prim.domain or 'too large for a floating-point number'})",
                self.span(node.first, node.last),
                self.source,
            )
        return value

    def apply(self, prim: Primitive, args: tuple[int, ...], first: int, last: int) -> int:
        if not isinstance(prim, ap.ArrayPrimitive):
            prim = ap.elementwise(prim)
        return super().apply(prim, args, first, last)

    def scalar(self, index: int, where: pg.Expr, what: str) -> float:
        """The value of a node that must be one number (a condition, a range bound, an index)."""
        value = self.array_of(index)
        if value.size != 1:
            why = {
                "a condition": "numpy: the truth of an array is ambiguous; use .sum() or an index",
                "an index": "indexing with an array of indices (fancy indexing) is not supported: use a slice, "
                "or one index at a time",
            }.get(what, "it is an array")
            raise ShapeError(
                f"{what} must be one number, but {self.text(item_first(where), item_last(where))} has shape "
                f"{shape_text(value.shape)} ({why})",
                self.span(item_first(where), item_last(where)),
                self.source,
            )
        return float(value.reshape(()))

    def whole(self, e: pg.Expr, what: str) -> int:
        """A whole number known before the run (an axis, an index, a size): a constant, or a loop counter."""
        index = self.numeric(self.expr(e), item_first(e))
        if self.low.nodes[index].prim is not CONST:
            raise ControlFlowError(
                f"{what} must be known before the run (a number or a loop counter), not computed from the inputs: "
                f"{self.text(item_first(e), item_last(e))}",
                self.span(item_first(e), item_last(e)),
                self.source,
            )
        value = self.scalar(index, e, what)
        if value != math.floor(value):
            raise ShapeError(f"{what} must be a whole number, not {value:g}", self.span(item_first(e), item_last(e)))
        return int(value)

    # -- conditions on arrays: one number each -------------------------------------------------------------
    def check_known(self, index: int, where: pg.Expr) -> None:
        """A condition, or a side of a comparison, must be known and one number (not an array)."""
        super().check_known(index, where)
        self.scalar(index, where, "a condition")

    # -- loops over arrays -----------------------------------------------------------------------------------
    def loop_for(self, stmt: pg.For) -> None:
        iterable = stmt.iterable
        if isinstance(iterable, pg.List) or (isinstance(iterable, pg.Call) and iterable.function == "range"):
            return super().loop_for(stmt)
        array = self.numeric(self.expr(iterable), item_first(iterable))
        self.hold()
        shape = self.array_of(array).shape
        if not shape:
            raise ShapeError(
                f"a number can't be looped over: {self.text(item_first(iterable), item_last(iterable))} has shape ()",
                self.span(item_first(iterable), item_last(iterable)),
                self.source,
            )
        line = self.line(stmt.tok)
        with self.iteration(line, "for") as count:
            for k in range(shape[0]):  # each row is taken inside its own iteration, as Python's loop does
                self.next_iteration(count, line, "for", stmt.tok)
                row = self.apply(ap.variant("index", (k,)), (array,), item_first(iterable), item_last(iterable))
                self.assign(stmt.var, stmt.var_tok, row)
                if not self.loop_body(stmt.body):
                    break

    @staticmethod
    def _ends(e: pg.Expr) -> tuple[int, int]:
        return item_first(e), item_last(e)

    # -- expressions ---------------------------------------------------------------------------------------
    def expr(self, e: pg.Expr, depends: list[bool] | None = None) -> Value:
        if isinstance(e, pg.ArrayCall):
            return self.array_call(e)
        if isinstance(e, pg.Index):
            return self.index(e)
        if isinstance(e, pg.List):
            return self.literal(e)
        return super().expr(e, depends)

    def literal(self, e: pg.List) -> int:
        """`[a, b]`: a numpy array, stacked from its items (a constant when every item is)."""
        if not e.items:
            raise ShapeError("an empty array has nothing to differentiate", self.span(e.first, e.last), self.source)
        items = tuple(self.numeric(self.expr(item), item_first(item)) for item in e.items)
        self.hold()
        return self.join("stack", items, 0, e.first, e.last)

    def join(self, name: str, items: tuple[int, ...], axis: int, first: int, last: int) -> int:
        if len(items) > ap.MAX_JOINED:
            groups = [items[k : k + ap.MAX_JOINED] for k in range(0, len(items), ap.MAX_JOINED)]
            if name == "stack":  # stack in groups, then join the groups end to end
                parts = tuple(self.join("stack", g, axis, first, last) for g in groups)
                return self.join("concatenate", parts, axis, first, last)
            parts = tuple(self.join(name, g, axis, first, last) for g in groups)
            return self.join(name, parts, axis, first, last)
        return self.apply(ap.variant(name, (len(items), axis)), items, first, last)

    def index(self, e: pg.Index) -> int:
        array = self.numeric(self.expr(e.value), item_first(e.value))
        key: list[int | slice] = []
        for item in e.items:
            if isinstance(item, pg.Slice):
                parts = [
                    None if p is None else self.whole(p, "a slice's bound") for p in (item.start, item.stop, item.step)
                ]
                if parts[2] == 0:
                    raise ShapeError("a slice's step must not be zero", self.span(item.first, item.last), self.source)
                key.append(slice(*parts))
            else:
                key.append(self.whole(item, "an index"))
        shape = self.array_of(array).shape
        if len(key) > len(shape):
            raise ShapeError(
                f"too many indices: {self.text(e.first, e.last)} indexes an array of shape {shape_text(shape)}",
                self.span(e.first, e.last),
                self.source,
            )
        for k, part in enumerate(key):
            if isinstance(part, int) and not -shape[k] <= part < shape[k]:
                raise ShapeError(
                    f"index {part} is out of range for axis {k} of size {shape[k]} (shape {shape_text(shape)})",
                    self.span(e.first, e.last),
                    self.source,
                )
        params = tuple(("slice", k.start, k.stop, k.step) if isinstance(k, slice) else k for k in key)
        return self.apply(ap.variant("index", params), (array,), e.first, e.last)

    def array_call(self, e: pg.ArrayCall) -> int:
        name = {"flatten": "reshape", "asarray": "array"}.get(e.name, e.name)
        kwargs = dict(e.kwargs)
        unknown = [k for k in kwargs if k not in _KEYWORDS.get(name, ())]
        if unknown:
            raise UnsupportedError(
                f"{e.name}(…) takes no keyword '{unknown[0]}' here", self.span(e.first, e.last), self.source
            )
        if name in ("zeros", "ones", "eye"):
            return self.filled(name, e)
        if name == "concatenate" or name == "stack":
            return self.joined(name, e, kwargs)
        args = [self.numeric(self.expr(a), item_first(a)) for a in e.args]
        self.hold()
        if name in ("len", "shape", "size", "ndim"):
            return self.measure(name, e, args)
        if name == "array":
            self.arity(e, args, 1)
            return args[0]
        if name in ("matmul", "dot", "outer"):
            self.arity(e, args, 2)
            if name == "dot" and (self.array_of(args[0]).ndim == 0 or self.array_of(args[1]).ndim == 0):
                return self.apply(ap.elementwise(_MUL), tuple(args), e.first, e.last)
            return self.apply(ap.OUTER if name == "outer" else ap.MATMUL, tuple(args), e.first, e.last)
        if name == "transpose":
            self.arity(e, args, 1)
            if self.array_of(args[0]).ndim < 2:
                return args[0]  # numpy: the transpose of a vector is the vector itself
            return self.apply(ap.TRANSPOSE, tuple(args), e.first, e.last)
        if name == "reshape":
            return self.reshaped(e, args)
        axis = self.axis(e, args, kwargs, name)
        self.arity(e, args, 1)
        return self.apply(ap.variant(name, (axis,) if axis is not None else ()), (args[0],), e.first, e.last)

    def arity(self, e: pg.ArrayCall, args: list[int], n: int) -> None:
        if len(args) != n:
            plural = "s" if n != 1 else ""
            raise ArityError(f"{e.name} takes {n} argument{plural}, got {len(args)}", self.span(e.first, e.last))

    def axis(self, e: pg.ArrayCall, args: list[int], kwargs: dict[str, pg.Expr], name: str) -> int | None:
        """A reduction's axis: axis=k, or numpy's second positional argument (np.sum(x, 0))."""
        given: pg.Expr | None = kwargs.get("axis")
        if len(args) == 2 and given is None and name != "softmax":
            given = e.args[1]
            del args[1]
        if given is None:
            return -1 if name == "softmax" else None
        axis = self.whole(given, "an axis")
        ndim = self.array_of(args[0]).ndim
        if not -ndim <= axis < ndim:
            raise ShapeError(
                f"axis {axis} is out of range for an array of {ndim} dimension{'s' if ndim != 1 else ''}",
                self.span(item_first(given), item_last(given)),
                self.source,
            )
        return axis

    def measure(self, name: str, e: pg.ArrayCall, args: list[int]) -> int:
        self.arity(e, args, 1)
        shape = self.array_of(args[0]).shape
        if name == "len":
            if not shape:
                raise ShapeError("len() of a number: it has shape ()", self.span(e.first, e.last), self.source)
            return self.constant(float(shape[0]), str(shape[0]), e.first)
        if name == "shape":
            return self.low_array(np.array(shape, dtype=float), shape_text(shape), e)
        count = float(np.prod(shape)) if name == "size" else float(len(shape))
        return self.constant(count, str(int(count)), e.first)

    def low_array(self, value: Array, text: str, e: pg.ArrayCall) -> int:
        assert isinstance(self.low, ArrayLowering)
        index = self.low.array(value, text, e.first, e.last)
        self.sync(e.first, e.last)
        return index

    def filled(self, name: str, e: pg.ArrayCall) -> int:
        sizes = [self.whole(a, "a size") for a in self._sizes(e)]
        if any(n < 1 for n in sizes) or not sizes or (name == "eye" and len(sizes) != 1):
            raise ShapeError(f"{e.name}(…) needs sizes of at least 1", self.span(e.first, e.last), self.source)
        if math.prod(sizes) > 10**7:
            raise ShapeError(f"{e.name}(…) of {math.prod(sizes):,} elements is too big", self.span(e.first, e.last))
        value = np.eye(sizes[0]) if name == "eye" else (np.zeros if name == "zeros" else np.ones)(sizes)
        return self.low_array(value, f"{name}({', '.join(map(str, sizes))})", e)

    @staticmethod
    def _sizes(e: pg.ArrayCall) -> tuple[pg.Expr, ...]:
        if len(e.args) == 1 and isinstance(e.args[0], pg.List):
            return e.args[0].items
        return e.args

    def reshaped(self, e: pg.ArrayCall, args: list[int]) -> int:
        array = args[0]
        if e.name == "flatten":
            sizes = [-1]
        else:
            shape_args = e.args[1:]
            if len(shape_args) == 1 and isinstance(shape_args[0], pg.List):
                shape_args = shape_args[0].items
            sizes = [self.whole(a, "a size") for a in shape_args]
        try:
            shape = np.empty(self.array_of(array).shape).reshape(sizes).shape
        except ValueError:
            raise ShapeError(
                f"can't reshape an array of shape {shape_text(self.array_of(array).shape)} into {tuple(sizes)}",
                self.span(e.first, e.last),
                self.source,
            ) from None
        return self.apply(ap.variant("reshape", tuple(shape)), (array,), e.first, e.last)

    def joined(self, name: str, e: pg.ArrayCall, kwargs: dict[str, pg.Expr]) -> int:
        if not e.args or not isinstance(e.args[0], pg.List) or len(e.args) > 2:
            raise UnsupportedError(
                f"{e.name} takes a list of arrays, as in {e.name}([a, b])", self.span(e.first, e.last), self.source
            )
        items = tuple(self.numeric(self.expr(a), item_first(a)) for a in e.args[0].items)
        self.hold()
        given = kwargs.get("axis", e.args[1] if len(e.args) == 2 else None)
        axis = 0 if given is None else self.whole(given, "an axis")
        return self.join(name, items, axis, e.first, e.last)

    def finish(self, outputs: list[str] | None) -> Graph:
        graph = super().finish(outputs)
        decided = tuple(b._replace(values=tuple(float(v) for v in b.values)) for b in graph.branches)
        return replace(graph, arrays=True, branches=decided)


_KEYWORDS = {
    name: ("axis",)
    for name in ("sum", "mean", "max", "min", "prod", "logsumexp", "norm", "softmax", "concatenate", "stack")
}
"""The keyword arguments each array function takes (numpy's `axis=`)."""

_MUL = BY_NAME["mul"]


def interpret_arrays(
    source: str, program: pg.Program, values: dict[str, Array], outputs: list[str] | None, limits: Limits
) -> tuple[Graph, list[Array]]:
    """Run an array program on the input values: the tape (a Graph of array primitives) and each node's value."""
    locator = Locator(source)
    run = ArrayInterpreter(source, locator, program, values, limits)
    missing = [name for name in program.inputs if name not in values and name not in program.declared]
    if missing:
        raise NameResolutionError(
            f"no value for {', '.join(missing)}: an array program needs every input's value "
            f"(give {', '.join(f'{m}=…' for m in missing)})"
        )
    run.run()
    graph = run.finish(outputs)
    return graph, run.vals
