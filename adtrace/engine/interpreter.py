"""Run a program of adtrace's Python subset on the input values, recording the tape as it goes.

Control flow needs values: which branch an `if` takes and how often a loop runs depend on them. So a
program with control flow or calls is not lowered in one pass like a straight line (tape.build's fast
path) but run, statement by statement, by this interpreter over the statement tree of
language/program.py. Every operation it meets becomes a graph node through the same lowering as the
fast path (graph._Lowering), with its value computed beside it; calls are inlined at their call site.
The tape that comes out is the computation that actually ran: the graph reverse mode differentiates.

Each node also gets a context (the call it belongs to, the loop iterations around it): one int per node
into a shared table, kept only here, so straight-line programs pay nothing for it. Each input-dependent
decision is recorded as a Branch.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import NamedTuple

from ..errors import ArityError, ControlFlowError, EvaluationError, LimitError, NameResolutionError, ParseError, Span
from ..language import program as pg
from ..language.lexer import Locator
from ..language.parser import suggest
from ..primitives import CONST, CONSTANTS, FUNCTIONS, Primitive
from .graph import TOP, Branch, Context, Graph, Limits, LoopIteration, _Lowering


class Truth(NamedTuple):
    """A comparison's result: a plain bool, which is not a node (a comparison has no derivative)."""

    value: bool


Value = int | Truth
"""What an expression evaluates to: a node index, or a truth value."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Value | None):
        self.value = value


class _Frame:
    """One call's local names (or the top level's, which live in the lowering's env)."""

    def __init__(self, env: dict[str, int], label: str | None, function: str | None):
        self.env = env
        self.versions: dict[str, int] = {}
        self.label = label
        self.function = function


def interpret(
    source: str, program: pg.Program, outputs: list[str] | None, values: dict[str, float], limits: Limits
) -> Graph:
    """Run a parsed program; `values` are the inputs' values (a missing one stays unknown: a symbolic trace,
    refused at the first branch that needs it)."""
    run = _Interpreter(source, Locator(source), program, values, limits)
    run.run()
    return run.finish(outputs)


