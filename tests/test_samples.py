"""Every shipped sample: its gradient (every output) against central finite differences."""

from __future__ import annotations

import pytest
from conftest import central_difference, close

from adtrace import trace
from adtrace.engine.forward import forward
from adtrace.language.values import parse_assignments
from adtrace.samples import Sample, all_samples

SAMPLES = all_samples()


def test_there_are_enough_samples() -> None:
    assert len(SAMPLES) >= 8
    programs = {"micrograd", "taylor_sine", "black_scholes", "speelpenning", "newton_sqrt", "piecewise"}
    assert programs <= {s.name for s in SAMPLES}
    assert all(s.description for s in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_sample_gradient_matches_finite_differences(sample: Sample) -> None:
    values = parse_assignments(sample.values)
    outputs = list(sample.outputs) or None
    t = trace(sample.source, values, outputs=outputs, mode="both", elements=sample.arrays)
    graph = t.graph
    point = dict(t.inputs)  # with the values a program declares (a = Value(-4.0))
    for k, out in enumerate(graph.outputs):
        for name in graph.inputs:

            def on_tape(at: dict[str, float], node: int = out.node) -> float:  # the path this run took
                return forward(graph, at).values[node]

            def program(at: dict[str, float], k: int = k) -> float:  # run again: branches and loops may change
                again = trace(sample.source, at, outputs=outputs, symbolic=False)
                return again.values[again.graph.outputs[k].node]

            fd = central_difference(on_tape, point, name)
            assert close(t.jacobian[out.name][name], fd, rel=1e-5, abs_=1e-7), (sample.name, out.name, name)
            if graph.is_program:
                rerun = central_difference(program, point, name)
                if sample.name == "piecewise":  # the pitfall it shows: AD differentiates the constant branch
                    assert not close(t.jacobian[out.name][name], rerun, rel=1e-3, abs_=1e-3)
                else:
                    assert close(t.jacobian[out.name][name], rerun, rel=1e-5, abs_=1e-7), (sample.name, name)
            if t.forward:
                tpass = next(p for p in t.forward if p.input == name)
                assert close(tpass.tangents[out.node], t.jacobian[out.name][name], 1e-12, 1e-12)


def test_micrograd_readme_example_gives_micrograds_numbers() -> None:
    """Pasted verbatim, with no arguments: micrograd prints 24.7041, 138.8338, 645.5773."""
    sample = next(s for s in SAMPLES if s.name == "micrograd")
    t = trace(sample.source)
    out = t.graph.outputs[0]
    assert out.name == "g"
    assert f"{t.values[out.node]:.4f}" == "24.7041"
    assert f"{t.gradient['a']:.4f}" == "138.8338"
    assert f"{t.gradient['b']:.4f}" == "645.5773"
    assert any("skipped" in note for note in t.graph.notes)
