"""Array programs: every array primitive's VJP and JVP against central finite differences, the element level
against the array level (two independent derivations: the VJP rules vs the scalar partials), the samples,
shape errors through the CLI, the JSON contract, and that scalar traces never import numpy."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from conftest import check_golden

from adtrace import array_primitives as ap
from adtrace.api import trace
from adtrace.language.values import parse_assignments
from adtrace.samples import all_samples

RNG = np.random.default_rng(7)

CASES: list[tuple[str, dict[str, Any]]] = [
    ("sum(c * (A + b))", {"A": (3, 2), "b": (2,), "c": (3, 2)}),  # broadcasting a row
    ("sum(c * (A * b))", {"A": (3, 2), "b": (3, 1), "c": (3, 2)}),  # broadcasting a column
    ("sum(c * (A - 2.5))", {"A": (2, 3), "c": (2, 3)}),
    ("sum(c * A / b)", {"A": (2, 3), "b": (3,), "c": (2, 3)}),
    ("sum(c * (W @ x))", {"W": (2, 3), "x": (3,), "c": (2,)}),
    ("sum(c * (x @ W))", {"W": (3, 2), "x": (3,), "c": (2,)}),
    ("sum(c * (A @ B))", {"A": (2, 3), "B": (3, 4), "c": (2, 4)}),
    ("x @ y", {"x": (4,), "y": (4,)}),
    ("np.dot(x, y) * 2", {"x": (3,), "y": (3,)}),
    ("sum(c * np.outer(x, y))", {"x": (2,), "y": (3,), "c": (2, 3)}),
    ("sum(c * A.T)", {"A": (2, 3), "c": (3, 2)}),
    ("sum(c * A.sum(axis=0))", {"A": (3, 2), "c": (2,)}),
    ("sum(c * np.mean(A, axis=1))", {"A": (3, 2), "c": (3,)}),
    ("A.mean()", {"A": (2, 3)}),
    ("sum(c * np.max(A, axis=0))", {"A": (3, 2), "c": (2,)}),
    ("min(x) + max(x)", {"x": (5,)}),
    ("np.prod(x)", {"x": (4,)}),
    ("sum(c * np.prod(A, axis=1))", {"A": (2, 3), "c": (2,)}),
    ("np.linalg.norm(x)", {"x": (3,)}),
    ("logsumexp(x)", {"x": (4,)}),
    ("sum(c * logsumexp(A, axis=1))", {"A": (2, 3), "c": (2,)}),
    ("sum(c * softmax(x))", {"x": (4,), "c": (4,)}),
    ("sum(c * A.reshape(3, 2))", {"A": (2, 3), "c": (3, 2)}),
    ("sum(c * concatenate([x, y]))", {"x": (2,), "y": (3,), "c": (5,)}),
    ("sum(c * stack([x, y], axis=1))", {"x": (3,), "y": (3,), "c": (3, 2)}),
    ("sum(c * x[1:]) + x[0]*x[-1] + sum(x[:-1]**2)", {"x": (5,), "c": (4,)}),
    ("sum(c * W[:, 1]) + W[1, 2] + sum(W[0])", {"W": (2, 3), "c": (2,)}),
    ("sum(c * tanh(A) + exp(A)*sin(A) + sigmoid(A)*cos(A))", {"A": (2, 2), "c": (2, 2)}),
    ("sum(log(A*A + 1) + sqrt(A*A + 1) + relu(A) + abs(A))", {"A": (3,)}),
    ("sum(max(A, B) * min(A, B))", {"A": (3,), "B": (3,)}),
    ("s = 0\nfor i in range(len(x)):\n    s += x[i]*w[i]\ns", {"x": (3,), "w": (3,)}),
    ("t = 0\nfor row in W:\n    t = t + sum(row**2)\nt", {"W": (2, 3)}),
]


def _values(shapes: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    return {name: RNG.uniform(0.5, 1.5, size=shape) * RNG.choice([-1, 1], size=shape) for name, shape in shapes.items()}


def _value(source: str, values: dict[str, Any]) -> float:
    return float(np.asarray(trace(source, values).value))


def _finite_differences(source: str, values: dict[str, Any], h: float = 1e-6) -> dict[str, Any]:
    grads = {}
    for name, value in values.items():
        grad = np.zeros(value.shape)
        for index in np.ndindex(*value.shape):
            up, down = dict(values), dict(values)
            up[name] = value.copy()
            down[name] = value.copy()
            up[name][index] += h
            down[name][index] -= h
            grad[index] = (_value(source, up) - _value(source, down)) / (2 * h)
        grads[name] = grad
    return grads


@pytest.mark.parametrize(("source", "shapes"), CASES, ids=[c[0].split("\n")[0] for c in CASES])
def test_vjp_matches_finite_differences_and_the_element_level(source: str, shapes: dict[str, Any]) -> None:
    values = _values(shapes)
    if "max(A, B)" in source:
        values["B"] = values["A"] + RNG.uniform(0.2, 0.5, size=values["A"].shape) * np.array([1, -1, 1])
    found = trace(source, values)
    numeric = _finite_differences(source, values)
    elements = trace(source, values, elements=True)
    for name, grad in found.gradient.items():
        assert grad.shape == values[name].shape
        np.testing.assert_allclose(grad, numeric[name], rtol=1e-5, atol=1e-6)
        flat = [elements.gradient[k] for k in elements.graph.inputs if k == name or k.startswith(name + "[")]
        np.testing.assert_allclose(grad.ravel(), flat, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("source", "shapes"), CASES[:12], ids=[c[0].split("\n")[0] for c in CASES[:12]])
def test_jvp_is_the_directional_derivative(source: str, shapes: dict[str, Any]) -> None:
    values = _values(shapes)
    found = trace(source, values, mode="both")
    for tpass in found.forward:
        assert tpass.input is not None
        out = found.graph.outputs[0].node
        assert float(tpass.tangents[out]) == pytest.approx(float(np.sum(found.gradient[tpass.input])), rel=1e-9)


def test_every_array_primitive_has_rules_for_each_argument() -> None:
    for name in ap.NAMED:
        params: tuple[Any, ...] = {"index": (0,), "reshape": (1, -1), "concatenate": (2, 0), "stack": (2, 0)}.get(
            name, ()
        )
        prim = ap.variant(name, params)
        assert len(prim.vjp) == prim.arity == len(prim.rules), name
        assert prim.jvp is not None and prim.index_form and prim.elements is not None, name


ARRAY_SAMPLES = [s for s in all_samples() if any("[" in v for v in s.values)]


@pytest.mark.parametrize("sample", ARRAY_SAMPLES, ids=[s.name for s in ARRAY_SAMPLES])
def test_samples_agree_at_both_levels_and_with_finite_differences(sample: Any) -> None:
    values = parse_assignments(sample.values)
    found = trace(sample.source, values)
    elements = trace(sample.source, values, elements=True)
    numeric = _finite_differences(sample.source, {k: np.asarray(v, dtype=float) for k, v in values.items()})
    for name, grad in found.gradient.items():
        np.testing.assert_allclose(grad, numeric[name], rtol=1e-5, atol=1e-6)
        flat = [elements.gradient[k] for k in elements.graph.inputs if k == name or k.startswith(name + "[")]
        np.testing.assert_allclose(np.ravel(grad), flat, rtol=1e-9, atol=1e-12)


def test_the_six_array_samples_ship() -> None:
    names = {s.name for s in ARRAY_SAMPLES}
    assert {"linear_layer", "logistic_regression", "softmax_xent", "rosenbrock", "tinygrad_readme", "mlp"} <= names


def test_softmax_cross_entropy_adjoint_is_p_minus_onehot() -> None:
    found = trace("p = softmax(s)\nloss = -sum(onehot*log(p))", s=[2.0, 1.0, -1.0], onehot=[0.0, 1.0, 0.0])
    p = np.exp([2.0, 1.0, -1.0]) / np.exp([2.0, 1.0, -1.0]).sum()
    np.testing.assert_allclose(found.gradient["s"], p - [0, 1, 0], rtol=1e-12)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adtrace", *args], capture_output=True, text=True, timeout=60)


def test_shape_error_names_both_shapes_with_a_caret() -> None:
    run = _cli("L = sum(W @ x)", "W=[[1,2,3],[4,5,6]]", "x=[1,0]")
    assert run.returncode == 2
    assert "W @ x: (2, 3) @ (2,) — inner sizes 3 and 2 differ" in run.stderr
    assert "^^^^^" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sum(A + b)", "A=[[1,2,3],[4,5,6]]", "b=[1,2]"), "can't be broadcast"),
        (("x[3]", "x=[1,2,3]"), "index 3 is out of range"),
        (("x[0, 1]", "x=[1,2,3]"), "too many indices"),
        (("sum(x, axis=1)", "x=[1,2,3]"), "axis 1 is out of range"),
        (("x.reshape(2, 2)", "x=[1,2,3]"), "can't reshape"),
        (("sum(x)", "x=[1,2"), "never closed"),
        (("sum(x)", "x=[[1,2],[3]]"), "not a rectangular array"),
        (("if x > 0:\n    y = x\nelse:\n    y = -x\nsum(y)", "x=[1,-2]"), "must be one number"),
        (("x[y]", "x=[1,2]", "y=1"), "must be known before the run"),
    ],
)
def test_array_errors_are_one_line_with_exit_code_2(args: tuple[str, ...], message: str) -> None:
    run = _cli(*args)
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr and "internal error" not in run.stderr


def test_json_contract_for_arrays() -> None:
    run = _cli("--sample", "linear_layer", "--format", "json")
    data = json.loads(run.stdout)
    assert data["inputs"]["x"] == [1.0, 2.0, -1.0]
    assert np.shape(data["gradient"]["W"]) == (2, 3)
    assert np.shape(data["jacobian"][data["output"]["name"]]["W"]) == (2, 3)
    assert all("shape" in node for node in data["nodes"])
    matmul = next(n for n in data["nodes"] if n["op"] == "matmul")
    assert matmul["shape"] == [2] and len(matmul["value"]) == 2
    terms = [t for step in data["steps"] for t in step["terms"]]
    assert terms and all("partial" not in t and "partial_symbolic" in t and "product" in t for t in terms)
    w_step = next(s for s in data["steps"] if s["node"] == "w1")
    assert np.shape(w_step["terms"][0]["product"]) == (2, 3)
    assert "ᵀ" in w_step["terms"][0]["partial_symbolic"]


def test_jacobian_of_an_array_output_has_shape_output_plus_input() -> None:
    found = trace("y = W @ x", W=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], x=[1.0, 0.0, -1.0])
    assert found.jacobian["y"]["x"].shape == (2, 3)
    np.testing.assert_allclose(found.jacobian["y"]["x"], [[1, 2, 3], [4, 5, 6]])
    assert found.jacobian["y"]["W"].shape == (2, 2, 3)


def test_array_seed_picks_a_weighted_sum_of_outputs() -> None:
    run = _cli("y = W @ x", "W=[[1,2],[3,4]]", "x=[1,1]", "--seed", "y=[1,0]", "--format", "json")
    data = json.loads(run.stdout)
    assert data["gradient"] is None
    x_node = next(n for n in data["nodes"] if n["name"] == "x")
    assert x_node["adjoint"] == [1.0, 2.0]


def test_elements_level_shows_the_sparsity_of_each_jacobian() -> None:
    run = _cli("--sample", "rosenbrock", "--elements", "--width", "120", "--max-rows", "0")
    assert run.returncode == 0, run.stderr
    assert "sparsity" in run.stdout and "■" in run.stdout and "·" in run.stdout


def test_elements_refuses_past_its_size_limit() -> None:
    run = _cli(
        "sum(A @ B)",
        "A=" + json.dumps(np.ones((40, 40)).tolist()),
        "B=" + json.dumps(np.ones((40, 40)).tolist()),
        "--elements",
    )
    assert run.returncode == 2 and "--elements would make more than" in run.stderr


def test_scalar_traces_never_import_numpy() -> None:
    code = "import sys, adtrace; adtrace.trace('x1*x2 + sin(x1)', x1=2, x2=3).to_json(); print('numpy' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "False"


def test_array_level_markdown_shows_matrices() -> None:
    run = _cli("--sample", "linear_layer", "--format", "markdown")
    assert run.returncode == 0 and "\\begin{bmatrix}" in run.stdout


# -- golden output: the linear layer at both zoom levels, as a user sees it ------------------------------------


def test_golden_linear_layer_array_level() -> None:
    run = _cli("--sample", "linear_layer", "--width", "100", "--explain")
    assert run.returncode == 0, run.stderr
    check_golden("arrays_linear_layer_100.txt", run.stdout)


def test_golden_linear_layer_element_level() -> None:
    run = _cli("--sample", "linear_layer", "--elements", "--width", "100", "--max-rows", "0")
    assert run.returncode == 0, run.stderr
    check_golden("arrays_linear_layer_elements_100.txt", run.stdout)


def test_golden_linear_layer_markdown() -> None:
    run = _cli("--sample", "linear_layer", "--format", "markdown")
    check_golden("arrays_linear_layer.md", run.stdout)


# -- random shapes with broadcasting ------------------------------------------------------------------------------

ELEMENTWISE = ["a + b", "a - b", "a * b", "a / (b*b + 1)", "max(a, b)", "a * sin(b)", "exp(a) - b"]


@pytest.mark.parametrize("seed", range(12))
def test_random_broadcast_shapes_match_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 3))
    full = tuple(int(n) for n in rng.integers(1, 4, size=ndim))
    drop = int(rng.integers(0, ndim + 1))
    shape_b = tuple(1 if rng.random() < 0.4 else n for n in full[drop:])  # numpy's rules: trailing axes, or 1
    op = ELEMENTWISE[seed % len(ELEMENTWISE)]
    axis = int(rng.integers(0, ndim))
    source = f"sum(c * sum({op}, axis={axis}))"
    a = rng.uniform(0.5, 1.5, size=full)
    b = rng.uniform(-1.5, -0.5, size=shape_b) if shape_b else float(rng.uniform(-1.5, -0.5))
    c = rng.uniform(-1, 1, size=np.sum(a, axis=axis).shape)
    values = {"a": a, "b": np.asarray(b), "c": c}
    found = trace(source, values)
    numeric = _finite_differences(source, values)
    for name in ("a", "b"):
        assert found.gradient[name].shape == np.shape(values[name])
        np.testing.assert_allclose(found.gradient[name], numeric[name], rtol=1e-5, atol=1e-6, err_msg=source)


# -- an independent oracle: sympy differentiating numpy's own semantics on symbols --------------------------------

sympy = pytest.importorskip("sympy")


def _symbols(name: str, shape: tuple[int, ...]) -> Any:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = sympy.Symbol(f"{name}_{'_'.join(map(str, index))}")
    return out


ORACLES: dict[str, Any] = {
    "linear_layer": lambda W, x, b, y: np.sum((W @ x + b - y) ** 2),
    "rosenbrock": lambda x: np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
    "tinygrad_readme": lambda x, y: np.sum(y @ x),
    "softmax_xent": lambda s, onehot: (
        -np.sum(onehot * np.vectorize(sympy.log)(np.vectorize(sympy.exp)(s) / np.sum(np.vectorize(sympy.exp)(s))))
    ),
    "mlp": lambda W1, x, b1, W2, b2, y: np.mean((W2 @ np.vectorize(sympy.tanh)(W1 @ x + b1) + b2 - y) ** 2),
}


@pytest.mark.parametrize("name", list(ORACLES))
def test_sample_gradients_match_sympy(name: str) -> None:
    sample = next(s for s in ARRAY_SAMPLES if s.name == name)
    values = {k: np.asarray(v, dtype=float) for k, v in parse_assignments(sample.values).items()}
    found = trace(sample.source, values)
    syms = {k: _symbols(k, v.shape) for k, v in values.items()}
    f = ORACLES[name](**syms)
    at = {s: float(values[k][index]) for k in values for index, s in np.ndenumerate(syms[k])}
    for k, array in syms.items():
        expected = np.array([float(sympy.diff(f, s).subs(at)) for s in array.ravel()]).reshape(array.shape)
        np.testing.assert_allclose(found.gradient[k], expected, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {k}")


def test_quiz_on_arrays_asks_for_the_element_level(tmp_path: Any) -> None:
    run = _cli("sum(x**2)", "x=[1,2]", "--quiz")
    assert run.returncode == 2 and "add --elements" in run.stderr
    quiz = subprocess.run(
        [sys.executable, "-m", "adtrace", "sum(x**2)", "x=[1,2]", "--quiz", "--elements"],
        input="1\n1\n2\n4\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert quiz.returncode == 0 and "Score:" in quiz.stdout


@pytest.mark.parametrize("suffix", ["md", "json", "txt"])
def test_array_exports_are_written_whole(tmp_path: Any, suffix: str) -> None:
    target = tmp_path / f"t.{suffix}"
    run = _cli("--sample", "mlp", "-o", str(target), "-q")
    assert run.returncode == 0, run.stderr
    text = target.read_text(encoding="utf-8")
    assert "loss" in text and (suffix != "json" or json.loads(text)["arrays"] is True)


@pytest.mark.parametrize(("source", "shapes"), CASES[:10], ids=[c[0] for c in CASES[:10]])
def test_vjps_match_pytorch_where_installed(source: str, shapes: dict[str, Any]) -> None:
    torch_module = pytest.importorskip("torch")
    values = _values(shapes)
    found = trace(source, values)
    leaves = {k: torch_module.tensor(v, dtype=torch_module.float64, requires_grad=True) for k, v in values.items()}
    env = {**leaves, "sum": torch_module.sum, "np": torch_module, "sin": torch_module.sin}
    code = source.replace("np.outer", "np.outer").replace("A.sum(axis=0)", "A.sum(dim=0)")
    out = _torch_eval(code, env)
    out.backward()
    for name, leaf in leaves.items():
        np.testing.assert_allclose(found.gradient[name], leaf.grad.numpy(), rtol=1e-10, atol=1e-12)


def _torch_eval(code: str, env: dict[str, Any]) -> Any:
    """The test's own fixed expressions (never user input) in PyTorch, as the oracle."""
    return eval(code, {"__builtins__": {}}, env)


