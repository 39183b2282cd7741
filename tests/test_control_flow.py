"""Programs with control flow and calls (issue 14): gradients on the path taken against finite differences
on the tape and against sympy (random programs through Python's own semantics), the Graph's record of
contexts and branches, JSON keys, ASCII labels."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from conftest import central_difference, close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adtrace import trace
from adtrace.engine.forward import forward
from adtrace.engine.graph import TOP, ascii_label

# -- each construct ------------------------------------------------------------------------------------

CONSTRUCTS: list[tuple[str, dict[str, float], Callable[[float, float], float]]] = [
    # (program over x and y, the point, the same function in Python for finite differences)
    ("if x > 0:\n    z = x*y\nelse:\n    z = -x*y", {"x": 1.5, "y": 2.0}, lambda x, y: x * y if x > 0 else -x * y),
    ("if x > 2:\n    z = x\nelif x > 1:\n    z = x*x\nelse:\n    z = y", {"x": 1.5, "y": 2.0}, lambda x, y: x * x),
    ("z = x*y if x < y else x + y", {"x": 1.5, "y": 2.0}, lambda x, y: x * y),
    ("z = x\nfor i in range(3):\n    z = z * y + i", {"x": 0.5, "y": 1.2}, lambda x, y: ((x * y) * y + 1) * y + 2),
    ("z = 0\nfor i in range(1, 7, 2):\n    z += i * x", {"x": 0.5, "y": 1.2}, lambda x, y: 9 * x),
    ("z = 0\nfor v in [x, y, x]:\n    z = z + v*v", {"x": 0.5, "y": 1.2}, lambda x, y: 2 * x * x + y * y),
    (
        "z = x\nk = 0\nwhile z < 10:\n    z = z * y\n    k += 1",
        {"x": 0.5, "y": 2.0},
        lambda x, y: x * y**5,  # 0.5 → 1, 2, 4, 8, 16: five passes
    ),
    (
        "z = x\nfor i in range(10):\n    if i == 2:\n        continue\n    if i > 3:\n        break\n    z = z * y",
        {"x": 0.5, "y": 1.5},
        lambda x, y: x * y**3,
    ),
    ("def f(a, b):\n    return a*b + sin(a)\nz = f(x, y) + f(y, x)", {"x": 0.5, "y": 1.5}, None),  # type: ignore[list-item]
    (
        "def f(a):\n    if a > 1:\n        return a*a\n    return -a\nz = f(x) * f(y)",
        {"x": 0.5, "y": 1.5},
        lambda x, y: -x * y * y,
    ),
    (
        "def g(a):\n    return a * y\ndef f(a):\n    return g(a) + g(a*a)\nz = f(x)",
        {"x": 0.5, "y": 1.5},
        lambda x, y: x * y + x * x * y,
    ),
    (
        "def p(a, n):\n    if n == 0:\n        return 1 + 0*a\n    return a * p(a, n - 1)\nz = p(x, 4) + y",
        {"x": 0.7, "y": 1.5},
        lambda x, y: x**4 + y,
    ),
    ("z = x if x > 0 and y > 0 or not x < y else y", {"x": 0.5, "y": 1.5}, lambda x, y: x),
    ("if 0 < x < y <= 2:\n    z = x/y\nelse:\n    z = y", {"x": 0.5, "y": 1.5}, lambda x, y: x / y),
    ("x = x / 2\nz = x * y", {"x": 0.5, "y": 1.5}, lambda x, y: x / 2 * y),
    (
        "z = x; z += y; z *= x; z -= y; z /= y; z **= 2",
        {"x": 0.5, "y": 1.5},
        lambda x, y: ((x + y) * x - y) ** 2 / y**2,
    ),
    ("z = (x + y).tanh() + x.exp().log() + y.relu() + (x*y).sigmoid()", {"x": 0.5, "y": 1.5}, None),  # type: ignore[list-item]
    (
        "import math\nimport numpy as np\nz = math.exp(x) + np.tanh(y) + torch.sin(x*y) + math.pi",
        {"x": 0.5, "y": 1.5},
        None,
    ),  # type: ignore[list-item]
    ("z = x // y + x % y + y % x", {"x": 2.5, "y": 0.7}, lambda x, y: x // y + x % y + y % x),
    ("z = atan(x) + asin(x/3) + acos(x/3) + atan2(x, y) + sinh(x) + cosh(y) + asinh(x)", {"x": 0.5, "y": 1.5}, None),  # type: ignore[list-item]
    ("z = acosh(y + 1) + atanh(x/2) + erf(x) + erfc(y) + log10(y) + log2(y) + log1p(x)", {"x": 0.5, "y": 1.5}, None),  # type: ignore[list-item]
    ("z = expm1(x) + hypot(x, y) + floor(x) * y + ceil(y) * x + round(x) * y", {"x": 0.7, "y": 1.3}, None),  # type: ignore[list-item]
    ("e = x - y\nz = e * e", {"x": 0.5, "y": 1.5}, lambda x, y: (x - y) ** 2),
    ("a = torch.tensor(2.0, requires_grad=True)\nz = a * x\nz.backward()", {"x": 0.5}, None),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("source", "point", "python"), CONSTRUCTS, ids=[c[0] for c in CONSTRUCTS])
def test_each_construct_against_finite_differences(
    source: str, point: dict[str, float], python: Callable[[float, float], float] | None
) -> None:
    t = trace(source, point)
    graph = t.graph
    out = graph.outputs[0].node
    at = dict(t.inputs)
    for name in graph.inputs:
        fd = central_difference(lambda p: forward(graph, p).values[out], at, name)
        assert close(t.gradient[name], fd, 1e-5, 1e-6), (name, t.gradient[name], fd)
        if python is not None:  # the program itself, run by Python, off any branch boundary
            whole = central_difference(lambda p: python(p["x"], p.get("y", 0.0)), at, name)
            assert close(t.gradient[name], whole, 1e-5, 1e-6), (name, t.gradient[name], whole)
            assert close(t.values[out], python(at["x"], at.get("y", 0.0)), 1e-12, 1e-12)


# -- random programs, against Python's own run with sympy ---------------------------------------------


class Dual:
    """A number for Python's run of a generated program: its float (branches decide on it) and its sympy
    formula (differentiated afterwards): the sympy oracle on the path taken."""

    def __init__(self, value: float, formula: Any):
        self.value = value
        self.formula = formula

    @staticmethod
    def of(other: Any) -> Dual:
        if isinstance(other, Dual):
            return other
        import sympy

        return Dual(float(other), sympy.Float(other) if isinstance(other, float) else sympy.Integer(other))

    def _op(self, other: Any, f: Callable[[Any, Any], Any], swap: bool = False) -> Dual:
        o = Dual.of(other)
        a, b = (o, self) if swap else (self, o)
        return Dual(f(a.value, b.value), f(a.formula, b.formula))

    def __add__(self, o: Any) -> Dual:
        return self._op(o, lambda a, b: a + b)

    def __radd__(self, o: Any) -> Dual:
        return self._op(o, lambda a, b: a + b, True)

    def __sub__(self, o: Any) -> Dual:
        return self._op(o, lambda a, b: a - b)

    def __rsub__(self, o: Any) -> Dual:
        return self._op(o, lambda a, b: a - b, True)

    def __mul__(self, o: Any) -> Dual:
        return self._op(o, lambda a, b: a * b)

    def __rmul__(self, o: Any) -> Dual:
        return self._op(o, lambda a, b: a * b, True)

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.formula)

    def __lt__(self, o: Any) -> bool:
        return self.value < Dual.of(o).value

    def __gt__(self, o: Any) -> bool:
        return self.value > Dual.of(o).value


def _unary(name: str) -> Callable[[Any], Dual]:
    import sympy

    f, g = getattr(math, name), getattr(sympy, name)

    def apply(a: Any) -> Dual:
        d = Dual.of(a)
        return Dual(f(d.value), g(d.formula))

    return apply


_LEAF = st.sampled_from(["x", "y", "v", "0.5", "1.5", "2"])


def _expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        _LEAF,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["sin", "tanh", "cos"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        ),
        max_leaves=3,
    )


@st.composite
def _blocks(draw: st.DrawFn) -> str:
    e = draw(_expressions())
    f = draw(_expressions())
    c = draw(st.sampled_from(["0", "0.5", "1", "-1"]))
    n = draw(st.integers(0, 3))
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return f"v = {e}"
    if kind == 1:
        return f"if {e} > {c}:\n    v = {f}\nelse:\n    v = v * {e}"
    if kind == 2:
        return f"for i in range({n}):\n    v = tanh(v * {e}) + i"
    if kind == 3:
        return f"k = 0\nwhile k < {n}:\n    v = v + sin({e})\n    k += 1"
    if kind == 4:
        return f"v = {e} if v < {c} else {f}"
    if kind == 5:
        return f"for w in [x, y, v]:\n    v = tanh(v + w * {e})"
    if kind == 6:
        return f"for i in range({n + 1}):\n    v = v + cos({e})\n    if v > {c}:\n        break"
    return f"def f(a):\n    return a * {e}\nv = f({f}) + f(v)"


@given(st.lists(_blocks(), min_size=1, max_size=3), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_programs_against_sympy_on_the_path_taken(blocks: list[str], x: float, y: float) -> None:
    sympy = pytest.importorskip("sympy")
    source = "v = x * y\n" + "\n".join(blocks) + "\nout = v + 0*x + 0*y"
    X, Y = sympy.symbols("x y", real=True)
    namespace: dict[str, Any] = {name: _unary(name) for name in ("sin", "tanh", "cos")}
    namespace.update(x=Dual(x, X), y=Dual(y, Y))
    exec(source, namespace)  # the test's oracle is Python itself (adtrace never runs exec)
    expected: Dual = namespace["out"]
    t = trace(source, {"x": x, "y": y}, symbolic=False)
    assert close(t.values[t.graph.outputs[0].node], expected.value, 1e-9, 1e-9), source
    for name, symbol in (("x", X), ("y", Y)):
        want = float(sympy.diff(expected.formula, symbol).subs({X: x, Y: y}))
        assert close(t.gradient[name], want, 1e-7, 1e-7), (source, name, t.gradient[name], want)


# -- what the graph records ------------------------------------------------------------------------------

TAYLOR = """\
def taylor_sine(x):
    ans = currterm = x
    i = 0
    while np.abs(currterm) > 0.001:
        currterm = -currterm * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + currterm
        i += 1
    return ans

