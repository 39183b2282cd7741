"""Every shipped sample: its gradient (every output) against central finite differences."""

from __future__ import annotations

import pytest
from conftest import central_difference, close

from adtrace import trace
from adtrace.engine.forward import forward
from adtrace.engine.graph import build
from adtrace.language.values import parse_assignments
from adtrace.samples import Sample, all_samples

SAMPLES = all_samples()


def test_there_are_enough_samples() -> None:
    assert len(SAMPLES) >= 8
    assert all(s.description for s in SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_sample_gradient_matches_finite_differences(sample: Sample) -> None:
    values = parse_assignments(sample.values)
    outputs = list(sample.outputs) or None
    t = trace(sample.source, values, outputs=outputs, mode="both")
    graph = build(sample.source, outputs)
    for out in graph.outputs:
        for name in graph.inputs:

            def f(point: dict[str, float], node: int = out.node) -> float:
                return forward(graph, point).values[node]

            fd = central_difference(f, values, name)
            assert close(t.jacobian[out.name][name], fd, rel=1e-5, abs_=1e-7), (sample.name, out.name, name)
            if t.forward:
                tpass = next(p for p in t.forward if p.input == name)
                assert close(tpass.tangents[out.node], t.jacobian[out.name][name], 1e-12, 1e-12)
