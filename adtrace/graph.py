"""Syntax tree → computational graph, numbered as a teacher numbers it.

Inputs come first in order of first appearance, then operations in evaluation
order (post-order, left to right), so the node list is already topologically
sorted and every later pass is a plain loop. Constants are nodes too (so the
forward loop stays uniform) but get no number: they print inline (`2·w1`).
Lowering is iterative, so graphs of any depth work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from . import syntax as st
from .errors import EvaluationError, NameResolutionError, OptionError, Span
from .expr import Apply, Const, Expr, Sym, from_syntax, show
from .parser import parse, suggest
from .primitives import BY_NAME, CONST, CONSTANTS, INPUT, Primitive


class Node(NamedTuple):
    """One node of the graph. A named tuple: a million of them are made per million-node expression,
    and a tuple is built about five times faster than a frozen dataclass."""

    prim: Primitive
    args: tuple[int, ...]
    """Indices of the nodes this one is computed from (its inputs)."""
    name: str | None
    """The input's name, or the assigned name shown beside w_i (versioned: c, c@2)."""
    span: Span | None
    const: float = 0.0
    """The value of a constant node (its text is `name`)."""

    @property
    def is_const(self) -> bool:
        return self.prim is CONST

    @property
    def is_input(self) -> bool:
        return self.prim is INPUT


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    node: int


@dataclass(frozen=True)
class Graph:
    source: str
    nodes: list[Node]
    """In topological order: every node comes after its arguments."""
    inputs: dict[str, int]
    """Input name → node index, in order of first appearance."""
    outputs: tuple[Output, ...]
    assigned: frozenset[str]
    number: list[int]
    """Node index → its number i in w_i (0 for constants, which are not numbered)."""
    parents: list[tuple[tuple[int, int], ...]]
    """Node index → the (parent, argument position) pairs that use it, ascending.

    A parent of w_i is a node computed directly from w_i; its adjoint flows
    back into w_i. `x*x` gives two pairs with the same parent.
    """
    warnings: tuple[str, ...] = field(default=())

    @property
    def numbered(self) -> list[int]:
        """Indices of the numbered nodes (inputs and operations), in order."""
        return [i for i, n in enumerate(self.nodes) if not n.is_const]

    def label(self, i: int, notation: str = "w") -> str:
        """w3, or v1 in Griewank's notation where inputs are v₋ₙ₊₁ … v₀ (written v-1 … v0)."""
        node = self.nodes[i]
        if node.is_const:
            return node.name or ""
        k = self.number[i]
        if notation == "v":
            k -= len(self.inputs)
        return f"{notation}{k}"

    def definition(self, i: int, notation: str = "w") -> Expr:
        """The node's formula over its arguments' labels: mul(w1, w2), or the input's name."""
        node = self.nodes[i]
        if node.is_input:
            return Sym(node.name or "")
        return Apply(node.prim, tuple(self.operand(a, notation) for a in node.args))

    def operand(self, i: int, notation: str = "w") -> Expr:
        """How node i appears inside another node's formula: its label, or a constant's text."""
        node = self.nodes[i]
        if node.is_const:
            return Const(node.const, node.name or "")
        return Sym(self.label(i, notation))


def build(source: str, outputs: list[str] | None = None) -> Graph:
    """Parse and lower a program; `outputs` names the outputs (default: the last statement)."""
    return _Lowering(parse(source)).run(outputs)


