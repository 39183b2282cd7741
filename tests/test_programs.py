"""Programs, seeds, several outputs and forward mode (issue: seeds, forward mode, programs, Jacobians)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import central_difference, check_golden, close

from adtrace import trace
from adtrace.cli import main
from adtrace.engine.forward import forward
from adtrace.engine.tape import build
from adtrace.expr import show

THREE_OUTPUTS = "u = x*y + z; v = exp(-x)*u; f = u + v; g = u*v; h = sin(v)/(1 + y^2)"
POINT = {"x": 0.4, "y": -1.3, "z": 0.9}


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), input=stdin, env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_three_outputs_match_finite_differences_in_both_modes() -> None:
    t = trace(THREE_OUTPUTS, POINT, outputs=["f", "g", "h"], mode="both")
    assert t.modes_agree() is True
    graph = build(THREE_OUTPUTS, ["f", "g", "h"])
    for out in graph.outputs:
        for name in graph.inputs:

            def f(p: dict[str, float], node: int = out.node) -> float:
                return forward(graph, p).values[node]

            assert close(t.jacobian[out.name][name], central_difference(f, POINT, name), rel=1e-6, abs_=1e-8)


@pytest.mark.parametrize("seed_value", range(5))
def test_vjp_and_jvp_with_random_seeds(seed_value: int) -> None:
    rng = random.Random(seed_value)
    outputs = ["f", "g", "h"]
    jac = trace(THREE_OUTPUTS, POINT, outputs=outputs).jacobian
    out_seed = {o: rng.uniform(-2, 2) for o in outputs}
    in_seed = {x: rng.uniform(-2, 2) for x in POINT}
    t = trace(THREE_OUTPUTS, POINT, outputs=outputs, seed={**out_seed, **in_seed}, mode="both")
    (rpass,) = t.reverse
    (tpass,) = t.forward
    for x, i in t.graph.inputs.items():
        expected = sum(out_seed[o] * jac[o][x] for o in outputs)
        assert close(rpass.adjoints[i], expected, 1e-12, 1e-12)
    for o in t.graph.outputs:
        expected = sum(jac[o.name][x] * in_seed[x] for x in POINT)
        assert close(tpass.tangents[o.node], expected, 1e-12, 1e-12)


def test_seed_two_doubles_every_adjoint() -> None:
    one = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    two = trace("x1*x2 + sin(x1)", x1=2, x2=3, seed=2)
    assert two.reverse[0].adjoints == [2 * a for a in one.reverse[0].adjoints]
    assert two.gradient == one.gradient


def test_griewank_notation_numbers_inputs_up_to_zero() -> None:
    t = trace("x1*x2 + sin(x1)", x1=2, x2=3, notation="v")
    assert [t.label(i) for i in t.graph.numbered] == ["v-1", "v0", "v1", "v2", "v3"]


def test_mode_both_golden(runner: CliRunner) -> None:
    code, out, err = run(
        runner, "u = x*y; v = sin(x); f = u + v; g = u*v", "x=2", "y=3", "--outputs", "f,g", "--mode", "both"
    )
    assert code == 0 and err == ""
    check_golden("mode_both_80.txt", out)
    assert "Both modes gave the same Jacobian." in out
    assert "Forward mode needed 2 passes" in out


def test_json_for_programs_and_modes(runner: CliRunner) -> None:
    code, out, _ = run(
        runner,
        "u = x*y; v = sin(x); f = u + v; g = u*v",
        "x=2",
        "y=3",
        "--outputs",
        "f,g",
        "--mode",
        "both",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["mode"] == "both"
    assert [o["name"] for o in data["outputs"]] == ["f", "g"]
    assert set(data["jacobian"]) == {"f", "g"} and set(data["jacobian"]["g"]) == {"x", "y"}
    assert data["seeds"]["reverse"] == [{"f": 1.0, "g": 0.0}, {"f": 0.0, "g": 1.0}]
    assert data["seeds"]["forward"] == [{"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 1.0}]
    u = next(n for n in data["nodes"] if n["name"] == "u")
    assert u["tangent"] == [3.0, 2.0]
    assert data["gradient"] == data["jacobian"]["f"]


def test_program_from_file_and_stdin(runner: CliRunner, tmp_path: Path) -> None:
    lesson = tmp_path / "lesson.adt"
    lesson.write_text("# a lesson\na = x*y\nb = sin(x)\nz = a + b\n", encoding="utf-8")
    code, out, _ = run(runner, "-f", str(lesson), "x=2", "y=3", "--format", "json")
    assert code == 0 and json.loads(out)["gradient"]["y"] == 2.0
    code, out, _ = run(runner, "-f", "-", "x=2", "y=3", "--format", "json", stdin="a = x*y; z = a + x\n")
    assert code == 0 and json.loads(out)["gradient"] == {"x": 4.0, "y": 2.0}


def test_versions_are_shown(runner: CliRunner) -> None:
    code, out, _ = run(runner, "c = x + 1; c = c*c + 1; c = c*c", "x=1")
    assert code == 0
    assert "w2 (c) = w1 + 1" in out and "w4 (c@2) = w3 + 1" in out and "w5 (c@3) = w4·w4" in out


@pytest.mark.parametrize(
    ("args", "message", "caret_column"),
    [
        # a name read before its assignment is an input, as in Python's reading of a free name (issue 14)
        (["z = a + 1; a = x*2", "x=1"], "no value for input 'a'", 5),
        (["a = x*y; a = a + 1", "x=1", "y=2", "a=3"], "'a' is assigned in the program", None),
        (["a = x*y", "x=1", "y=2", "--outputs", "b"], "unknown output 'b'", None),
        (["a = x*y\nb = (a", "x=1", "y=2"], "expected ')'", 7),
        (["a = = x", "x=1"], "expected a number, a name or '(' after '=', found '='", 5),
        (["x*y", "x=1", "y=2", "--seed", "q=1"], "--seed names 'q', which is not an output", None),
        (
            ["f = x; g = 2*x", "x=1", "--outputs", "f,g", "--seed", "3"],
            "single-number seed needs a single output",
            None,
        ),
    ],
)
def test_program_errors(runner: CliRunner, args: list[str], message: str, caret_column: int | None) -> None:
    code, out, err = run(runner, *args)
    assert code == 2 and out == "" and "Traceback" not in err
    assert message in err.splitlines()[0]
    if caret_column is not None:
        assert err.splitlines()[2].index("^") - 2 == caret_column - 1


def test_assigned_but_unused_is_a_warning(runner: CliRunner) -> None:
    code, _, err = run(runner, "a = x*2; b = x + 1", "x=1", "--format", "json")
    assert code == 0 and "warning: 'a' is assigned but never used" in err


def test_a_seed_on_some_outputs_leaves_the_others_at_zero(runner: CliRunner) -> None:
    args = ["f = x*y; g = x + y", "x=1", "y=2", "--outputs", "f,g", "--seed", "f=0.5"]
    code, out, err = run(runner, *args)
    assert code == 0 and "Traceback" not in err and "internal error" not in err
    assert "f\u0304 = 0.5, g\u0304 = 0" in out and "∂(0.5·f)/∂w" in out
    code, out, _ = run(runner, *args, "--format", "md")
    assert code == 0 and "0.5" in out


def test_a_seed_other_than_one_is_not_called_dz_dz(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--seed", "2")
    assert code == 0
    assert "∂z/∂z = 2" not in out and "z̄ = 2   (the seed; ∂z/∂z itself is 1)" in out


def test_a_named_constant_folded_into_another_keeps_its_own_value() -> None:
    """Folding `c*3` once reused c's node for the product, so a later `c` read 6π instead of 2π."""
    t = trace("c = 2*pi; d = c*3; z = c*x + d", x=1)
    assert t.gradient["x"] == pytest.approx(2 * math.pi)
    assert t.value == pytest.approx(8 * math.pi)
    graph = t.graph
    assert [show(graph.definition(i)) for i in graph.numbered] == ["x", "(2*pi)·w1", "w2 + (c*3)"]


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("c = 2*pi; c*3*x + c*x", ["x", "(c*3)·w1", "(2*pi)·w1", "w2 + w3"]),  # c keeps its own text
        ("c = 3; d = c*2; z = d*x", ["x", "(c*2)·w1"]),  # a folded constant prints as typed
        ("y = pow(pow(e, 2), e); x - -y", ["x", "w1 - (-y)"]),
    ],
)
def test_folded_constants_print_as_typed(source: str, shown: list[str]) -> None:
    graph = trace(source, x=1).graph
    assert [show(graph.definition(i)) for i in graph.numbered] == shown


@pytest.mark.parametrize(
    ("source", "warnings"),
    [
        ("a = x*y; z = x + 1", ["'a' is assigned but never used"]),
        ("a = x*y; b = a; x + 1", []),  # a is read (by b); b names the same node
        ("a = x*y; a; x + 1", ["the value of statement 2 is never used"]),
    ],
)
def test_unused_assignments_are_warned_about(source: str, warnings: list[str]) -> None:
    assert list(trace(source, x=1, y=2).warnings) == warnings