def test_array_programs_run_loops_calls_and_branches_once_each() -> None:
    source = "def f(v):\n    return sum(v*v)\ns = 0\nfor row in W:\n    s = s + f(row)\nwhile s < 100:\n    s = s*2\ns"
    found = trace(source, W=[[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(found.gradient["W"], 4 * 2 * np.array([[1.0, 2.0], [3.0, 4.0]]))
    graph = found.graph
    ops = [graph.nodes[i].prim.name for i in graph.numbered]
    assert ops.count("index") == 2 and ops.count("sum") == 2  # a row per iteration; a condition adds no nodes
    assert [b.taken for b in graph.branches] == [True, True, False] and all(
        isinstance(v, float) for b in graph.branches for v in b.values
    )
    first_row = next(i for i in graph.numbered if graph.nodes[i].prim.name == "index")
    assert graph.loops(first_row)[0].iteration == 1  # taken inside its own iteration
    text = found.to_text(width=100)
    assert "the branches this run took" in text and "for loop (line 4) iteration 2" in text


def _code_cases() -> list[tuple[Any, list[Any]]]:
    rng = np.random.default_rng(1)
    n = rng.normal
    cases: list[tuple[Any, list[Any]]] = [
        (ap.MATMUL, [n(size=(2, 3)), n(size=3)]),
        (ap.MATMUL, [n(size=3), n(size=(3, 2))]),
        (ap.MATMUL, [n(size=(2, 3)), n(size=(3, 4))]),
        (ap.MATMUL, [n(size=3), n(size=3)]),
        (ap.OUTER, [n(size=2), n(size=3)]),
        (ap.TRANSPOSE, [n(size=(2, 3))]),
        (ap.variant("reshape", (3, 2)), [n(size=(2, 3))]),
        (ap.variant("softmax", (-1,)), [n(size=4)]),
        (ap.variant("softmax", (1,)), [n(size=(2, 3))]),
        (ap.variant("concatenate", (2, 0)), [n(size=2), n(size=3)]),
        (ap.variant("concatenate", (2, 1)), [n(size=(2, 2)), n(size=(2, 1))]),
        (ap.variant("stack", (2, 1)), [n(size=3), n(size=3)]),
    ]
    for name in ("sum", "mean", "max", "min", "prod", "logsumexp", "norm"):
        cases += [(ap.variant(name, axis), [n(size=(2, 3))]) for axis in ((), (0,), (1,))]
    for key in [(1,), (("slice", 1, None, None),), (("slice", None, -1, None),), (("slice", None, None, 2),)]:
        cases.append((ap.variant("index", key), [n(size=5)]))
    for key in [(1,), (("slice", None, None, None), 0), (0, 2), (("slice", 1, None, None), ("slice", None, 2, None))]:
        cases.append((ap.variant("index", key), [n(size=(2, 3))]))
    return cases


@pytest.mark.parametrize(("prim", "args"), _code_cases(), ids=lambda c: getattr(c, "name", ""))
def test_each_vjp_as_code_computes_the_vjp(prim: Any, args: list[Any]) -> None:
    rng = np.random.default_rng(2)
    y = prim.evaluate(*args)
    g = rng.normal(size=np.shape(y))
    names = tuple(f"a{i}" for i in range(len(args)))
    site = ap.Site("g", "y", names, tuple(np.shape(a) for a in args), np.shape(y))
    for k in range(prim.arity):
        code = prim.vjp_code(site, k)
        env = {"np": np, "g": g, "y": y, **dict(zip(names, args, strict=True))}
        got = eval(code, {"__builtins__": {}}, env)
        np.testing.assert_allclose(got, prim.vjp[k](g, y, *args), rtol=1e-12, atol=1e-12, err_msg=code)


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("sum([a, b, c] * [1, 2, 3])", {"a": 1.0, "b": 1.0, "c": 1.0}, {"a": 1.0, "b": 2.0, "c": 3.0}),
        ("sum(np.concatenate([x, y, z]) * [1, 2, 3, 4, 5, 6])", {"x": [1.0, 2], "y": [3.0, 4], "z": [5.0, 6]},
         {"x": [1, 2], "y": [3, 4], "z": [5, 6]}),
        ("v = np.array([a, b, a*b])\nL = np.sum(v**2)", {"a": 2.0, "b": 3.0}, {"a": 40.0, "b": 30.0}),
        ("sum(np.stack([x, y, x*y]))", {"x": [1.0, 2], "y": [3.0, 4]}, {"x": [4, 5], "y": [2, 3]}),
    ],
)  # fmt: skip
def test_joins_of_three_or_more_send_every_part_its_adjoint(
    source: str, values: dict[str, Any], expected: dict[str, Any]
) -> None:
    """A regression: an n-ary join's arguments past the second had no edge, so no adjoint (found in review)."""
    found = trace(source, values)
    for name, grad in expected.items():
        np.testing.assert_allclose(found.gradient[name], grad)


def test_a_custom_seed_is_not_called_the_gradient() -> None:
    found = trace("L = sum(x**2)", x=[1.0, 2.0], seed=2)
    np.testing.assert_allclose(found.gradient["x"], [2.0, 4.0])  # the gradient: from the unit seed
    np.testing.assert_allclose(found.reverse[0].adjoints[found.graph.inputs["x"]], [4.0, 8.0])
    assert "x̄ (seedᵀ·J)" in found.to_text(width=100) and "∂L/∂x" not in found.to_text(width=100).split("Result")[1]
    data = json.loads(found.to_json())
    assert data["gradient"]["x"] == [2.0, 4.0] and data["seeds"]["reverse"] == [{"L": 2.0}]


def test_the_prod_adjoint_program_is_exact_at_zeros() -> None:
    from adtrace.engine.adjoint import adjoint_program, gradient_names

    found = trace("np.prod(x)", x=[1.0, 0.0, 3.0, 0.5])
    again = trace(adjoint_program(found), dict(found.inputs), outputs=gradient_names(found))
    np.testing.assert_allclose(again.outputs["dz_dx"], [0.0, 1.5, 0.0, 0.0])


@pytest.mark.parametrize("seed", ["y[0]=1", "y=[1,0]"])
def test_a_seed_on_one_output_element_picks_one_row(seed: str) -> None:
    run = _cli("y = W @ x", "W=[[1,2],[3,4]]", "x=[1,-1]", "--elements", "--seed", seed, "--format", "json")
    data = json.loads(run.stdout)
    adjoints = {n["name"]: n["adjoint"] for n in data["nodes"] if n["op"] == "input"}
    assert [adjoints["x[0]"], adjoints["x[1]"]] == [1.0, 2.0]  # row 0 of ∂y/∂x = W
