"""Source → computational graph, numbered as a teacher numbers it.

The parser drives the lowering directly (it is the parser's builder), so the
graph is made in one pass over the tokens. Inputs come first in order of first
appearance, then operations in evaluation order (post-order, left to right),
so the node list is already topologically sorted and every later pass is a
plain loop. Constants are nodes too (so the forward loop stays uniform) but
get no number: they print inline (`2·w1`).

No `from __future__ import annotations` here: a NamedTuple compiles every annotation given as a string
(typing.ForwardRef), and this module's named tuples are made at every start.
"""

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from typing import Any, NamedTuple, cast

from ..errors import EvaluationError, NameResolutionError, OptionError, Span
from ..expr import Apply, Const, Expr, Sym, show
from ..language.lexer import Locator
from ..language.parser import suggest
from ..primitives import CONST, CONSTANTS, INPUT, Primitive

_MAX_EXACT = 40
"""A folded constant written out with more nodes than this is written as its value (see _Lowering.exact)."""
_NO_PARENTS = cast(list[tuple[int, int]], ())
"""The parents of every constant (a constant is never an edge's end): one shared empty tuple, typed as the
lists beside it; the lowering tells it apart by identity, and appending to it would fail loudly."""


def _nonzero_digit(mantissa: str) -> bool:
    return any(ch.isdecimal() and int(ch) != 0 for ch in mantissa)


class Node(NamedTuple):
    """One node of the graph. A named tuple: a million of them are made per million-node expression,
    and a tuple is built about five times faster than a frozen dataclass (the lowering makes them with
    tuple.__new__, which skips the named tuple's Python-level constructor and halves that again)."""

    prim: Primitive
    args: tuple[int, ...]
    """Indices of the nodes this one is computed from (its inputs)."""
    name: str | None
    """An input's name; an operation's assigned name, shown beside w_i (versioned: c, c@2), or None; a
    constant's text as typed (`2`, `pi`, a folded `2*pi`)."""
    first: int
    last: int
    """The node's text is tokens `first` to `last` of the source (`Graph.span` makes that a Span)."""
    const: float = 0.0
    """The value of a constant node (its text is `name`)."""

    @property
    def is_const(self) -> bool:
        return self.prim is CONST

    @property
    def is_input(self) -> bool:
        return self.prim is INPUT


_new = tuple.__new__


LETTERS = {"w": "wuqhpkm", "v": "vuqhpkm"}
"""Label letters in order of preference, per notation (the first is the notation's own)."""
DEFAULT_OUTPUTS = ("z", "f", "y", "out", "result")
"""Names for an output the program does not name, in order of preference."""


class Output(NamedTuple):
    name: str
    node: int


class LoopIteration(NamedTuple):
    """One iteration of one loop: where a node was made, as 'while iteration 3'."""

    line: int
    """The 1-based source line of the loop's `for` or `while`."""
    iteration: int
    """1 for the first pass through the loop's body."""
    kind: str
    """'for' or 'while'."""


class Context(NamedTuple):
    """Where a node was made: the call it belongs to and the loop iterations around it.

    Nodes share their context: the graph keeps one table of contexts (`Graph.contexts`) and one small int
    per node into it, and only for programs with control flow or calls."""

    call: str | None
    """The innermost call the node was made in ('CND#2': the second call of CND), or None at the top level."""
    calls: tuple[str, ...]
    """Every call around the node, outermost first (a recursive f: ('f#1', 'f#2'))."""
    loops: tuple[LoopIteration, ...]
    """The loop iterations around the node, outermost first (a call's loops follow its caller's)."""


TOP = Context(None, (), ())
"""The context of every node of a straight-line program, and of the top-level code of any program."""