class _Interpreter:
    def __init__(self, source: str, locator: Locator, program: pg.Program, values: dict[str, float], limits: Limits):
        self.source = source
        self.locator = locator
        self.program = program
        self.limits = limits
        given = {**program.declared, **values}
        self.low = low = _Lowering(source, locator, program.inputs)
        self.vals: list[float] = [given.get(name, math.nan) for name in program.inputs]
        self.unknown: set[int] = {i for i, name in enumerate(program.inputs) if name not in given}
        self.ctx = array("I", [0] * len(program.inputs))
        self.count = len(program.inputs)
        """Numbered nodes made (inputs and operations: constants don't count towards --max-nodes)."""
        self.contexts: list[Context] = [TOP]
        self.context_index: dict[tuple[tuple[str, ...], tuple[LoopIteration, ...]], int] = {((), ()): 0}
        self.cid = 0
        self.calls: list[str] = []
        self.loops: list[LoopIteration] = []
        self.branches: list[Branch] = []
        self.notes: list[str] = list(program.notes)
        self.functions: dict[str, pg.Def] = {}
        self.locals: dict[str, set[str]] = {}
        """A function's local names (its parameters and every name its body assigns), as Python decides."""
        self.call_counts: dict[str, int] = {}
        self.top = _Frame(low.env, None, None)
        self.frame = self.top
        self.output: str | None = None
        self.last_value: tuple[int, str] | None = None
        """The last top-level assignment of a value that is not a constant: the default output when the
        program ends by assigning a constant (a loop counter's `k += 1`)."""
        self.compared: list[float] = []
        """The values the condition being decided compared, in order."""
        self.condition: pg.Expr | None = None
        """The condition being decided (an error on an unknown value names it)."""
        self.line_starts = [0, *(k + 1 for k, c in enumerate(source) if c == "\n")]
        """Where each line starts (a program is small: the interpreter's statements are its lines)."""

    def run(self) -> None:
        """Run the program's statements (calls nest on Python's stack: its limit is raised to fit)."""
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 60 * self.limits.max_depth + 20 * pg.MAX_NESTING + 2000))
        try:
            self.block(self.program.body)
        except _Return:  # (the parser allows return only in a function)
            pass
        finally:
            sys.setrecursionlimit(old)

    # -- helpers ---------------------------------------------------------------------------------------
    def span(self, first: int, last: int | None = None) -> Span:
        return self.locator.span(first, last)

    def line(self, tok: int) -> int:
        start = self.locator.span(tok).start
        lo, hi = 0, len(self.line_starts)
        while lo < hi:  # bisect_right
            mid = (lo + hi) // 2
            if self.line_starts[mid] <= start:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def text(self, first: int, last: int) -> str:
        span = self.locator.span(first, last)
        return " ".join(self.source[span.start : span.end].split())

    def set_context(self) -> None:
        key = (tuple(self.calls), tuple(self.loops))
        cid = self.context_index.get(key)
        if cid is None:
            cid = len(self.contexts)
            self.context_index[key] = cid
            self.contexts.append(Context(self.calls[-1] if self.calls else None, key[0], key[1]))
        self.cid = cid

    def sync(self, first: int, last: int) -> None:
        """Bring the values, unknowns and contexts up to the lowering's nodes (a fold may have removed some)."""
        nodes = self.low.nodes
        vals = self.vals
        n = len(nodes)
        if n < len(vals):
            del vals[n:]
            del self.ctx[n:]
        while len(vals) < n:
            k = len(vals)
            node = nodes[k]
            if node.prim is CONST:
                vals.append(node.const)
            else:
                self.count += 1
                args = node.args
                try:
                    vals.append(float(node.prim.evaluate(*(vals[a] for a in args))))
                except (ValueError, ZeroDivisionError, OverflowError):
                    vals.append(math.nan)  # the forward pass reports it, with its caret
                if self.unknown and any(a in self.unknown for a in args):
                    self.unknown.add(k)
            self.ctx.append(self.cid)
        if self.count > self.limits.max_nodes:
            raise LimitError(
                f"the program made more than {self.limits.max_nodes:,} nodes (--max-nodes raises the limit)",
                self.span(first, last),
                self.source,
            )

    def constant(self, value: float, text: str, tok: int) -> int:
        i = self.low.number(value, text, tok)
        self.sync(tok, tok)
        return i

    def apply(self, prim: Primitive, args: tuple[int, ...], first: int, last: int) -> int:
        i = self.low.apply(prim, args, first, last)
        if self.low.nodes[i].prim is CONST:  # folded: the constant may reuse the indices of its arguments
            del self.vals[i:]
            del self.ctx[i:]
        self.sync(first, last)
        return i

    def numeric(self, value: Value, tok: int) -> int:
        """A value as a node: a truth value used in arithmetic is the constant 1 or 0, as in Python."""
        if isinstance(value, Truth):
            return self.constant(1.0 if value.value else 0.0, "True" if value.value else "False", tok)
        return value

    def hold(self) -> None:
        """Nodes made so far may be held by a name: the lowering's folding must not delete them."""
        self.low.floor = len(self.low.nodes)

    # -- names -------------------------------------------------------------------------------------------
    def lookup(self, name: str, tok: int) -> int:
        frame = self.frame
        index = frame.env.get(name)
        if index is None and frame is not self.top and not (frame.function and name in self.locals[frame.function]):
            index = self.top.env.get(name)
        if index is not None:
            if index in self.low.assigned_at:
                self.low.read.add(index)
            return index
        constant = CONSTANTS.get(name)
        if constant is not None:
            return self.constant(constant, name, tok)
        if name in self.functions or name in FUNCTIONS:
            raise NameResolutionError(f"'{name}' is a function: call it, as in {name}(x)", self.span(tok), self.source)
        raise ControlFlowError(
            f"'{name}' is used before it is assigned on the path this run took", self.span(tok), self.source
        )

    def assign(self, name: str, tok: int, index: int, *, top_statement: bool = False) -> None:
        low = self.low
        node = low.nodes[index]
        if node.prim is CONST and index in low.pending:  # a named constant prints as its value
            del low.pending[index]
            low.nodes[index] = node._replace(name=_number_text(node.const))
        if self.frame is self.top:
            if node.prim is not CONST:
                self.last_value = (index, name)
            if top_statement:
                low.statement(name, tok, index)
            else:
                low.bind(name, index)
                low.last, low.last_target = index, name
            low.const_names.pop(index, None)  # a program's constants print by value, not by a name that changes
        else:
            frame = self.frame
            version = frame.versions.get(name, 0) + 1
            frame.versions[name] = version
            frame.env[name] = index
            if node.prim is not CONST and low.nodes[index].name is None:
                low.nodes[index] = low.nodes[index]._replace(name=name if version == 1 else f"{name}@{version}")
        self.hold()

    # -- statements --------------------------------------------------------------------------------------
    def block(self, body: tuple[pg.Stmt, ...]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: pg.Stmt) -> None:
        top = self.frame is self.top and not self.loops
        if isinstance(stmt, pg.Assign):
            if isinstance(stmt.value, pg.Declare):
                for name, _ in stmt.targets:
                    if self.frame is not self.top or name not in self.program.declared:
                        raise ControlFlowError(
                            f"{self.text(stmt.value.first, stmt.value.last)} declares an input: only a top-level "
                            "assignment can declare one, once",
                            self.span(stmt.value.first, stmt.value.last),
                            self.source,
                        )
                return
            value = self.numeric(self.expr(stmt.value), stmt.first)
            for k, (name, tok) in enumerate(stmt.targets):
                self.assign(name, tok, value, top_statement=top and k == 0)
        elif isinstance(stmt, pg.AugAssign):
            current = self.lookup(stmt.target, stmt.tok)
            operand = self.numeric(self.expr(stmt.value), stmt.first)
            result = self.apply(stmt.prim, (current, operand), stmt.first, stmt.last)
            self.assign(stmt.target, stmt.tok, result, top_statement=top)
        elif isinstance(stmt, pg.ExprStmt):
            bare = self.expr(stmt.value)
            if top and not isinstance(bare, Truth):
                self.low.statement(None, stmt.first, bare)
            elif self.frame is self.top and not isinstance(bare, Truth):
                self.low.last, self.low.last_target = bare, None
            self.hold()
        elif isinstance(stmt, pg.If):
            branches = stmt.branches
            for k, (cond, body, _) in enumerate(branches):
                otherwise = "skip" if k + 1 == len(branches) else "else" if branches[k + 1][0] is None else "next"
                if cond is None or self.decide(cond, "if" if k == 0 else "elif", ("body", otherwise)):
                    self.block(body)
                    break
        elif isinstance(stmt, pg.While):
            self.loop_while(stmt)
        elif isinstance(stmt, pg.For):
            self.loop_for(stmt)
        elif isinstance(stmt, pg.Jump):
            raise _Break() if stmt.kind == "break" else _Continue()
        elif isinstance(stmt, pg.Return):
            raise _Return(None if stmt.value is None else self.expr(stmt.value))
        elif isinstance(stmt, pg.Def):
            self.functions[stmt.name] = stmt
            self.locals[stmt.name] = {p for p, _ in stmt.params} | pg._assigned(stmt.body)
        elif isinstance(stmt, pg.Backward):
            index = self.lookup(stmt.name, stmt.tok)
            if self.frame is self.top:
                self.output = stmt.name
                self.low.last, self.low.last_target = index, stmt.name
                if index in self.low.assigned_at:
                    self.low.read.add(index)
        # Skip: nothing to run (its note is in the program's notes)

    @contextmanager
    def iteration(self, line: int, kind: str) -> Iterator[list[int]]:
        """A loop's iterations: the context of each, and the iteration limit."""
        count = [0]
        self.loops.append(LoopIteration(line, 0, kind))
        try:
            yield count
        finally:
            self.loops.pop()
            self.set_context()

    def next_iteration(self, count: list[int], line: int, kind: str, tok: int) -> None:
        count[0] += 1
        if count[0] > self.limits.max_iterations:
            raise LimitError(
                f"the '{kind}' loop ran more than {self.limits.max_iterations:,} iterations "
                "(--max-iterations raises the limit)",
                self.span(tok),
                self.source,
            )
        self.loops[-1] = LoopIteration(line, count[0], kind)
        self.set_context()

    def loop_while(self, stmt: pg.While) -> None:
        line = self.line(stmt.tok)
        decided = len(self.branches)
        with self.iteration(line, "while") as count:
            while self.decide(stmt.cond, "while", ("body", "skip")):
                self.next_iteration(count, line, "while", stmt.tok)
                if not self.loop_body(stmt.body):
                    break
        if len(self.branches) > decided:  # its test depended on an input: so does how often it ran
            passes = "once" if count[0] == 1 else f"{count[0]} times"
            self.notes.append(
                f"line {line}: the while loop ran {passes}, a count that depends on the inputs: the function is "
                "piecewise, and this trace differentiates the piece that ran"
            )

    def loop_for(self, stmt: pg.For) -> None:
        line = self.line(stmt.tok)
        iterable = stmt.iterable
        items: list[int] | range
        if isinstance(iterable, pg.List):
            items = [self.numeric(self.expr(item), item_first(item)) for item in iterable.items]
            self.hold()
        else:
            assert isinstance(iterable, pg.Call)
            items = self.range_of(iterable)
        with self.iteration(line, "for") as count:
            for item in items:
                self.next_iteration(count, line, "for", stmt.tok)
                index = self.constant(float(item), str(item), stmt.var_tok) if isinstance(items, range) else item
                self.assign(stmt.var, stmt.var_tok, index)
                if not self.loop_body(stmt.body):
                    break

    def loop_body(self, body: tuple[pg.Stmt, ...]) -> bool:
        """Run one pass of a loop's body; False when it ended with `break` (`continue` just ends the pass)."""
        try:
            self.block(body)
        except _Break:
            return False
        except _Continue:
            pass
        return True

    def range_of(self, call: pg.Call) -> range:
        bounds: list[int] = []
        depends = False
        for arg in call.args:
            index = self.numeric(self.expr(arg), call.first)
            where = item_first(arg), item_last(arg)
            if index in self.unknown:
                raise self.no_value(self.text(call.first, call.last), where)
            value = self.vals[index]
            if not (math.isfinite(value) and value == math.floor(value)):
                raise ControlFlowError(
                    f"range needs whole numbers: {self.text(*where)} is {value:g}", self.span(*where), self.source
                )
            depends = depends or self.low.nodes[index].prim is not CONST
            bounds.append(int(value))
        if bounds[2:3] == [0]:
            raise ControlFlowError("range's step must not be zero", self.span(call.first, call.last), self.source)
        result = range(*bounds)
        if depends:
            self.notes.append(
                f"line {self.line(call.first)}: {self.text(call.first, call.last)} ran {len(result)} times: the "
                "count depends on the inputs, so the function is piecewise; this trace differentiates that piece"
            )
        return result

    # -- decisions -----------------------------------------------------------------------------------------
    def decide(self, cond: pg.Expr, kind: str, went: tuple[str, str]) -> bool:
        """Evaluate a condition on the values; record it as a Branch when it depends on an input."""
        outer, outer_condition = self.compared, self.condition
        self.compared, self.condition = [], cond
        depends = [False]
        value = self.truth(cond, depends)
        start = len(self.low.nodes)
        first, last = item_first(cond), item_last(cond)
        if depends[0]:
            if value and isinstance(cond, pg.Compare) and "==" in cond.ops:
                self.notes.append(
                    f"line {self.line(first)}: {self.text(first, last)} was true, which holds only at exactly these "
                    "values: the branch taken is differentiated as it is, and its derivative need not be the "
                    "function's (the == pitfall)"
                )
            self.branches.append(
                Branch(
                    self.line(first),
                    self.text(first, last),
                    tuple(self.compared),
                    value,
                    kind,
                    went[0] if value else went[1],
                    start,
                    self.cid,
                    first,
                    last,
                )
            )
        self.compared, self.condition = outer, outer_condition
        return value

    def truth(self, cond: pg.Expr, depends: list[bool]) -> bool:
        value = self.expr(cond, depends)
        if isinstance(value, Truth):
            return value.value
        self.check_known(value, cond)
        if self.low.nodes[value].prim is not CONST:
            depends[0] = True
        self.compared.append(self.vals[value])
        return self.vals[value] != 0

    def check_known(self, index: int, where: pg.Expr) -> None:
        if index in self.unknown:
            if self.condition is not None:  # name the whole condition, not the operand
                where = self.condition
            raise self.no_value(self.text(item_first(where), item_last(where)), (item_first(where), item_last(where)))

    def no_value(self, text: str, where: tuple[int, int]) -> ControlFlowError:
        missing = [name for i, name in enumerate(self.program.inputs) if i in self.unknown]
        listed = ", ".join(f"{n}=…" for n in missing)
        return ControlFlowError(
            f"'{text}' depends on {', '.join(missing)}, which has no value: a program's control flow needs the "
            f"values (give {listed}); a symbolic trace of it is not possible",
            self.span(*where),
            self.source,
        )

    # -- expressions ---------------------------------------------------------------------------------------
    def expr(self, e: pg.Expr, depends: list[bool] | None = None) -> Value:
        if isinstance(e, pg.Op):
            args = tuple(self.numeric(self.expr(a, depends), item_first(a)) for a in e.args)
            return self.apply(e.prim, args, e.first, e.last)
        if isinstance(e, pg.Name):
            return self.lookup(e.name, e.tok)
        if isinstance(e, pg.Num):
            return self.constant(e.value, e.text, e.tok)
        if isinstance(e, pg.Compare):
            return self.compare(e, depends)
        if isinstance(e, pg.Logic):
            return self.logic(e, depends)
        if isinstance(e, pg.IfExp):
            return self.expr(e.then if self.decide(e.cond, "ifexp", ("then", "orelse")) else e.orelse, depends)
        if isinstance(e, pg.Bool):
            return Truth(e.value)
        if isinstance(e, pg.Call):
            return self.call(e)
        if isinstance(e, pg.Declare):
            raise ControlFlowError(
                "Value(…) and torch.tensor(…) declare an input: assign it to a name, as in a = Value(2.0)",
                self.span(e.first, e.last),
                self.source,
            )
        assert isinstance(e, pg.List)
        raise ControlFlowError(
            "a list can only be looped over here, as in 'for v in [a, b, c]:'", self.span(e.first, e.last), self.source
        )

    def compare(self, e: pg.Compare, depends: list[bool] | None) -> Truth:
        left = self.numeric(self.expr(e.operands[0], depends), e.first)
        result = True
        for k, (op, operand) in enumerate(zip(e.ops, e.operands[1:], strict=True)):
            right = self.numeric(self.expr(operand, depends), item_first(operand))
            for index, part in ((left, e.operands[0]), (right, operand)):
                self.check_known(index, part)
                if depends is not None and self.low.nodes[index].prim is not CONST:
                    depends[0] = True
            a, b = self.vals[left], self.vals[right]
            if k == 0:
                self.compared.append(a)
            self.compared.append(b)
            if not _COMPARE[op](a, b):
                result = False
                break  # chained comparisons stop at the first false one, as in Python
            left = right
        return Truth(result)

    def logic(self, e: pg.Logic, depends: list[bool] | None) -> Truth:
        inner = depends if depends is not None else [False]
        if e.op == "not":
            return Truth(not self.truth(e.operands[0], inner))
        left = self.truth(e.operands[0], inner)
        if (e.op == "and" and not left) or (e.op == "or" and left):
            return Truth(left)
        return Truth(self.truth(e.operands[1], inner))

    def call(self, e: pg.Call) -> Value:
        name = e.function
        function = self.functions.get(name)
        if function is None:
            if name == "range":
                raise ControlFlowError(
                    "range(…) can only be looped over, as in 'for i in range(3):'",
                    self.span(e.first, e.last),
                    self.source,
                )
            hint = suggest(name, [*self.functions, *FUNCTIONS])
            raise NameResolutionError(f"unknown function '{name}'{hint}", self.span(e.first), self.source)
        params = function.params
        if len(e.args) != len(params):
            plural = "s" if len(params) != 1 else ""
            raise ArityError(
                f"{name} takes {len(params)} argument{plural}, got {len(e.args)}",
                self.span(e.first, e.last),
                self.source,
            )
        if len(self.calls) >= self.limits.max_depth:
            raise LimitError(
                f"the calls go more than {self.limits.max_depth} deep (recursion too deep: --max-depth raises the "
                "limit; does the recursion have a case where it stops?)",
                self.span(e.first, e.last),
                self.source,
            )
        args = [self.numeric(self.expr(a), item_first(a)) for a in e.args]
        self.hold()
        count = self.call_counts.get(name, 0) + 1
        self.call_counts[name] = count
        label = f"{name}#{count}"
        outer_frame = self.frame
        self.frame = _Frame(dict(zip((p for p, _ in params), args, strict=True)), label, name)
        self.calls.append(label)
        self.set_context()
        result: Value | None = None
        try:
            self.block(function.body)
        except _Return as done:
            result = done.value
        finally:
            self.frame = outer_frame
            self.calls.pop()
            self.set_context()
        if result is None:
            raise ControlFlowError(
                f"{name}(…) returned no value on the path this run took: it needs a 'return' with a value",
                self.span(e.first, e.last),
                self.source,
            )
        if not isinstance(result, Truth):
            self.low.labels.setdefault(label, result)
        self.hold()
        return result

    # -- the graph -----------------------------------------------------------------------------------------
    def finish(self, outputs: list[str] | None) -> Graph:
        low = self.low
        if low.last < 0:
            raise ParseError(
                "the program computes nothing: end it with an expression or an assignment", None, self.source
            )
        if outputs is None and self.output is not None:
            outputs = [self.output]
        elif outputs is None and low.nodes[low.last].prim is CONST and self.last_value is not None:
            low.last, low.last_target = self.last_value  # a loop counter assigned last is not the output
        try:
            graph = low.finish(outputs)
        except EvaluationError as error:
            if not self.branches or "depends on no input" not in error.message:
                raise
            last = self.branches[-1]
            was = "true" if last.taken else "false"
            raise EvaluationError(
                f"{error.message} on the path this run took (line {last.line}: '{last.condition}' was {was}): "
                "there, every derivative is 0",
                error.span,
                error.source,
            ) from None
        return replace(
            graph,
            notes=tuple(dict.fromkeys(self.notes)),
            contexts=tuple(self.contexts),
            context_ids=self.ctx,
            branches=tuple(self.branches),
            declared=dict(self.program.declared),
            is_program=True,
        )


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def item_first(e: pg.Expr) -> int:
    return e.tok if isinstance(e, (pg.Num, pg.Name, pg.Bool)) else e.first


def item_last(e: pg.Expr) -> int:
    return e.tok if isinstance(e, (pg.Num, pg.Name, pg.Bool)) else e.last


def _number_text(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text
