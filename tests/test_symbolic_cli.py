"""The symbolic layer from the command line: no values, some values, --symbolic/--no-symbolic, JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import check_golden
from rich.cells import cell_len

from adtrace.cli import main
from adtrace.expr import from_syntax, show
from adtrace.language.parser import parse_expression


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_no_values_gives_a_symbolic_trace_at_80_columns(runner: CliRunner) -> None:
    code, out, err = run(runner, "x1*x2 + sin(x1)", "--width", "80")
    assert code == 0 and err == ""
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    assert "\x1b[" not in out
    for needle in (
        "No values given: a symbolic trace",
        "w3    w1·w2        x1·x2",
        "w̄1 = w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1",
        "= w̄3·w2 + w̄4·cos(w1)",
        "= 1·w2 + 1·cos(w1)",
        "= w2 + cos(w1)",
        "= x2 + cos(x1)   (in the inputs)",
        "∂z/∂x1 = x2 + cos(x1)",
        "∂z/∂x2 = x1",
    ):
        assert needle in out, needle


def test_values_get_the_symbolic_layers_after_the_numbers(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--width", "100")
    assert code == 0
    lines = [line.strip("│ ").strip() for line in out.splitlines()]
    start = lines.index("w̄1 = w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1")
    assert lines[start + 1 : start + 6] == [  # the numbers instantiate the line with the partials filled in
        "= w̄3·w2 + w̄4·cos(w1)",
        "= 1·3 + 1·cos(2)",
        "= 3 + (-0.4161)",
        "= 2.584",
        "as a formula in the nodes: w̄1 = 1·w2 + 1·cos(w1) = w2 + cos(w1)",
    ]
    assert "∂z/∂x1 = x2 + cos(x1)" in out
    code, hidden, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--no-symbolic")
    assert code == 0 and "= 1·w2 + 1·cos(w1)" not in hidden and "In closed form" not in hidden


def test_some_values_is_an_error_unless_symbolic(runner: CliRunner) -> None:
    code, out, err = run(runner, "x1*x2 + sin(x1)", "x1=2")
    assert code == 2 and out == ""
    assert "no value for input 'x2'" in err and "--symbolic" in err and "Traceback" not in err
    code, out, err = run(runner, "x1*x2 + sin(x1)", "x1=2", "--symbolic", "--width", "80")
    assert code == 0 and err == ""
    assert "Partial evaluation: x1 = 2 substituted; x2 stays a symbol" in " ".join(out.split())
    assert "∂z/∂x1 = x2 + cos(2)" in out and "∂z/∂x2 = 2" in out


def test_forward_mode_needs_values(runner: CliRunner) -> None:
    code, _, err = run(runner, "x*y", "--mode", "forward")
    assert code == 2 and "needs a value for every input" in err


def test_json_of_a_symbolic_trace(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["gradient_symbolic"] == {"x1": "x2 + cos(x1)", "x2": "x1"}
    assert data["jacobian_symbolic"] == {"z": {"x1": "x2 + cos(x1)", "x2": "x1"}}
    assert data["gradient"] is None and data["output"]["value"] is None and data["inputs"] == {}
    w1 = data["nodes"][0]
    assert w1["value"] is None and w1["adjoint_symbolic"] == "w2 + cos(w1)" and w1["adjoint_closed"] == "x2 + cos(x1)"
    assert data["symbolic"] == {
        "inputs": ["x1", "x2"],
        "where": {},
        "where_per_output": {"z": {}},
        "where_nodes": {},
        "notes": [],
    }
    for text in data["gradient_symbolic"].values():  # adtrace reads its own output
        assert show(from_syntax(parse_expression(text)), "code") == text


def test_json_with_values_keeps_every_key_and_adds_the_formulas(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["gradient"]["x2"] == 2.0
    assert data["gradient_symbolic"] == {"x1": "x2 + cos(x1)", "x2": "x1"}
    assert [n["adjoint_symbolic"] for n in data["nodes"]] == ["w2 + cos(w1)", "w1", "1", "1", "1"]
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--format", "json", "--no-symbolic")
    data = json.loads(out)
    assert data["gradient_symbolic"] is None and data["nodes"][0]["adjoint_symbolic"] is None


def test_blow_up_names_intermediates_in_json(runner: CliRunner) -> None:
    program = "y = x\n" + "y = y*sin(y)\n" * 20
    code, out, _ = run(runner, program, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["gradient_symbolic"] == {"x": "wbar3*sin(x) + wbar3*x*cos(x)"}
    assert "wbar3" in data["symbolic"]["where"] and "kept as named intermediates" in data["symbolic"]["notes"][0]
    for text in [*data["symbolic"]["where"].values(), *data["gradient_symbolic"].values()]:
        assert show(from_syntax(parse_expression(text)), "code") == text
    code, out, _ = run(runner, program, "--width", "80")
    assert code == 0 and "where w̄3 = " in out and max(cell_len(line) for line in out.splitlines()) <= 80


def test_symbolic_trace_golden(runner: CliRunner) -> None:
    code, out, err = run(runner, "x1*x2 + sin(x1)", "--width", "80")
    assert code == 0 and err == ""
    check_golden("symbolic_80.txt", out)