class _Lowering:
    def __init__(self, program: st.Program):
        self.program = program
        self.source = program.source
        self.nodes: list[Node] = []
        self.env: dict[str, int] = {}
        self.versions: dict[str, int] = {}
        self.used: set[int] = set()
        self.assigned_at: dict[int, tuple[str, Span]] = {}
        self.pending: dict[int, tuple[Node, st.Op]] = {}
        """Folded constants whose text is not printed yet: only the outermost of a constant sub-expression
        survives, so printing each once at the end keeps folding linear."""

    def run(self, output_names: list[str] | None) -> Graph:
        statements = self.program.statements
        self.declare_inputs(statements)
        last = -1
        warnings: list[str] = []
        for k, stmt in enumerate(statements):
            if isinstance(stmt, st.Assign):
                index = self.lower(stmt.value)
                self.bind(stmt.target, stmt.target_span, index)
            else:
                index = self.lower(stmt)
                if k != len(statements) - 1:
                    warnings.append(f"the value of statement {k + 1} is never used")
            last = index
        self.print_folded()
        outputs = self.pick_outputs(output_names, last)
        out_nodes = {o.node for o in outputs}
        for index, (name, _) in self.assigned_at.items():
            if index not in self.used and index not in out_nodes:
                warnings.append(f"'{name}' is assigned but never used")
        return self.finish(outputs, tuple(warnings))

    def declare_inputs(self, statements: tuple[st.Assign | st.Node, ...]) -> None:
        """Create input nodes for free names, in order of first appearance."""
        assigned: dict[str, Span] = {}
        first_use: dict[str, Span] = {}
        for stmt in statements:
            root = stmt.value if isinstance(stmt, st.Assign) else stmt
            stack: list[st.Node] = [root]
            while stack:
                node = stack.pop()
                if isinstance(node, st.Name):
                    if node.name not in assigned and node.name not in CONSTANTS and node.name not in first_use:
                        first_use[node.name] = node.span
                elif isinstance(node, st.Op):
                    stack.extend(reversed(node.args))
            if isinstance(stmt, st.Assign):
                if stmt.target in first_use:
                    span = first_use[stmt.target]
                    raise NameResolutionError(
                        f"'{stmt.target}' is used before it is assigned: assign it first, or rename the input",
                        span,
                        self.source,
                    )
                assigned.setdefault(stmt.target, stmt.target_span)
        for name, span in first_use.items():
            self.env[name] = self.add(Node(INPUT, (), name, span))

    def add(self, node: Node) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def bind(self, target: str, span: Span, index: int) -> None:
        version = self.versions.get(target, 0) + 1
        self.versions[target] = version
        self.env[target] = index
        node = self.nodes[index]
        if node.name is None and not node.is_const:
            shown = target if version == 1 else f"{target}@{version}"
            self.nodes[index] = Node(node.prim, node.args, shown, node.span, node.const)
            self.assigned_at[index] = (shown, span)

    def lower(self, root: st.Node) -> int:
        """Post-order, iterative: each Op becomes a node after its arguments.

        A pre-order walk that takes the last argument first is, read backwards, the post-order
        (arguments left to right, then the operation); one pass over it then builds the nodes.
        """
        order: list[st.Node] = []
        stack: list[st.Node] = [root]
        while stack:
            node = stack.pop()
            order.append(node)
            if type(node) is st.Op:
                stack.extend(node.args)
        results: list[int] = []
        for node in reversed(order):
            if type(node) is st.Op:
                count = len(node.args)
                args = tuple(results[-count:])
                del results[-count:]
                results.append(self.operation(node, args))
            elif type(node) is st.Name:
                results.append(self.name(node))
            else:
                assert type(node) is st.Num
                results.append(self.add(Node(CONST, (), node.text, node.span, node.value)))
        return results[0]

    def name(self, node: st.Name) -> int:
        if node.name in CONSTANTS:
            return self.add(Node(CONST, (), node.name, node.span, CONSTANTS[node.name]))
        index = self.env[node.name]
        self.used.add(index)
        return index

    def operation(self, node: st.Op, args: tuple[int, ...]) -> int:
        prim = BY_NAME[node.op]
        nodes = self.nodes
        for a in args:
            if nodes[a].prim is not CONST:
                break
        else:  # every argument is a constant
            return self.fold(node, prim, args)
        self.used.update(args)
        return self.add(Node(prim, args, None, node.span))

    def fold(self, node: st.Op, prim: Primitive, args: tuple[int, ...]) -> int:
        """A constant sub-expression becomes one constant, printed as it was typed."""
        values = [self.nodes[a].const for a in args]
        if list(args) == list(range(len(self.nodes) - len(args), len(self.nodes))):
            del self.nodes[-len(args) :]  # the folded constants were made just for this operation
        try:
            value = prim.evaluate(*values)
        except OverflowError:
            value = float("inf")
        except (ValueError, ZeroDivisionError):
            value = float("nan")
        if value - value != 0:
            text = show(from_syntax(node), "code")
        if value != value:
            raise EvaluationError(
                f"the constant {text} is undefined ({prim.domain or 'not a number'})", node.span, self.source
            )
        if value - value != 0:
            raise EvaluationError(
                f"the constant {text} overflows: it is too large for a floating-point number (about 1.8e308 at most)",
                node.span,
                self.source,
            )
        folded = Node(CONST, (), None, node.span, value)
        index = self.add(folded)
        self.pending[index] = (folded, node)
        return index

    def pick_outputs(self, names: list[str] | None, last: int) -> tuple[Output, ...]:
        if not names:
            last_stmt = self.program.statements[-1]
            name = last_stmt.target if isinstance(last_stmt, st.Assign) else "z"
            outputs: tuple[Output, ...] = (Output(name, last),)
        else:
            found: dict[int, str] = {}
            for name in names:
                if name not in self.env:
                    hint = suggest(name, list(self.versions))
                    raise OptionError(f"unknown output '{name}': it is not assigned in the program{hint}")
                index = self.env[name]
                if index in found:
                    same = "listed twice" if found[index] == name else f"the same node as '{found[index]}'"
                    raise OptionError(f"output '{name}' is {same}: each output must be its own node")
                found[index] = name
            outputs = tuple(Output(name, index) for index, name in found.items())
        for out in outputs:
            node = self.nodes[out.node]
            if node.is_const:
                raise EvaluationError(
                    f"the output {out.name} is the constant {node.name} = {node.const:g}: "
                    "it depends on no input, so there is nothing to differentiate",
                    node.span,
                    self.source,
                )
        return outputs

    def print_folded(self) -> None:
        """Give each surviving folded constant its text, as typed (2*pi), once."""
        for index, (folded, syntax) in self.pending.items():
            if index < len(self.nodes) and self.nodes[index] is folded:
                self.nodes[index] = folded._replace(name=show(from_syntax(syntax), "code"))

    def finish(self, outputs: tuple[Output, ...], warnings: tuple[str, ...]) -> Graph:
        number = [0] * len(self.nodes)
        parents: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        counter = 0
        nodes = self.nodes
        for i, node in enumerate(nodes):
            if node.prim is not CONST:
                counter += 1
                number[i] = counter
            for pos, arg in enumerate(node.args):
                if nodes[arg].prim is not CONST:
                    parents[arg].append((i, pos))
        inputs = {n.name: i for i, n in enumerate(self.nodes) if n.is_input and n.name is not None}
        return Graph(
            source=self.source,
            nodes=self.nodes,
            inputs=inputs,
            outputs=outputs,
            assigned=frozenset(self.versions),
            number=number,
            parents=[tuple(p) for p in parents],
            warnings=warnings,
        )
