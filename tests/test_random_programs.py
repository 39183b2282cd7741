"""Random programs, every number and formula cross-checked (issue #13, "Keep them out").

Each generated program (tests/generated.py: every primitive, shared subexpressions, domain guards) is
extended with a named constant that is read, reassigned and read again, and gets two outputs. On it:

* forward mode and reverse mode give the same Jacobian (within rounding of the terms they add);
* a vector–Jacobian product (random output seeds) and a Jacobian–vector product (random input seeds) equal
  seedᵀ·J and J·seed;
* the JSON's steps add up: each term's product is parent adjoint × partial, each adjoint the seed plus the
  sum of its terms;
* every closed form in `jacobian_symbolic`, with its output's `where`, parses back and evaluates to the
  numeric derivative; so does every node's `adjoint_closed` with `where_nodes`;
* values and gradients equal a high-precision sympy oracle.

Failures shrink to a program; the ones found are kept as @example cases. A longer hunt:
ADTRACE_FUZZ_SCALE=20 python -m pytest tests/test_random_programs.py tests/test_fuzz.py tests/test_differential.py
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

import pytest
from generated import OPERATIONS, Program, Tree, apply, const, op, programs, var
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sympy_expr import no_delta

from adtrace import AdtraceError, trace
from adtrace.engine.trace import Trace
from adtrace.expr import evaluate, from_syntax
from adtrace.language.parser import parse_expression

SCALE = int(os.environ.get("ADTRACE_FUZZ_SCALE", "1"))
CHECKS = settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
ORACLE = settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
HANG = 10.0
"""Seconds one program may take through the whole engine, JSON and checks: more is reported as a hang."""


@st.composite
def constant_trees(draw: st.DrawFn) -> Tree:
    """A constant sub-expression over one or two numbers: sin(2.0), (0.5 * 3.0), …"""
    prim = draw(st.sampled_from(OPERATIONS))
    args = [const(draw(st.sampled_from([0.5, 1.0, 2.0, 3.0, 7.0]))) for _ in range(prim.arity)]
    return apply(prim, args, draw(st.booleans()))


@st.composite
def programs_with_constants(draw: st.DrawFn) -> tuple[Program, list[str]]:
    """A generated program, then `c = A; u = c*z; c = B; v = u + c*x1`, with outputs u and v."""
    base = draw(programs(max_inputs=4, max_statements=3))
    first = next(iter(base.inputs))
    statements = [
        *base.statements,
        ("c", draw(constant_trees())),
        ("u", op("mul", var("c"), var("z"))),
        ("c", draw(constant_trees())),
        ("v", op("add", var("u"), op("mul", var("c"), var(first)))),
    ]
    return Program(base.inputs, tuple(statements)), ["u", "v"]


def traced(program: Program, outputs: list[str], **options: Any) -> Trace:
    try:
        result = trace(program.source, program.inputs, outputs=outputs, **options)
    except AdtraceError:
        assume(False)
        raise
    assume(all(abs(v) < 1e8 for v in result.values))
    assume(all(abs(g) < 1e8 for row in result.jacobian.values() for g in row.values()))
    assume(not _near_kink(result))
    return result


def _near_kink(result: Trace) -> bool:
    for node in result.graph.nodes:
        if node.prim.kink is not None:
            args = [result.values[a] for a in node.args]
            if abs(args[0] - args[1] if len(args) == 2 else args[0]) < 1e-6:
                return True
    return False


def parsed(code: str, env: dict[str, float]) -> float:
    return evaluate(from_syntax(parse_expression(code)), env)


def close(got: float, want: float, scale: float = 0.0) -> bool:
    """Equal up to the rounding of the two computations: relative, plus what cancelling terms of size
    `scale` (Σ|path products|) allow."""
    return abs(got - want) <= 1e-9 * max(1.0, abs(want)) + 1e-12 * scale


def check_program(program: Program, outputs: list[str], weights: list[float]) -> None:
    start = time.perf_counter()
    result = traced(program, outputs, mode="both")
    names = list(result.graph.inputs)  # an input no statement reads is not in the graph
    jac = result.jacobian
    bounds = result.rounding_bounds()

    # forward vs reverse
    assert result.modes_agree() is True, f"forward {result.forward_jacobian} vs reverse {jac} on\n{program.source}"

    # VJP and JVP
    out_seed = dict(zip(outputs, weights, strict=False))
    vjp = traced(program, outputs, seed=out_seed)
    for x in names:
        want = sum(out_seed[o] * jac[o][x] for o in outputs)
        scale = sum(abs(out_seed[o]) * bounds[o][x][1] for o in outputs)
        got = vjp.reverse[0].adjoints[vjp.graph.inputs[x]]
        assert close(got, want, scale), f"VJP ∂/∂{x}: {got!r} vs {want!r} on\n{program.source}"
    in_seed = dict(zip(names, (weights[::-1] + weights) * 2, strict=False))
    jvp = traced(program, outputs, seed=in_seed, mode="forward")
    for o in outputs:
        want = sum(jac[o][x] * in_seed[x] for x in names)
        scale = sum(bounds[o][x][1] * abs(in_seed[x]) for x in names)
        got = jvp.forward[0].tangents[jvp.graph.outputs[outputs.index(o)].node]
        assert close(got, want, scale), f"JVP {o}: {got!r} vs {want!r} on\n{program.source}"

    # JSON step arithmetic, every pass
    data = json.loads(result.to_json())
    for rpass in data["reverse_passes"]:
        for step in rpass["steps"]:
            total = step.get("seed", 0.0)
            size = abs(total)
            for term in step["terms"]:
                assert term["product"] == term["parent_adjoint"] * term["partial"], (term, program.source)
                total += term["product"]
                size += abs(term["product"])
            assert abs(total - step["adjoint"]) <= 1e-12 * size, (step, program.source)

    # closed forms parse back and evaluate to the numeric derivatives
    symbolic = data["symbolic"]
    for o in outputs:
        env = dict(program.inputs)
        for name, formula in symbolic["where_per_output"][o].items():
            env[name] = parsed(formula, env)
        for x in names:
            got = parsed(data["jacobian_symbolic"][o][x], env)
            assert close(got, jac[o][x], 1e3 * bounds[o][x][1] + 1e3 * abs(jac[o][x])), (
                f"∂{o}/∂{x}: closed form {data['jacobian_symbolic'][o][x]!r} = {got!r}, numbers {jac[o][x]!r}"
                f" on\n{program.source}"
            )
    env = dict(program.inputs)
    for name, formula in symbolic["where_nodes"].items():
        env[name] = parsed(formula, env)
    for node in data["nodes"]:
        got = parsed(node["adjoint_closed"], env)
        assert math.isclose(got, node["adjoint"], rel_tol=1e-6, abs_tol=1e-6 * (1 + abs(node["adjoint"]))), (
            node,
            program.source,
        )
    assert time.perf_counter() - start < HANG, f"took {time.perf_counter() - start:.1f} s on\n{program.source}"


weights = st.lists(st.sampled_from([1.0, -1.0, 0.5, 2.0, 0.0, 3.0]), min_size=2, max_size=2)


@CHECKS
@given(programs_with_constants(), weights)
@example(  # issue #13, item 3: a reassigned named constant printed as an undefined, unversioned name
    (
        Program(
            {"x1": 1.0},
            (
                ("z", var("x1")),
                ("c", op("sin", const(1.0))),
                ("u", op("mul", var("c"), var("z"))),
                ("c", op("cos", const(1.0))),
                ("v", op("add", var("u"), op("mul", var("c"), var("x1")))),
            ),
        ),
        ["u", "v"],
    ),
    [1.0, 2.0],
)
def test_every_number_and_formula_agrees(case: tuple[Program, list[str]], seeds: list[float]) -> None:
    program, outputs = case
    check_program(program, outputs, seeds)


@ORACLE
@given(programs_with_constants())
def test_values_and_gradients_match_sympy(case: tuple[Program, list[str]]) -> None:
    sp = pytest.importorskip("sympy")
    from sympy_expr import FUNCTIONS

    def to_sympy(tree: Tree, env: dict[str, Any]) -> Any:
        if tree[0] == "var":
            return env[tree[1]]
        if tree[0] == "const":
            return sp.Rational(repr(tree[1]))
        return FUNCTIONS[tree[1]](*(to_sympy(a, env) for a in tree[2]))

    program, outputs = case
    result = traced(program, outputs)
    symbols = {name: sp.Symbol(name, real=True) for name in program.inputs}
    env: dict[str, Any] = dict(symbols)
    for name, tree in program.statements:  # statement by statement, so c's two versions stay apart
        env[name] = to_sympy(tree, env)
    point = {symbols[name]: sp.Float(repr(v), 30) for name, v in program.inputs.items()}
    for o in outputs:
        want = float(env[o].subs(point).evalf(25))
        assert math.isclose(result.outputs[o], want, rel_tol=1e-9, abs_tol=1e-12), (o, program.source)
        for name in result.graph.inputs:
            expected = float(no_delta(sp.diff(env[o], symbols[name])).subs(point).evalf(25))
            assert math.isclose(result.jacobian[o][name], expected, rel_tol=1e-8, abs_tol=1e-9), (
                f"∂{o}/∂{name}: adtrace {result.jacobian[o][name]!r}, sympy {expected!r} on\n{program.source}"
            )