class Branch(NamedTuple):
    """One decision the run made on the values: an `if`/`elif`, a `while` test, an `a if c else b`.

    Only decisions that depend on an input are recorded (a loop counter's `i < 10` is the same at every
    input); each evaluation is one record, so a `while` that ran 3 times has 4 (3 true, then false). A
    `while` test is made in the context of the iteration before it (the first in the loop's enclosing
    context). The condition's own operations (`abs(t)` in `abs(t) > 0.001`) are on the tape, before the
    decision, with adjoint 0: a comparison has no derivative."""

    line: int
    """The 1-based source line of the condition."""
    condition: str
    """The condition as typed ('d > 0')."""
    values: tuple[float, ...]
    """The values it compared, left to right (for `a < b <= c`: a, b, c; for a bare `while x:`, x; for
    `p and q`, those of every comparison evaluated: `and`/`or` stop early, as in Python)."""
    taken: bool
    """What the condition was: True means the run took its branch (or went round the loop again)."""
    kind: str
    """'if', 'elif', 'while' or 'ifexp'."""
    went: str
    """Where the run went from here: 'body' (the if/elif block ran; the while loop ran its body again),
    'next' (false: the next elif's test comes), 'else' (false: the else block ran), 'skip' (false, and no
    block ran: an if without else, or the while loop ended), 'then' / 'orelse' (`a if c else b` took a / b)."""
    position: int
    """The decision was made after the first `position` nodes of the tape (Graph.nodes[:position])."""
    context: int
    """Index into Graph.contexts: the call and loop iterations the decision was made in."""
    first: int
    last: int
    """Tokens of the condition (Graph.token_span makes a Span)."""


