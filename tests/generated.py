"""Random programs for property tests: hypothesis strategies over every primitive in the table.

A generated program is a few statements `t1 = …; t2 = …; z = …` over inputs x1…xn (1 ≤ n ≤ 6); later
statements reuse earlier names, so subexpressions are shared. Each operation is drawn from
`primitives.PRIMITIVES` (a new primitive is covered without touching this file); the few with a restricted
domain get their arguments wrapped so they stay inside it: log(1 + a^2), sqrt(1 + a^2), a/(1 + b^2), …

Trees are plain tuples, printed here in fully parenthesised adtrace syntax, so the tests that convert them to
sympy, PyTorch or adtrace's own `Expr` do not depend on adtrace's printer.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from adtrace.primitives import BY_NAME, PRIMITIVES, Primitive

Tree = tuple  # ("var", name) | ("const", value) | ("op", prim_name, (child, ...))

PIECEWISE_CONSTANT = frozenset(("floor", "ceil", "round", "floordiv", "mod"))
"""Primitives that jump: a random point near a jump breaks finite differences, so random programs leave them
out (tests/test_primitives.py checks each, and tests/test_control_flow.py uses them away from jumps)."""
OPERATIONS: tuple[Primitive, ...] = tuple(p for p in PRIMITIVES if p.arity > 0 and p.name not in PIECEWISE_CONSTANT)

ARITHMETIC: dict[str, Any] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
}
"""The operations that are Python operators, for any number type that overloads them: the sympy and the
PyTorch oracles both start from this."""


def var(name: str) -> Tree:
    return ("var", name)


def const(value: float) -> Tree:
    return ("const", value)


def op(name: str, *args: Tree) -> Tree:
    return ("op", name, args)


def _one_plus_square(a: Tree) -> Tree:
    return op("add", const(1.0), op("pow", a, const(2.0)))


# Domain guards: the argument forms that keep a primitive inside its domain (and away from poles).
GUARDS = {
    "log": lambda a: op("log", _one_plus_square(a)),
    "sqrt": lambda a: op("sqrt", _one_plus_square(a)),
    "div": lambda a, b: op("div", a, _one_plus_square(b)),
    "tan": lambda a: op("tan", op("div", a, _one_plus_square(a))),
    "exp": lambda a: op("exp", op("tanh", a)),
    "asin": lambda a: op("asin", op("mul", const(0.9), op("tanh", a))),
    "acos": lambda a: op("acos", op("mul", const(0.9), op("tanh", a))),
    "atanh": lambda a: op("atanh", op("mul", const(0.9), op("tanh", a))),
    "acosh": lambda a: op("acosh", op("add", const(1.0), _one_plus_square(a))),
    "log10": lambda a: op("log10", _one_plus_square(a)),
    "log2": lambda a: op("log2", _one_plus_square(a)),
    "log1p": lambda a: op("log1p", op("pow", a, const(2.0))),
    "sinh": lambda a: op("sinh", op("tanh", a)),
    "cosh": lambda a: op("cosh", op("tanh", a)),
    "expm1": lambda a: op("expm1", op("tanh", a)),
    "atan2": lambda a, b: op("atan2", a, _one_plus_square(b)),
    "hypot": lambda a, b: op("hypot", a, _one_plus_square(b)),
}


def _pow(a: Tree, b: Tree, integer: bool) -> Tree:
    """a^2 or a^3 (any real base), or (1 + a^2)^(b/(1 + b^2)) (a positive base, a bounded exponent)."""
    if integer:
        return op("pow", a, const(3.0 if b[0] == "const" and b[1] >= 2 else 2.0))
    return op("pow", _one_plus_square(a), op("div", b, _one_plus_square(b)))


def apply(prim: Primitive, args: list[Tree], integer_power: bool) -> Tree:
    if prim.name == "pow":
        return _pow(args[0], args[1], integer_power)
    guard = GUARDS.get(prim.name)
    return guard(*args) if guard is not None else op(prim.name, *args)


def show(tree: Tree, names: dict[str, str] | None = None) -> str:
    """Fully parenthesised adtrace syntax, derived from the table: infix tokens or function names."""
    kind = tree[0]
    if kind == "var":
        return tree[1]
    if kind == "const":
        return repr(tree[1])
    prim = BY_NAME[tree[1]]
    args = [show(a) for a in tree[2]]
    if prim.functions:
        return f"{prim.functions[0]}({', '.join(args)})"
    if prim.arity == 2:
        return f"({args[0]} {prim.token} {args[1]})"
    return f"({prim.token}{args[0]})"


@dataclass(frozen=True)
class Program:
    inputs: dict[str, float]
    statements: tuple[tuple[str, Tree], ...]

    @property
    def source(self) -> str:
        return "\n".join(f"{name} = {show(tree)}" for name, tree in self.statements)

    def expanded(self) -> Tree:
        """The output as one tree over the inputs (shared names inlined): for oracles that take one formula."""
        env: dict[str, Tree] = {}
        for name, tree in self.statements:
            env[name] = _inline(tree, env)
        return env[self.statements[-1][0]]


def _inline(tree: Tree, env: dict[str, Tree]) -> Tree:
    if tree[0] == "var":
        return env.get(tree[1], tree)
    if tree[0] == "const":
        return tree
    return ("op", tree[1], tuple(_inline(a, env) for a in tree[2]))


def _has_input(tree: Tree, names: list[str]) -> bool:
    if tree[0] == "var":
        return tree[1] in names
    return tree[0] == "op" and any(_has_input(a, names) for a in tree[2])


def trees(leaves: list[str], max_leaves: int = 6) -> st.SearchStrategy[Tree]:
    leaf = st.one_of(
        st.sampled_from(leaves).map(var),
        st.sampled_from([0.5, 1.0, 2.0, 3.0]).map(const),
    )

    def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.builds(
            lambda prim, args, integer: apply(prim, list(args[: prim.arity]), integer),
            st.sampled_from(OPERATIONS),
            st.tuples(children, children),
            st.booleans(),
        )

    return st.recursive(leaf, extend, max_leaves=max_leaves)


@st.composite
def programs(draw: st.DrawFn, max_inputs: int = 6, max_statements: int = 4) -> Program:
    n = draw(st.integers(1, max_inputs))
    names = [f"x{i}" for i in range(1, n + 1)]
    inputs = {name: draw(st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))) for name in names}
    statements: list[tuple[str, Tree]] = []
    visible = list(names)
    count = draw(st.integers(1, max_statements))  # the last one is the output z
    for k in range(count):
        target = "z" if k == count - 1 else f"t{k + 1}"
        tree = draw(trees(visible))
        if not _has_input(tree, names):  # a constant statement: no derivative to check
            tree = op("add", tree, var(draw(st.sampled_from(names))))
        statements.append((target, tree))
        visible.append(target)
    return Program(inputs, tuple(statements))
