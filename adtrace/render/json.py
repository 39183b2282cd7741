"""Trace → the JSON contract (full precision); keys are documented in the README."""

from __future__ import annotations

import json
from typing import Any

from ..expr import show
from ..trace import ReversePass, Trace


def to_dict(trace: Trace) -> dict[str, Any]:
    graph = trace.graph
    numbered = graph.numbered
    first = trace.reverse[0] if trace.reverse else None
    nodes: list[dict[str, Any]] = []
    for i in numbered:
        node = graph.nodes[i]
        record: dict[str, Any] = {
            "id": trace.label(i),
            "op": node.prim.name,
            "name": node.name,
            "args": [graph.nodes[a].const if graph.nodes[a].is_const else trace.label(a) for a in node.args],
            "parents": [trace.label(p) for p in dict.fromkeys(p for p, _ in graph.parents[i])],
            "definition": show(trace.definition(i), "code"),
            "value": trace.values[i],
        }
        if first is not None:
            record["adjoint"] = first.adjoints[i]
        if trace.forward:
            record["tangent"] = [t.tangents[i] for t in trace.forward]
        if i in trace.notes:
            record["note"] = trace.notes[i]
        nodes.append(record)
    out = graph.outputs[0]
    data: dict[str, Any] = {
        "expression": trace.source,
        "inputs": dict(trace.inputs),
        "output": {"name": out.name, "node": trace.label(out.node), "value": trace.values[out.node]},
        "outputs": [
            {"name": o.name, "node": trace.label(o.node), "value": trace.values[o.node]} for o in graph.outputs
        ],
        "gradient": dict(trace.gradient),
        "jacobian": {k: dict(v) for k, v in trace.jacobian.items()},
        "mode": trace.mode,
        "notation": trace.notation,
        "nodes": nodes,
        "steps": steps(trace, first) if first is not None else [],
        "seeds": {
            "reverse": [{o.name: p.seeds.get(o.node, 0.0) for o in graph.outputs} for p in trace.reverse],
            "forward": [{name: p.seeds.get(i, 0.0) for name, i in graph.inputs.items()} for p in trace.forward],
        },
        "reverse_passes": [
            {
                "output": p.output,
                "seeds": {o.name: p.seeds.get(o.node, 0.0) for o in graph.outputs},
                "steps": steps(trace, p),
            }
            for p in trace.reverse
        ],
        "forward_passes": [
            {
                "input": p.input,
                "seeds": {name: p.seeds.get(i, 0.0) for name, i in graph.inputs.items()},
                "tangents": {trace.label(i): p.tangents[i] for i in numbered},
                "outputs": {o.name: p.tangents[o.node] for o in graph.outputs},
            }
            for p in trace.forward
        ],
        "warnings": list(trace.warnings),
    }
    return data


def steps(trace: Trace, rpass: ReversePass) -> list[dict[str, Any]]:
    """One record per numbered node, output to inputs, with every term of its sum."""
    records = []
    for j in reversed(trace.graph.numbered):
        record: dict[str, Any] = {"node": trace.label(j), "adjoint": rpass.adjoints[j]}
        if j in rpass.seeds:
            record["seed"] = rpass.seeds[j]
        record["terms"] = [
            {
                "parent": trace.label(t.parent),
                "parent_adjoint": t.parent_adjoint,
                "partial": t.partial,
                "partial_symbolic": show(trace.partial_formula(t.parent, t.position), "code"),
                "product": t.product,
            }
            for t in trace.terms(rpass, j)
        ]
        records.append(record)
    return records


def to_json(trace: Trace, indent: int | None = 2) -> str:
    return json.dumps(to_dict(trace), indent=indent, ensure_ascii=False)