@dataclass(frozen=True, eq=False)
class Graph:
    """The tape: the nodes in topological order (inputs first), each one's arguments and parents, and what
    the program's text told the run (outputs, contexts, branches, notes)."""

    source: str
    nodes: list[Node]
    """In topological order: every node comes after its arguments."""
    inputs: dict[str, int]
    """Input name → node index, in order of first appearance."""
    outputs: tuple[Output, ...]
    assigned: frozenset[str]
    number: list[int]
    """Node index → its number i in w_i (0 for constants, which are not numbered)."""
    parents: Sequence[Sequence[tuple[int, int]]]
    """Node index → the (parent, argument position) pairs that use it, ascending.

    A parent of w_i is a node computed directly from w_i; its adjoint flows
    back into w_i. `x*x` gives two pairs with the same parent. (Lists, as the
    lowering filled them: a copy into tuples costs more than the reverse pass
    that reads them. Read them, don't change them.)
    """
    warnings: tuple[str, ...] = field(default=())
    exact: dict[int, str] = field(default_factory=dict)
    """Constant node index → its text with every named constant written out (`c = sin(1); c*2*x`: the
    folded `c*2` is `sin(1)*2` here), where that differs from the node's name; see `constant_code`."""
    notes: tuple[str, ...] = field(default=())
    """One-line notes on what the program's text did that a learner should know: skipped imports, prints
    and reads of .data/.grad, a variable shadowing a constant, a loop count set by an input."""
    contexts: tuple[Context, ...] = field(default=(TOP,))
    """Every context a node or branch was made in; index 0 is TOP."""
    context_ids: Sequence[int] | None = None
    """Node index → index into `contexts` (an array of ints), or None when every node is in TOP (the
    straight-line fast path stores nothing per node)."""
    branches: tuple[Branch, ...] = field(default=())
    """Each input-dependent decision, in the order the run made them."""
    declared: dict[str, float] = field(default_factory=dict)
    """Inputs a program declares with their value (`a = Value(-4.0)`), used where none is given."""
    labels: dict[str, int] = field(default_factory=dict)
    """Names `--outputs` may use beyond the program's variables: versions ('c@2') and call results
    ('CND#1'), each → node index. Their ASCII spellings (`ascii_label`) are read too."""
    is_program: bool = False
    """Whether the interpreter ran the program (control flow, calls, Python-only syntax)."""
    arrays: bool = False
    """Whether this is an array program's tape (engine/arrays): nodes are array primitives, and a constant's
    `const` is its numpy value."""
    elements: Any = None
    """For the element level of an array program (--elements): the engine/arrays/elements.ElementMap that ties
    each array node to its scalar nodes (the Lesson's Jacobian-sparsity section reads it)."""

    def context_id(self, i: int) -> int:
        """Node i's index into `contexts` (0, TOP, for a straight-line program)."""
        ids = self.context_ids
        return 0 if ids is None else ids[i]

    def context(self, i: int) -> Context:
        """The call and loop iterations node i was made in."""
        return self.contexts[self.context_id(i)]

    def call(self, i: int) -> str | None:
        """The innermost call node i belongs to ('CND#1'), or None."""
        return self.context(i).call

    def loops(self, i: int) -> tuple[LoopIteration, ...]:
        """The loop iterations node i was made in, outermost first (() outside every loop)."""
        return self.context(i).loops

    def line(self, i: int) -> int:
        """The 1-based source line where node i's text starts (for an input: its first use or declaration)."""
        return self.line_of_token(self.nodes[i].first)

    def line_of_token(self, token: int) -> int:
        starts = self._line_starts
        return bisect_right(starts, self._locator.span(token).start)

    @cached_property
    def _line_starts(self) -> list[int]:
        source = self.source
        starts = [0]
        at = source.find("\n")
        while at >= 0:  # str.find runs in C: a megabyte of one-line source is one call
            starts.append(at + 1)
            at = source.find("\n", at + 1)
        return starts

    def token_span(self, first: int, last: int) -> Span:
        """Tokens first to last as a span of the source (a Branch's condition)."""
        return self._locator.span(first, last)

    def groups(self) -> list[tuple[int, list[int]]]:
        """The numbered nodes in runs of one context, in tape order: [(context index, [node indices]), …];
        a loop's iterations and a call's nodes come out as consecutive runs (one run for a straight line)."""
        runs: list[tuple[int, list[int]]] = []
        for i in self.numbered:
            cid = self.context_id(i)
            if runs and runs[-1][0] == cid:
                runs[-1][1].append(i)
            else:
                runs.append((cid, [i]))
        return runs

    @cached_property
    def numbered(self) -> tuple[int, ...]:
        """Indices of the numbered nodes (inputs and operations), in order (made once)."""
        return tuple(i for i, k in enumerate(self.number) if k)

    @cached_property
    def _locator(self) -> Locator:
        return Locator(self.source)

    def span(self, i: int) -> Span:
        """Where node i's text is in the source (for an error's caret)."""
        node = self.nodes[i]
        return self._locator.span(node.first, node.last)

    @cached_property
    def letters(self) -> dict[str, str]:
        """The letter node labels use in each notation: w (or v), unless a name of the program looks like a
        label (an input w1 would read as node w1): then the first of LETTERS that no name can be mistaken for."""
        names = [*self.inputs, *self.assigned]
        clash = re.compile(r"([^\W\d_])-?\d+")
        taken = {m.group(1) for name in names if (m := clash.fullmatch(name))}
        return {n: next(c for c in LETTERS[n] if c not in taken) for n in LETTERS}

    def label(self, i: int, notation: str = "w") -> str:
        """w3, or v1 in Griewank's notation where inputs are v₋ₙ₊₁ … v₀ (written v-1 … v0)."""
        node = self.nodes[i]
        if node.is_const:
            return node.name or ""
        k = self.number[i]
        if notation == "v":
            k -= len(self.inputs)
        return f"{self.letters[notation]}{k}"

    def definition(self, i: int, notation: str = "w") -> Expr:
        """The node's formula over its arguments' labels: mul(w1, w2), or the input's name."""
        node = self.nodes[i]
        if node.is_input:
            return Sym(node.name or "")
        return Apply(node.prim, tuple(self.operand(a, notation) for a in node.args))

    def constant_code(self, i: int) -> str:
        """A constant node's text with no name in it, in adtrace syntax: what a closed form must print, since a
        name such as `c` may be reassigned later and is no input of the formula (it would not parse back)."""
        return self.exact.get(i) or self.nodes[i].name or ""

    def operand(self, i: int, notation: str = "w") -> Expr:
        """How node i appears inside another node's formula: its label, or a constant's text."""
        node = self.nodes[i]
        if node.is_const:
            return Const(node.const, node.name or "")
        return Sym(self.label(i, notation))


