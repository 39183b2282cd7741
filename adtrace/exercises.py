"""Random exercises by difficulty, reproducible from their number: `exercise(level, k)`.

Each level is one generator in `LEVELS` (a function of a `random.Random`, returning the program's text) and
one check of the traced graph in `CHECKS` (what the level must teach); a draw that fails its check, or that
can't be evaluated, is followed by the next draw from the same generator, so (level, k) always gives the
same exercise. Adding a level, or a kind of exercise to one (level 4's loops and branches, once the language
has them), means adding a generator and a check.

1. one path per node (every input and node used once);
2. shared nodes (a node used by two others: its adjoint sums two paths);
3. several functions and a quotient;
4. a short program with a loop or a branch (or, one draw in three, straight-line statements) whose
   intermediates are shared: the tape is what ran.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import NamedTuple

from .engine.trace import Trace
from .errors import AdtraceError

LEVEL_NAMES = {
    1: "one path per node",
    2: "shared nodes",
    3: "several functions and a quotient",
    4: "a short program with a loop or a branch",
}
VALUES = ("0.5", "1", "1.5", "2", "2.5", "3")
_FUNCTIONS_1 = ("sin", "cos", "exp")
_FUNCTIONS_3 = ("sin", "cos", "exp", "log", "sqrt", "tanh")
_MAX_DRAWS = 200


class Exercise(NamedTuple):
    level: int
    number: int
    source: str
    values: dict[str, str]


def exercise(level: int, k: int, make: Callable[[str, dict[str, str]], Trace] | None = None) -> Exercise:
    """Exercise number k of a level, the same every time; `make` traces a candidate (default: adtrace.trace)."""
    if level not in LEVELS:
        raise AdtraceError(f"there is no level {level}: the levels are {', '.join(map(str, LEVELS))}")
    rng = random.Random(f"adtrace:{level}:{k}")
    tracer = make or _trace
    for _ in range(_MAX_DRAWS):
        source, inputs = LEVELS[level](rng)
        values = {name: rng.choice(VALUES) for name in inputs}
        try:
            found = tracer(source, values)
        except AdtraceError:
            continue
        if _finite(found) and CHECKS[level](found):
            return Exercise(level, k, source, values)
    raise AdtraceError(f"no exercise found for level {level}, number {k}")  # pragma: no cover - never seen


def _trace(source: str, values: dict[str, str]) -> Trace:
    from .api import trace

    return trace(source, values)


def _finite(t: Trace) -> bool:
    numbers = [*t.values, *(a for p in t.reverse for a in p.adjoints)]
    return all(abs(v) < 1e6 and v == v for v in numbers)


# -- generators: text from a few building blocks ----------------------------------------------------------
def _combine(rng: random.Random, a: str, b: str, ops: str = "+-*") -> str:
    op = rng.choice(ops)
    if op == "*":
        a, b = _paren(a), _paren(b)
    elif op == "/":
        a, b = _paren(a), _paren(b, "+-*/")
    elif op == "-":
        b = _paren(b)
    return f"{a} {op} {b}" if op in "+-" else f"{a}*{b}" if op == "*" else f"{a}/{b}"


def _paren(text: str, ops: str = "+-") -> str:
    """The text in parentheses when it has one of `ops` outside any."""
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch in ops:
            return f"({text})"
    return text


def _tree(rng: random.Random, leaves: list[str], functions: tuple[str, ...], wrap: float, ops: str) -> str:
    pool = list(leaves)
    rng.shuffle(pool)
    while len(pool) > 1:
        a, b = pool.pop(), pool.pop()
        made = _combine(rng, a, b, ops)
        if rng.random() < wrap:
            made = f"{rng.choice(functions)}({made})"
        pool.insert(rng.randrange(len(pool) + 1), made)
    return pool[0]


def level_1(rng: random.Random) -> tuple[str, list[str]]:
    inputs = [f"x{k}" for k in range(1, rng.choice((2, 3, 3)) + 1)]
    leaves = [f"{rng.choice(_FUNCTIONS_1)}({x})" if rng.random() < 0.3 else x for x in inputs]
    return _tree(rng, leaves, _FUNCTIONS_1, 0.4, "+-*"), inputs


def level_2(rng: random.Random) -> tuple[str, list[str]]:
    inputs = [f"x{k}" for k in range(1, rng.choice((2, 2, 3)) + 1)]
    leaves = [*inputs, rng.choice(inputs)]
    leaves = [f"{rng.choice(_FUNCTIONS_1)}({x})" if rng.random() < 0.35 else x for x in leaves]
    return _tree(rng, leaves, _FUNCTIONS_1, 0.3, "+-*"), inputs


def level_3(rng: random.Random) -> tuple[str, list[str]]:
    inputs = [f"x{k}" for k in range(1, rng.choice((2, 3)) + 1)]
    first, second = rng.sample(_FUNCTIONS_3, 2)
    leaves = [f"{first}({inputs[0]})", f"{second}({inputs[-1]})", *inputs[1:-1], rng.choice(inputs)]
    body = _tree(rng, leaves, _FUNCTIONS_1, 0.2, "+-*")
    divisor = rng.choice([*inputs, f"{rng.choice(inputs)} + 1"])
    quotient = (
        f"{_paren(body)}/{_paren(divisor, '+-*/')}"
        if rng.random() < 0.5
        else f"{_paren(divisor)}/{_paren(body, '+-*/')}"
    )
    return quotient, inputs


def level_4(rng: random.Random) -> tuple[str, list[str]]:
    kind = rng.choice(("loop", "branch", "statements"))
    if kind == "loop":
        op = rng.choice(("u*x + a", "u*y + a", "u*x - a", "sin(u)*a"))
        count = rng.choice((2, 3))
        tail = rng.choice(("u + a", "u*y", "u + sin(x)"))
        return f"a = x*y\nu = a\nfor i in range({count}):\n    u = {op}\nf = {tail}", ["x", "y"]
    if kind == "branch":
        test = rng.choice(("u > 1", "u < 2", "x > y"))
        then, other = rng.choice((("u*x", "u + x"), ("u*u", "u*y"), ("sin(u)", "cos(u)*x")))
        tail = rng.choice(("v*y", "v + u", "v*x"))
        return f"u = x*y\nif {test}:\n    v = {then}\nelse:\n    v = {other}\nf = {tail}", ["x", "y"]
    return _statements(rng)


def _statements(rng: random.Random) -> tuple[str, list[str]]:
    inputs = ["x", "y"] if rng.random() < 0.7 else ["x", "y", "t"]
    names = ["u", "v", "s", "q"][: rng.choice((3, 3, 4))]
    pool = list(inputs)
    statements = []
    for k, name in enumerate(names):
        recent = pool[-1]
        other = rng.choice([p for p in pool if p != recent])
        if k == 0:
            rhs = _combine(rng, inputs[0], inputs[1], "*+")
        elif rng.random() < 0.4:
            rhs = f"{rng.choice(_FUNCTIONS_1)}({recent})"
        else:
            rhs = _combine(rng, recent, other, "+-*")
        statements.append(f"{name} = {rhs}")
        pool.append(name)
    last = _combine(rng, pool[-1], rng.choice(pool[len(inputs) : -1]), "+*")
    statements.append(f"f = {last}")
    return "; ".join(statements), inputs


def _uses(t: Trace) -> list[int]:
    """How many parents each numbered node has."""
    return [len({p for p, _ in t.graph.parents[i]}) for i in t.graph.numbered]


def _functions(t: Trace) -> set[str]:
    return {t.graph.nodes[i].prim.name for i in t.graph.numbered if t.graph.nodes[i].prim.functions}


def _check_3(t: Trace) -> bool:
    ops = {t.graph.nodes[i].prim.name for i in t.graph.numbered}
    return "div" in ops and len(_functions(t)) >= 2 and max(_uses(t)) >= 2


def _check_4(t: Trace) -> bool:
    shared = [i for i in t.graph.numbered if not t.graph.nodes[i].is_input and len(t.graph.parents[i]) >= 2]
    return bool(shared) and len(t.graph.numbered) <= 12


LEVELS: dict[int, Callable[[random.Random], tuple[str, list[str]]]] = {
    1: level_1,
    2: level_2,
    3: level_3,
    4: level_4,
}
CHECKS: dict[int, Callable[[Trace], bool]] = {
    1: lambda t: max(_uses(t)) == 1 and max(len(t.graph.parents[i]) for i in t.graph.numbered) <= 1,
    2: lambda t: max(_uses(t)) >= 2 and len(t.graph.numbered) <= 9,
    3: _check_3,
    4: _check_4,
}
