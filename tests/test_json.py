"""views/json.py: the streamed document is exactly json.dumps of the whole one, at every layout."""

from __future__ import annotations

import json

import pytest

from adtrace import trace
from adtrace.views.json import _BATCH, iter_json, to_dict

BIG = " + ".join(f"sin(x*{k % 7 + 1})*y" for k in range(_BATCH // 2 + 40))  # more records than one batch
CASES = [
    ("x1*x2 + sin(x1)", {"x1": 2, "x2": 3}),
    (BIG, {"x": 0.5, "y": 2.0}),
    ("a = x*y\nfor k in range(3):\n    a = a*y + sin(x)\na", {"x": 0.5, "y": 2.0}),
]


@pytest.mark.parametrize(("source", "inputs"), CASES)
@pytest.mark.parametrize("indent", [None, 2, 4])
def test_the_stream_is_json_dumps_of_the_document(source: str, inputs: dict[str, float], indent: int | None) -> None:
    t = trace(source, **inputs)
    streamed = "".join(iter_json(t, indent))
    assert streamed == json.dumps(to_dict(t), indent=indent, ensure_ascii=False)
    data = json.loads(streamed)
    assert len(data["steps"]) == len(data["nodes"]) == len(t.graph.numbered)
    assert data["steps"] == data["reverse_passes"][0]["steps"]
