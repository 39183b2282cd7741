"""The adjoint program (issue 16): the reverse pass written out as code, one line per chain-rule term.

Run back through adtrace it gives the trace's own gradient, on every shipped sample and on random
programs; exec'd by Python with `math` (here, in the tests, on generated code only) it gives the same.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from conftest import close
from generated import programs
from hypothesis import HealthCheck, assume, given, settings

from adtrace import AdtraceError, trace
from adtrace.cli import main
from adtrace.engine.adjoint import adjoint_program, gradient_names, python_name
from adtrace.samples import all_samples

SEED = "x1*x2 + sin(x1)"


def sample_trace(sample: Any) -> Any:
    """A sample's trace; an array program's at the element level (--elements), the one with an adjoint program."""
    from adtrace.language.values import parse_assignments

    values, outputs = parse_assignments(list(sample.values)), list(sample.outputs) or None
    t = trace(sample.source, values, outputs=outputs)
    return trace(sample.source, values, outputs=outputs, elements=True) if getattr(t, "is_arrays", False) else t


def _retraced(t: Any) -> dict[str, float]:
    program = adjoint_program(t)
    again = trace(program, {python_name(x): v for x, v in t.inputs.items()}, outputs=gradient_names(t))
    return again.outputs


def _executed(t: Any) -> dict[str, float]:
    scope: dict[str, Any] = {python_name(name): float(v) for name, v in t.inputs.items()}
    exec(compile(adjoint_program(t), "<adjoint program>", "exec"), scope)  # generated code only
    return {name: float(scope[name]) for name in gradient_names(t)}


def _expected(t: Any) -> dict[str, float]:
    names = iter(gradient_names(t))
    return {next(names): t.jacobian[o.name][x] for o in t.graph.outputs for x in t.graph.inputs}


def test_seed_example_reads_as_the_trace() -> None:
    t = trace(SEED, x1=2, x2=3)
    program = adjoint_program(t)
    assert "w3 = w1*w2" in program
    assert "wbar1 += wbar3*w2  # w̄1 += w̄3·∂w3/∂w1, product rule" in program
    assert "wbar1 += wbar4*cos(w1)  # w̄1 += w̄4·∂w4/∂w1, derivative of sine" in program
    assert "dz_dx1 = wbar1" in program and "dz_dx2 = wbar2" in program
    assert "^" not in program.replace("# ", "")
    assert program.splitlines()[1] == "# values: x1=2.0 x2=3.0"
    assert _retraced(t) == pytest.approx(_expected(t))
    assert _executed(t) == pytest.approx(_expected(t))


def test_primitives_math_lacks_are_defined_and_read_back() -> None:
    t = trace("sigmoid(x)*relu(y) + abs(x - y) + max(x, y)^2 + step(x)*sign(y) + 2^3*x + pi*y", x=0.3, y=1.2)
    program = adjoint_program(t)
    for name in ("sigmoid", "relu", "step", "sign"):
        assert f"def {name}(a): return " in program
    assert "from math import exp, pi" in program
    assert "2**3" in program or "8" in program
    assert _retraced(t) == pytest.approx(_expected(t), rel=1e-12)
    assert _executed(t) == pytest.approx(_expected(t), rel=1e-12)


def test_several_outputs_one_sweep_each() -> None:
    t = trace("u = x*y; v = sin(x); f = u + v; g = u*v", x=2, y=3, outputs=["f", "g"])
    assert gradient_names(t) == ["df_dx", "df_dy", "dg_dx", "dg_dy"]
    assert _retraced(t) == pytest.approx(_expected(t), rel=1e-12)
    assert _executed(t) == pytest.approx(_expected(t), rel=1e-12)


def test_a_seed_vector_gives_the_vector_jacobian_product() -> None:
    t = trace("u = x*y; f = u + x; g = u*u", x=2, y=3, outputs=["f", "g"], seed={"f": 2, "g": 1})
    got = _retraced(t)
    assert got == pytest.approx({f"vjp_{x}": t.reverse[0].adjoints[i] for x, i in t.graph.inputs.items()})


def test_a_program_with_a_branch_says_it_is_the_path_taken() -> None:
    source = "z = x\nfor i in range(3):\n    z = z * y + i\nif z > 10:\n    z = z - x*x\n"
    t = trace(source, x=1.5, y=2)
    program = adjoint_program(t)
    assert "path taken" in program
    assert _retraced(t) == pytest.approx(_expected(t), rel=1e-12)
    assert _executed(t) == pytest.approx(_expected(t), rel=1e-12)


@pytest.mark.parametrize("sample", all_samples(), ids=lambda s: s.name)
def test_every_sample(sample: Any) -> None:
    t = sample_trace(sample)
    if t.symbolic_only:
        pytest.skip("a symbolic sample has no numbers to compare")
    expected = _expected(t)
    assert _retraced(t) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert _executed(t) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_random_programs(program: Any) -> None:
    try:
        t = trace(program.source, program.inputs)
    except AdtraceError:
        assume(False)
        raise
    expected = _expected(t)
    for got in (_retraced(t), _executed(t)):
        for name, value in expected.items():
            assert close(got[name], value, 1e-9, 1e-9), (program.source, name, got[name], value)


def test_cli_prints_plain_text_that_traces_back(runner: Any) -> None:
    printed = runner.invoke(main, [SEED, "x1=2", "x2=3", "--adjoint-program"])
    assert printed.exit_code == 0, printed.output
    assert "\x1b[" not in printed.output
    again = runner.invoke(main, ["-f", "-", "--format", "json"], input=printed.output)
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    values = {o["name"]: o["value"] for o in data["outputs"]}
    assert values["dz_dx1"] == pytest.approx(2 + math.cos(2) + 1)  # x2 + cos(x1) at x1 = 2, x2 = 3
    assert values["dz_dx2"] == pytest.approx(2.0)


def test_cli_writes_the_file_and_the_json_key(runner: Any, tmp_path: Any) -> None:
    target = tmp_path / "adjoint.py"
    done = runner.invoke(main, [SEED, "x1=2", "x2=3", "--adjoint-program", "-o", str(target), "-q"])
    assert done.exit_code == 0, done.output
    assert target.read_text(encoding="utf-8") == adjoint_program(trace(SEED, x1=2, x2=3))
    data = json.loads(runner.invoke(main, [SEED, "x1=2", "x2=3", "--adjoint-program", "--format", "json"]).stdout)
    assert data["adjoint_program"] == target.read_text(encoding="utf-8")
    assert trace(SEED, x1=2, x2=3).adjoint_program() == data["adjoint_program"]  # the API


def test_a_def_of_a_built_in_must_be_one_line(runner: Any) -> None:
    done = runner.invoke(main, ["def relu(a):\n    b = a\n    return b\nz = relu(x)", "x=2"])
    assert done.exit_code == 2
    assert "can't define 'relu'" in done.output and "Traceback" not in done.output


ARRAY_SAMPLES = [s for s in all_samples() if s.arrays]


@pytest.mark.parametrize("sample", ARRAY_SAMPLES, ids=lambda s: s.name)
def test_every_array_sample_at_the_array_level(sample: Any) -> None:
    """The adjoint program of an array program is numpy code, one VJP per line: traced back through adtrace
    and run by Python with numpy, it gives the trace's gradient (arrays of each input's shape)."""
    import numpy as np

    from adtrace.language.values import parse_assignments

    t = trace(sample.source, parse_assignments(list(sample.values)))
    program = adjoint_program(t)
    assert "import numpy as np" in program and "+= " in program and "^" not in program.replace("# ", "")
    again = trace(program, dict(t.inputs), outputs=gradient_names(t)).outputs
    scope: dict[str, Any] = {name: np.asarray(v) for name, v in t.inputs.items()}
    exec(compile(program, "<adjoint program>", "exec"), scope)  # generated code only
    for name, x in zip(gradient_names(t), t.graph.inputs, strict=True):
        np.testing.assert_allclose(again[name], t.gradient[x], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(scope[name], t.gradient[x], rtol=1e-12, atol=1e-12)


def test_array_adjoint_program_reads_as_the_rules(runner: Any) -> None:
    printed = runner.invoke(main, ["--sample", "linear_layer", "--adjoint-program"])
    assert printed.exit_code == 0, printed.output
    assert "wbar1 += np.outer(wbar5, w2)  # w̄1 += VJP of w5 = w1 @ w2, matrix product rule" in printed.output
    assert "wbar2 += w1.T @ wbar5" in printed.output
    again = runner.invoke(main, ["-f", "-", "--format", "json"], input=printed.output)
    data = json.loads(again.stdout)
    assert {o["name"] for o in data["outputs"]} == {"dz_dW", "dz_dx", "dz_db", "dz_dy"}
    keyed = json.loads(runner.invoke(main, ["--sample", "mlp", "--adjoint-program", "--format", "json"]).stdout)
    assert keyed["arrays"] is True and keyed["adjoint_program"].startswith("# description: the adjoint program")