def ascii_label(label: str) -> str:
    """A label in characters adtrace's parser reads as one name: c@2 → c_2, CND#1 → CND_1 (what
    --outputs, the quiz and the adjoint program accept beside the label itself)."""
    return label.replace("@", "_").replace("#", "_")


MAX_NODES_DEFAULT = 1_000_000
MAX_ITERATIONS_DEFAULT = 100_000
MAX_DEPTH_DEFAULT = 200


class Limits(NamedTuple):
    """How far the interpreter lets a program go before it stops with an error (the CLI's --max-* options)."""

    max_nodes: int = MAX_NODES_DEFAULT
    max_iterations: int = MAX_ITERATIONS_DEFAULT
    """Iterations of any one loop, each time it runs."""
    max_depth: int = MAX_DEPTH_DEFAULT
    """Calls inside calls (recursion)."""


class _UsedBeforeAssigned(NameResolutionError):
    """The fast path met a name used before its assignment; the interpreter decides what it means."""


class _Lowering:
    """The parser's builder for the graph: each call adds a node (or finds one) and returns its index.

    The parser calls it in post-order, arguments before the operation, so nodes come out in
    evaluation order; the inputs are made first, from the names the parser found free.
    """

    def __init__(self, source: str, locator: Locator, inputs: dict[str, int]):
        self.source = source
        self.span = locator.span
        self.inputs = list(inputs)
        self.nodes: list[Node] = [Node(INPUT, (), name, token, token) for name, token in inputs.items()]
        self.parents: list[list[tuple[int, int]]] = [[] for _ in inputs]
        """Node index → the (parent, argument position) pairs that use it, filled as parents are made."""
        self.env: dict[str, int] = {name: i for i, name in enumerate(inputs)}
        self.versions: dict[str, int] = {}
        self.assigned_at: dict[int, str] = {}
        self.pending: dict[int, Expr] = {}
        """Folded constants whose text is not printed yet, as formulas: only the outermost of a constant
        sub-expression survives, so printing each once at the end keeps folding linear."""
        self.floor = len(self.nodes)
        """Nodes below this index belong to finished statements and may be named; folding never deletes them."""
        self.last = -1
        self.last_target: str | None = None
        self.bare: list[int] = []
        """Bare (unassigned) statements, by number from 1."""
        self.count = 0
        self.const_names: dict[int, str] = {}
        """Constant nodes assigned to a name (`c = 2*pi`): a later constant made from one prints it by name."""
        self.read: set[int] = set()
        """Assigned nodes read by name somewhere (an alias `b = a` reads `a` without making an edge)."""
        self.exact: dict[int, tuple[Expr, int]] = {}
        """Folded constant → (its formula with named constants written out, that formula's size)."""
        self.underflows: list[str] = []
        self.input_names = set(inputs)
        self.labels: dict[str, int] = {}
        """Versions of names ('c@2') → node index, for --outputs."""

    # -- the parser's builder interface ------------------------------------
    def number(self, value: float, text: str, token: int) -> int:
        if not value and text not in self.underflows and _nonzero_digit(text.lower().partition("e")[0]):
            self.underflows.append(text)  # 1e-400: not zero as typed, but below the smallest float
        nodes = self.nodes
        nodes.append(_new(Node, (CONST, (), text, token, token, value)))
        self.parents.append(_NO_PARENTS)
        return len(nodes) - 1

    def name(self, name: str, token: int) -> int:
        index = self.env.get(name)
        if index is not None:
            if index in self.assigned_at:
                self.read.add(index)
            return index
        constant = CONSTANTS.get(name)
        if constant is not None:
            return self.number(constant, name, token)
        raise _UsedBeforeAssigned(
            f"'{name}' is used before it is assigned: assign it first, or rename the input",
            self.span(token),
            self.source,
        )

    def apply(self, prim: Primitive, args: tuple[int, ...], first: int, last: int) -> int:
        nodes = self.nodes
        parents = self.parents
        i = len(nodes)
        if len(args) == 2:  # spelled out for the usual case: this runs once per operation
            a, b = args
            parents_a = parents[a]
            parents_b = parents[b]
            if parents_a is _NO_PARENTS and parents_b is _NO_PARENTS:  # is: only constants share that list
                return self.fold(prim, args, first, last)
            if parents_a is not _NO_PARENTS:
                parents_a.append((i, 0))
            if parents_b is not _NO_PARENTS:
                parents_b.append((i, 1))
        else:  # one argument: every primitive takes one or two (tests/test_primitives.py)
            parents_a = parents[args[0]]
            if parents_a is _NO_PARENTS:
                return self.fold(prim, args, first, last)
            parents_a.append((i, 0))
        nodes.append(_new(Node, (prim, args, None, first, last, 0.0)))
        parents.append([])
        return i

    def statement(self, target: str | None, token: int, value: int) -> None:
        self.count += 1
        if target is None:
            self.bare.append(self.count)
        else:
            self.bind(target, value)
        self.last, self.last_target = value, target
        self.floor = len(self.nodes)

    # -- lowering --------------------------------------------------------------
    def bind(self, target: str, index: int) -> None:
        version = self.versions.get(target, 1 if target in self.input_names else 0) + 1  # an input is version 1
        self.versions[target] = version
        self.env[target] = index
        if version > 1:
            self.labels[f"{target}@{version}"] = index
        node = self.nodes[index]
        if node.is_const:
            self.const_names[index] = target
        elif node.name is None:
            shown = target if version == 1 else f"{target}@{version}"
            self.nodes[index] = node._replace(name=shown)
            self.assigned_at[index] = shown

    def fold(self, prim: Primitive, args: tuple[int, ...], first: int, last: int) -> int:
        """A constant sub-expression becomes one constant, printed as it was typed."""
        nodes = self.nodes
        formula = Apply(prim, tuple(self.constant_formula(a) for a in args))
        exact = [self.exact.pop(a, None) if a >= self.floor else self.exact.get(a) for a in args]
        parts = [found or (Const(nodes[a].const, nodes[a].name or ""), 1) for a, found in zip(args, exact, strict=True)]
        values = [nodes[a].const for a in args]
        if list(args) == list(range(len(nodes) - len(args), len(nodes))) and args[0] >= self.floor:
            del nodes[-len(args) :]  # the folded constants were made just for this operation
            del self.parents[-len(args) :]
        try:
            value = prim.evaluate(*values)
        except OverflowError:
            value = float("inf")
        except (ValueError, ZeroDivisionError):
            value = float("nan")
        if value != value:
            raise EvaluationError(
                f"the constant {show(formula, 'code')} is undefined ({prim.domain or 'not a number'})",
                self.span(first, last),
                self.source,
            )
        if value - value != 0:
            raise EvaluationError(
                f"the constant {show(formula, 'code')} overflows: it is too large for a floating-point number "
                "(about 1.8e308 at most)",
                self.span(first, last),
                self.source,
            )
        nodes.append(Node(CONST, (), None, first, last, value))
        self.parents.append(_NO_PARENTS)
        index = len(nodes) - 1
        self.pending[index] = formula
        size = 1 + sum(n for _, n in parts)
        if size <= _MAX_EXACT:
            self.exact[index] = (Apply(prim, tuple(e for e, _ in parts)), size)
        else:  # written out, c = c*c repeated would double every time: its value stands for it instead
            self.exact[index] = (Const(value, repr(value)), 1)
        return index

    def constant_formula(self, index: int) -> Expr:
        """How a constant argument reads inside a folded constant's text."""
        if index < self.floor and index in self.const_names:  # assigned earlier, read here by its name
            return Sym(self.const_names[index])
        if index in self.pending:  # folded in this statement: it becomes part of the bigger constant
            return self.pending.pop(index)
        node = self.nodes[index]
        return Const(node.const, node.name or "")

    def finish(self, output_names: list[str] | None) -> Graph:
        exact: dict[int, str] = {}
        for index, formula in self.pending.items():  # each surviving folded constant gets its text, once
            text = show(formula, "code")
            self.nodes[index] = self.nodes[index]._replace(name=text)
            written = show(self.exact[index][0], "code")
            if written != text:
                exact[index] = written
        warnings = [
            f"the number {text} is too small for a floating-point number (about 5e-324 at least): it is 0 here"
            for text in self.underflows
        ]
        warnings += [f"the value of statement {k} is never used" for k in self.bare if k != self.count]
        outputs = self.pick_outputs(output_names)
        parents = self.parents
        out_nodes = {o.node for o in outputs}
        for index, name in self.assigned_at.items():
            if not parents[index] and index not in self.read and index not in out_nodes:
                warnings.append(f"'{name}' is assigned but never used")
        inputs = {name: i for i, name in enumerate(self.inputs)}
        for label in self.labels:
            spelled = ascii_label(label)
            if spelled in self.env:
                warnings.append(
                    f"'{spelled}' is a variable and also the ASCII spelling of {label}: in --outputs, {spelled} "
                    f"means the variable (write {label} for the other)"
                )
        return Graph(
            source=self.source,
            nodes=self.nodes,
            inputs=inputs,
            outputs=outputs,
            assigned=frozenset(self.versions),
            number=self.numbers(),
            parents=parents,
            warnings=tuple(warnings),
            exact=exact,
            labels=self.labels,
        )

    def default_output(self) -> str:
        """The name of an unnamed last statement: z, unless the program uses z for something else."""
        used = set(self.env) | set(self.versions)
        return next((n for n in DEFAULT_OUTPUTS if n not in used), "z")

    def pick_outputs(self, names: list[str] | None) -> tuple[Output, ...]:
        default = self.default_output()
        if not names:
            outputs: tuple[Output, ...] = (Output(self.last_target or default, self.last),)
        else:
            found: dict[int, str] = {}
            ascii = {ascii_label(label): label for label in self.labels}
            for name in names:
                if name == default and name not in self.env and self.last_target is None:
                    found[self.last] = name  # the default output's own name
                    continue
                index = self.env.get(name)
                if index is None:
                    label = name if name in self.labels else ascii.get(name)
                    if label is None:
                        hint = suggest(name, [*self.versions, *self.labels])
                        raise OptionError(f"unknown output '{name}': it is not assigned in the program{hint}")
                    index = self.labels[label]
                if index in found:
                    same = "listed twice" if found[index] == name else f"the same node as '{found[index]}'"
                    raise OptionError(f"output '{name}' is {same}: each output must be its own node")
                found[index] = name
            outputs = tuple(Output(name, index) for index, name in found.items())
        for out in outputs:
            node = self.nodes[out.node]
            if node.is_const:
                value = f" = {node.const:g}" if isinstance(node.const, int | float) else ""  # an array: its text
                raise EvaluationError(
                    f"the output {out.name} is the constant {node.name}{value}: "
                    "it depends on no input, so there is nothing to differentiate",
                    self.span(node.first, node.last),
                    self.source,
                )
        return outputs

    def numbers(self) -> list[int]:
        """Each node's number i in w_i (0 for constants, which are not numbered)."""
        numbered = [0 if node.prim is CONST else 1 for node in self.nodes]
        return [k if counted else 0 for k, counted in zip(accumulate(numbered), numbered, strict=True)]
