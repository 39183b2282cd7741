"""Second derivatives by forward mode over the adjoint program (issue 16): --hessian and --hvp.

Hessians against central differences of the gradient and against sympy, symmetric to rounding; H·v
against the matrix; the seed example's trace as a golden file; bad input as one-line errors.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import sympy
from conftest import central_difference, check_golden
from generated import programs
from hypothesis import HealthCheck, assume, given, settings
from test_adjoint import sample_trace

from adtrace import AdtraceError, trace
from adtrace.cli import main
from adtrace.engine.adjoint import python_name
from adtrace.engine.hessian import hessian, hessians
from adtrace.samples import all_samples

SEED = "x1*x2 + sin(x1)"
CASES = [
    ("x1*x2 + sin(x1)", {"x1": 2.0, "x2": 3.0}),
    ("exp(x*y) / (1 + x^2)", {"x": 0.3, "y": -0.7}),
    ("a = tanh(x) * log(y); b = sqrt(x*x + y); a * b + x^3", {"x": 0.8, "y": 1.7}),
    ("sigmoid(x - y) * cos(x*y) + atan(x/y)", {"x": 0.4, "y": 1.3}),
]


@pytest.mark.parametrize(("source", "point"), CASES)
def test_hessian_matches_differences_of_the_gradient(source: str, point: dict[str, float]) -> None:
    h = hessian(trace(source, point))
    assert h.matrix is not None and h.symmetric
    for xi in point:
        for xj in point:
            numeric = central_difference(lambda p, xi=xi: trace(source, p).gradient[xi], point, xj)
            assert h.matrix[xi][xj] == pytest.approx(numeric, rel=1e-5, abs=1e-6)
            assert h.matrix[xi][xj] == pytest.approx(h.matrix[xj][xi], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("source", "point"), CASES[:2] + CASES[3:])
def test_hessian_matches_sympy(source: str, point: dict[str, float]) -> None:
    names = {n: sympy.Symbol(n) for n in point}
    scope = {**names, "sin": sympy.sin, "cos": sympy.cos, "exp": sympy.exp, "atan": sympy.atan}
    scope["sigmoid"] = lambda a: 1 / (1 + sympy.exp(-a))
    f = sympy.sympify(source.replace("^", "**"), locals=scope)
    h = hessian(trace(source, point))
    assert h.matrix is not None
    for xi in point:
        for xj in point:
            exact = float(sympy.diff(f, names[xi], names[xj]).subs({names[n]: v for n, v in point.items()}))
            assert h.matrix[xi][xj] == pytest.approx(exact, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("source", "point"), CASES)
def test_hvp_is_h_times_v(source: str, point: dict[str, float]) -> None:
    t = trace(source, point)
    h = hessian(t)
    v = {name: 0.5 + k for k, name in enumerate(point)}
    product = hessian(t, v)
    assert h.matrix is not None and product.hvp is not None and len(product.trace.forward) == 1
    for xi in point:
        assert product.hvp[xi] == pytest.approx(sum(h.matrix[xi][xj] * v[xj] for xj in point), rel=1e-12, abs=1e-14)


def test_closed_form() -> None:
    h = hessian(trace(SEED, x1=2, x2=3))
    assert h.closed is not None
    from adtrace.expr import show

    assert show(h.closed["x1"]["x1"], "code") == "-sin(x1)"
    assert show(h.closed["x1"]["x2"], "code") == "1"


def test_golden_seed_example(runner: Any) -> None:
    done = runner.invoke(main, [SEED, "x1=2", "x2=3", "--hessian", "--width", "100", "--no-color"])
    assert done.exit_code == 0, done.output
    check_golden("hessian_seed_100.txt", done.stdout)


def test_json_keys(runner: Any) -> None:
    data = json.loads(runner.invoke(main, [SEED, "x1=2", "x2=3", "--hessian", "--format", "json"]).stdout)
    assert data["hessian"]["x1"]["x2"] == 1.0 and data["hessian_symmetric"] is True
    program = "u = x*y; f = u + sin(x); g = u*u"
    data = json.loads(
        runner.invoke(main, [program, "x=2", "y=3", "--outputs", "f,g", "--hessian", "--format", "json"]).stdout
    )
    assert set(data["hessians"]) == {"f", "g"} and data["hessian"] == data["hessians"]["f"]
    assert data["hessians"]["g"]["y"]["y"] == pytest.approx(2 * 4.0)  # g = x²y², ∂²g/∂y² = 2x²
    data = json.loads(
        runner.invoke(main, [SEED, "x1=2", "x2=3", "--hessian", "--hvp", "x1=1,x2=0", "--format", "json"]).stdout
    )
    assert data["hvp"] == pytest.approx({"x1": -0.9092974268256817, "x2": 1.0})


def test_markdown_shows_a_matrix(runner: Any) -> None:
    done = runner.invoke(main, [SEED, "x1=2", "x2=3", "--hessian", "--format", "md"])
    assert done.exit_code == 0, done.output
    assert "\\begin{bmatrix}" in done.stdout and "\\frac{\\partial^2 z}{\\partial x_{1} \\partial x_{2}}" in done.stdout


def test_hvp_trace_says_what_it_costs(runner: Any) -> None:
    done = runner.invoke(main, [SEED, "x1=2", "x2=3", "--hessian", "--hvp", "x1=1,x2=0", "--no-color"])
    assert done.exit_code == 0, done.output
    assert "one tangent pass" in done.stdout and "small multiple of one gradient" in done.stdout.replace("\n", " ")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([SEED, "x1=2", "x2=3", "--hessian", "--hvp", "x1"], "--hvp takes NAME=VALUE"),
        ([SEED, "x1=2", "x2=3", "--hessian", "--hvp", "x3=1"], "not an input"),
        ([SEED, "x1=2", "x2=3", "--hessian", "--hvp", "x1=zz"], ""),
        ([SEED, "x1=2", "x2=3", "--hvp", "x1=1"], "add --hessian"),
        (["u = x*y; f = u; g = u*x", "x=1", "y=2", "--outputs", "f,g", "--hessian"], "one scalar output"),
        ([SEED, "--hessian"], ""),
        ([SEED, "x1=2", "x2=3", "--hessian", "--adjoint-program"], "pick one"),
    ],
)
def test_bad_input_is_one_line(runner: Any, args: list[str], said: str) -> None:
    done = runner.invoke(main, args)
    assert done.exit_code != 0
    assert "Traceback" not in done.output and "internal error" not in done.output
    assert said in done.output


@pytest.mark.parametrize("sample", all_samples(), ids=lambda s: s.name)
def test_every_sample_against_differences(sample: Any) -> None:
    """Differences of the gradient of the sample itself; for an array sample (at the element level) of the
    gradient its adjoint program computes, the straight-line program of its elements."""
    if sample.name == "piecewise":  # a branch on x == 3: a difference across it is not the path's derivative
        pytest.skip("the point sits on a branch's edge")
    t = sample_trace(sample)
    elements = any(python_name(x) != x for x in t.graph.inputs)
    for output, h in hessians(t).items():
        assert h.matrix is not None and h.symmetric
        for xj, at in t.inputs.items():  # one central difference of the whole gradient per input
            step = 1e-6 * max(1.0, abs(at))
            up = _gradient(sample, h, output, elements, {**t.inputs, xj: at + step})
            down = _gradient(sample, h, output, elements, {**t.inputs, xj: at - step})
            for xi in t.inputs:
                numeric = (up[xi] - down[xi]) / (2 * step)
                assert h.matrix[xi][xj] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (output, xi, xj)


def _gradient(sample: Any, h: Any, output: str, elements: bool, point: dict[str, float]) -> dict[str, float]:
    if not elements:
        return dict(trace(sample.source, point, outputs=list(sample.outputs) or None, symbolic=False).jacobian[output])
    values = {python_name(x): v for x, v in point.items()}
    found = trace(h.program, values, outputs=list(h.gradient.values()), symbolic=False).outputs
    return {x: found[name] for x, name in h.gradient.items()}


@pytest.mark.parametrize("sample", all_samples(), ids=lambda s: s.name)
def test_closed_form_evaluates_to_the_numbers(sample: Any) -> None:
    from adtrace.expr import evaluate

    t = sample_trace(sample)
    for h in hessians(t).values():
        if h.closed is None:
            continue  # the symbolic layer is left out past its node limit
        assert h.matrix is not None and h.where is not None
        for xi, row in h.closed.items():
            env = {python_name(x): v for x, v in t.inputs.items()}
            for name, formula in h.where[xi]:
                env[name] = evaluate(formula, env)
            for xj, formula in row.items():
                assert evaluate(formula, env) == pytest.approx(h.matrix[xi][xj], rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(max_inputs=3, max_statements=3))
def test_random_programs_match_sympy(program: Any) -> None:
    from generated import Tree
    from sympy_expr import FUNCTIONS, no_delta

    def to_sympy(tree: Tree, env: dict[str, Any]) -> Any:
        if tree[0] == "var":
            return env[tree[1]]
        if tree[0] == "const":
            return sympy.Rational(repr(tree[1]))
        return FUNCTIONS[tree[1]](*(to_sympy(a, env) for a in tree[2]))

    try:
        h = hessian(trace(program.source, program.inputs))
    except AdtraceError:
        assume(False)
        raise
    assert h.matrix is not None
    symbols = {name: sympy.Symbol(name, real=True) for name in program.inputs}
    env: dict[str, Any] = dict(symbols)
    for name, tree in program.statements:
        env[name] = to_sympy(tree, env)
    point = {symbols[name]: sympy.Float(repr(v), 30) for name, v in program.inputs.items()}
    for xi in h.matrix:
        for xj in h.matrix:
            second = no_delta(sympy.diff(env["z"], symbols[xi], symbols[xj]))
            expected = complex(second.subs(point).evalf(25))
            assume(expected.imag == 0 and math.isfinite(expected.real))
            got = h.matrix[xi][xj]
            assert math.isclose(got, expected.real, rel_tol=1e-7, abs_tol=1e-8), (xi, xj, got, expected, program.source)


def test_array_programs_hessian_is_their_elements(runner: Any) -> None:
    """--hessian of an array program runs on its elements (one tangent pass per element), said in a note; the
    JSON puts the entries back into arrays: hessian[x][x] has shape x.shape + x.shape."""
    x = [1.3, 0.7, 0.8, 1.9, 1.2]  # the sample's values: H of Rosenbrock is tridiagonal
    for extra in ([], ["--elements"]):
        done = runner.invoke(main, ["--sample", "rosenbrock", "--hessian", "--format", "json", *extra])
        assert done.exit_code == 0, done.output
        h = json.loads(done.stdout)["hessian"]["x"]["x"]
        assert len(h) == 5 and all(len(row) == 5 for row in h)
        assert h[0][0] == pytest.approx(1200 * x[0] ** 2 - 400 * x[1] + 2)
        assert h[0][1] == pytest.approx(-400 * x[0]) and h[0][2] == 0 and h[1][0] == h[0][1]
    shown = runner.invoke(main, ["--sample", "rosenbrock", "--hessian"])
    assert shown.exit_code == 0 and "one tangent pass per input element" in shown.output
    hvp = runner.invoke(main, ["--sample", "rosenbrock", "--hessian", "--hvp", "x=[1,0,0,0,0]", "--format", "json"])
    assert json.loads(hvp.stdout)["hvp"]["x"][:2] == pytest.approx([h[0][0], h[1][0]])
    big = runner.invoke(main, ["sum(x**3)", "x=" + str([1.0] * 201).replace(" ", ""), "--hessian"])
    assert big.exit_code == 2 and "more than 200" in big.output