y = taylor_sine(x)
"""


def test_nodes_know_their_line_call_and_loop_iteration() -> None:
    t = trace(TAYLOR, x=1.0)
    g = t.graph
    assert g.is_program
    named = {g.nodes[i].name: i for i in g.numbered if g.nodes[i].name}
    third = named["currterm@4"]  # made in the third pass of the while loop
    assert g.line(third) == 5
    assert g.call(third) == "taylor_sine#1"
    assert g.loops(third) == (g.loops(third)[0],) and g.loops(third)[0].iteration == 3
    assert g.loops(third)[0].line == 4 and g.loops(third)[0].kind == "while"
    assert g.context(g.inputs["x"]) == TOP
    runs = g.groups()
    assert [g.contexts[c].loops[0].iteration for c, _ in runs if g.contexts[c].loops][:3] == [1, 2, 3]
    assert g.labels["taylor_sine#1"] == g.outputs[0].node


def test_branch_decisions_are_recorded_in_order() -> None:
    t = trace("if x > 0:\n    z = x\nelse:\n    z = -x\nwhile z < 3:\n    z = z * 2", x=1.0)
    kinds = [(b.kind, b.condition, b.values, b.taken) for b in t.graph.branches]
    assert kinds == [
        ("if", "x > 0", (1.0, 0.0), True),
        ("while", "z < 3", (1.0, 3.0), True),
        ("while", "z < 3", (2.0, 3.0), True),
        ("while", "z < 3", (4.0, 3.0), False),
    ]
    assert [b.line for b in t.graph.branches] == [1, 5, 5, 5]
    assert [b.went for b in t.graph.branches] == ["body", "body", "body", "skip"]
    chain = trace("if x > 2:\n    z = x\nelif x > 1:\n    z = 2*x\nelse:\n    z = 3*x\nw = z if x < 0 else -z", x=0.5)
    assert [(b.kind, b.went) for b in chain.graph.branches] == [("if", "next"), ("elif", "else"), ("ifexp", "orelse")]
    assert t.graph.branches[0].position <= t.graph.branches[1].position


def test_a_constant_condition_is_no_branch() -> None:
    t = trace("z = x\nfor i in range(3):\n    if i < 1:\n        z = z * x", x=2.0)
    assert t.graph.branches == ()


def test_straight_lines_keep_the_fast_path_and_store_nothing_per_node() -> None:
    t = trace("a = x*y\nb = sin(a)", x=1, y=2)
    g = t.graph
    assert not g.is_program and g.context_ids is None and g.branches == ()
    assert [g.line(i) for i in g.numbered] == [1, 1, 1, 2]
    assert g.context(3) == TOP


def test_notes_for_skipped_lines_and_shadowed_constants() -> None:
    t = trace("import math\ne = x * 2\nprint(e)\nz = e + pi")
    joined = " ".join(t.graph.notes)
    assert "skipped" in joined and "'e' is a variable" in joined and "print" in joined


def test_a_loop_count_set_by_an_input_is_noted() -> None:
    t = trace("z = x\nfor i in range(n):\n    z = z * x", x=2.0, n=3)
    assert any("piecewise" in note for note in t.graph.notes)
    assert t.gradient["n"] == 0.0  # n keeps its row, with 0: the path taken does not use it


def test_json_has_line_context_and_branches() -> None:
    data = json.loads(
        trace("def CND(d):\n    if d > 0:\n        return d*d\n    return -d\nz = CND(x) + CND(y)", x=1, y=-1).to_json()
    )
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["w1"]["context"] == {"call": None, "loops": []}
    assert {n["context"]["call"] for n in data["nodes"]} == {None, "CND#1", "CND#2"}
    assert all(isinstance(n["line"], int) for n in data["nodes"])
    assert [(b["line"], b["condition"], b["values"], b["taken"]) for b in data["branches"]] == [
        (2, "d > 0", [1.0, 0.0], True),
        (2, "d > 0", [-1.0, 0.0], False),
    ]
    loops = json.loads(trace("z = x\nfor i in range(2):\n    z = z * x", x=2).to_json())
    assert loops["nodes"][-1]["context"]["loops"] == [{"line": 2, "iteration": 2}]
    assert "gradient" in loops and "steps" in loops  # the existing keys stay


def test_ascii_labels_are_accepted_as_outputs() -> None:
    assert ascii_label("c@2") == "c_2" and ascii_label("CND#1") == "CND_1"
    source = "c = x*x\nc = c + 1\nd = c * 2\ndef f(a):\n    return a * x\ng = f(d)"
    for spelled in ("c@2", "c_2"):
        t = trace(source, x=2, outputs=[spelled, "g"])
        assert t.jacobian[spelled]["x"] == 4.0
    t = trace(source, x=2, outputs=["f_1"])
    assert t.values[t.graph.outputs[0].node] == 20.0
    clash = trace("c = x*x\nc = c + 1\nc_2 = x", x=2, outputs=["c_2"])
    assert clash.values[clash.graph.outputs[0].node] == 2.0  # the variable wins
    assert any("ASCII spelling" in w for w in clash.warnings)


def test_every_sample_program_runs_forward_mode_and_v_notation() -> None:
    t = trace(TAYLOR, x=1.0, mode="both", notation="v")
    assert close(t.jacobian["y"]["x"], t.forward[0].tangents[t.graph.outputs[0].node], 1e-12, 1e-12)


def test_pitfalls_are_named_where_they_occur() -> None:
    t = trace("if x == 3:\n    y = 9\nelse:\n    y = x * x\nf = x * y", x=3)
    assert t.gradient["x"] == 9.0  # not 27: the branch taken holds a constant
    assert any("== pitfall" in note for note in t.graph.notes)
    loop = trace(TAYLOR, x=1.0)
    assert any("while loop ran" in note and "piecewise" in note for note in loop.graph.notes)


def test_declared_inputs_take_a_value_given_on_the_command_line(runner: Any) -> None:
    from adtrace.cli import main

    source = "a = Value(-4.0)\nb = a * a\nb.backward()"
    assert trace(source).gradient == {"a": -8.0}
    assert trace(source, a=1).gradient == {"a": 2.0}
    result = runner.invoke(main, [source, "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["output"]["name"] == "b"


def test_a_constant_output_on_the_path_taken_says_which_branch_made_it_so(runner: Any) -> None:
    from adtrace.cli import main

    source = "def f(x):\n    if x == 3:\n        return 9\n    return x*x\ny = f(x)"
    result = runner.invoke(main, [source, "x=3"])
    assert result.exit_code == 2
    assert "'x == 3' was true" in result.output and "Traceback" not in result.output
    assert trace(source, x=2).gradient == {"x": 4.0}
