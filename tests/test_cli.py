"""The command line: golden output, the JSON contract, and every error path (exit code, message, caret)."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import check_golden
from rich.cells import cell_len

from adtrace.cli import main


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_seed_example_golden(runner: CliRunner) -> None:
    code, out, err = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--width", "100")
    assert code == 0 and err == ""
    check_golden("seed_100.txt", out)


def test_seed_example_fits_80_columns(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--width", "80")
    assert code == 0
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    assert "\x1b[" not in out
    for needle in ("w3 = w1·w2", "w̄1 = w̄3·∂w3/∂w1 + w̄4·∂w4/∂w1", "= w̄3·w2 + w̄4·cos(w1)", "= 1·3 + 1·cos(2)", "2.584"):
        assert needle in out


def test_json_contract(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["expression"] == "x1*x2 + sin(x1)"
    assert data["inputs"] == {"x1": 2.0, "x2": 3.0}
    assert data["output"]["node"] == "w5" and data["output"]["value"] == pytest.approx(6.909297426825682)
    assert data["gradient"] == {"x1": pytest.approx(2.5838531634528574), "x2": 2.0}
    w1 = data["nodes"][0]
    assert {k: w1[k] for k in ("id", "op", "name", "args", "parents")} == {
        "id": "w1",
        "op": "input",
        "name": "x1",
        "args": [],
        "parents": ["w3", "w4"],
    }
    assert [n["op"] for n in data["nodes"]] == ["input", "input", "mul", "sin", "add"]
    step = next(s for s in data["steps"] if s["node"] == "w1")
    assert step["adjoint"] == pytest.approx(2.5838531634528574)
    assert step["terms"][0] == {
        "parent": "w3",
        "parent_adjoint": 1.0,
        "partial": 3.0,
        "partial_symbolic": "w2",
        "product": 3.0,
    }
    assert step["terms"][1]["partial_symbolic"] == "cos(w1)"


def test_leading_minus_expression_and_negative_values(runner: CliRunner) -> None:
    code, out, _ = run(runner, "-x^2 + 1", "x=3", "--format", "json")
    assert code == 0 and json.loads(out)["gradient"] == {"x": -6.0}
    code, out, _ = run(runner, "x^2", "x=-2", "--format", "json")
    assert code == 0 and json.loads(out)["gradient"] == {"x": -4.0}
    code, out, _ = run(runner, "--format", "json", "-f*x", "f=2", "x=3")
    assert code == 0 and json.loads(out)["gradient"] == {"f": -3.0, "x": -2.0}


def test_digits_option(runner: CliRunner) -> None:
    code, out, _ = run(runner, "x1*x2 + sin(x1)", "x1=2", "x2=3", "--digits", "8")
    assert code == 0 and "2.5838532" in out


def test_samples(runner: CliRunner) -> None:
    code, out, _ = run(runner, "--list-samples")
    assert code == 0 and "neuron" in out and "softplus" in out
    code, out, _ = run(runner, "--sample", "seed", "--format", "json")
    assert code == 0 and json.loads(out)["gradient"]["x2"] == 2.0
    code, _, err = run(runner, "--sample", "neuro")
    assert code == 2 and "did you mean 'neuron'" in err


@pytest.mark.parametrize(
    ("args", "message", "caret_column"),
    [
        (["x1*(x2", "x1=2", "x2=3"], "expected ')' to close the '(' at column 4", 7),
        (["x1 +* 2", "x1=1"], "expected a number, a name or '(' after '+'", 5),
        (["2x", "x=1"], "write '2*x' to multiply", 2),
        (["x1 $ 2", "x1=1"], "unexpected character '$'", 4),
        (["", "x=1"], "the expression is empty", 1),
        (["sine(x)", "x=1"], "unknown function 'sine' — did you mean 'sin'?", 1),
        (["sin(x, y)", "x=1", "y=2"], "sin takes 1 argument, got 2", 1),
        (["x*y", "x=1"], "no value for input 'y'", 3),
        (["x*y", "x=1", "x=2", "y=1"], "x is given a value twice", 1),
        (["x*y", "x=1", "y"], "'y' is not NAME=VALUE", 1),
        (["x", "x=abc"], "the value of x must be a number", 3),
        (["x", "x=1+"], "the value of x is not a number", 5),
        (["x", "x=  # a comment"], "no value after 'x='", 3),
        (["log(x)", "x=-1"], "w2 = log(w1) is undefined at w1 = -1", 1),
        (["sqrt(x)", "x=-1"], "w2 = sqrt(w1) is undefined at w1 = -1", 1),
        (["x/y", "x=1", "y=0"], "w3 = w1/w2 is undefined at w1 = 1, w2 = 0", 1),
        (["exp(x)", "x=1000"], "w2 = exp(w1) overflows", 1),
    ],
)
def test_bad_input_is_one_clear_error(runner: CliRunner, args: list[str], message: str, caret_column: int) -> None:
    code, out, err = run(runner, *args)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith("error: ") and message in lines[0]
    assert lines[2].index("^") - 2 == caret_column - 1


def test_unused_value_warns_but_succeeds(runner: CliRunner) -> None:
    code, out, err = run(runner, "x*2", "x=1", "y=5", "--format", "json")
    assert code == 0 and "warning: y=5 is not used" in err
    assert json.loads(out)["gradient"] == {"x": 2.0}


def test_no_expression_is_a_usage_error(runner: CliRunner) -> None:
    code, _, err = run(runner)
    assert code == 2 and "give an expression" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--verbose"], "No such option '--verbose'"),
        (["--sampl", "seed"], "'--sample'"),
        (["x", "x=1", "--seed"], "--seed needs a value"),
        (["x", "x=1", "-o"], "-o needs a value"),
        (["x", "x=1", "--format", "pdf"], "Invalid value for '--format'"),
        (["x", "x=1", "--digits", "abc"], "Invalid value for '--digits'"),
        (["x*y", "x=1", "y=2", "--seed", "x=1"], "input seeds are tangents, for --mode forward or both"),
        (["f = x*y; g = f", "x=1", "y=2", "--outputs", "f,g"], "output 'g' is the same node as 'f'"),
        (["f = x*y", "x=1", "y=2", "--outputs", "f,f"], "output 'f' is listed twice"),
        (["x^y", "x=-2", "y=3"], "has no local partial ∂w3/∂w2 at w1 = -2, w2 = 3: ∂(a^b)/∂b = a^b·log(a) needs a > 0"),
        (
            ["x/y", "x=1", "y=1e-200"],
            "has a local partial ∂w3/∂w2 that is not finite at w1 = 1, w2 = 1e-200: it is infinite",
        ),
        (["x^y", "x=2", "y=1023.5"], "has a local partial ∂w3/∂w1 that is not finite at w1 = 2, w2 = 1023.5"),
        (["sqrt(x)", "x=0"], "has no derivative at w1 = 0: the slope of sqrt is infinite at 0"),
        (["x/1E310", "x=1"], "too large for a float"),
    ],
)
def test_usage_errors_are_one_line(runner: CliRunner, args: list[str], message: str) -> None:
    code, out, err = run(runner, *args)
    assert code == 2 and out == "" and "Traceback" not in err and "Usage:" not in err
    assert err.startswith("error: ") and message in err.splitlines()[0]


def test_a_program_file_brings_its_header(runner: CliRunner) -> None:
    polar = Path(__file__).parent.parent / "samples" / "polar.adt"
    code, out, _ = run(runner, "-f", str(polar), "r=2", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data["jacobian"]) == {"x", "y"}  # '# outputs: x,y' from the file
    assert data["inputs"] == {"r": 2.0, "theta": pytest.approx(0.5235987755982988)}  # theta from '# values:'


def test_version_is_the_package_version(runner: CliRunner) -> None:
    """--version prints adtrace.__version__, which is also what the package metadata says (one source)."""
    code, out, _ = run(runner, "--version")
    assert code == 0
    assert out.strip() == f"adtrace, version {importlib.metadata.version('adtrace')}"
