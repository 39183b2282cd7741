"""Trace → the JSON contract (full precision); keys are documented in the README."""

from __future__ import annotations

import json
from typing import Any

from ..engine.hessian import Hessian
from ..engine.trace import ReversePass, Trace
from ..expr import Apply, Const, Expr, Sym, partial_rule, show, substitute
from ..primitives import ARG_NAMES


def to_dict(trace: Trace) -> dict[str, Any]:
    graph = trace.graph
    numbered = graph.numbered
    first = trace.reverse[0] if trace.reverse else None
    nodes: list[dict[str, Any]] = []
    contexts = [
        {"call": c.call, "loops": [{"line": loop.line, "iteration": loop.iteration} for loop in c.loops]}
        for c in graph.contexts
    ]
    for i in numbered:
        node = graph.nodes[i]
        record: dict[str, Any] = {
            "id": trace.label(i),
            "op": node.prim.name,
            "name": node.name,
            "args": [graph.nodes[a].const if graph.nodes[a].is_const else trace.label(a) for a in node.args],
            "parents": [trace.label(p) for p in dict.fromkeys(p for p, _ in graph.parents[i])],
            "definition": show(Apply(node.prim, tuple(_operand(trace, a) for a in node.args)), "code")
            if node.args
            else show(trace.definition(i), "code"),
            "value": _number(trace.values[i]),
        }
        record["adjoint"] = first.adjoints[i] if first is not None else None  # null in forward mode
        if trace.forward:
            record["tangent"] = [t.tangents[i] for t in trace.forward]
        if i in trace.notes:
            record["note"] = trace.notes[i]
        context = contexts[graph.context_id(i)]
        record["line"] = graph.line(i)
        record["context"] = context
        record.update(_node_symbolic(trace, i))
        nodes.append(record)
    out = graph.outputs[0]
    data: dict[str, Any] = {
        "expression": trace.source,
        "inputs": dict(trace.inputs),
        "output": {"name": out.name, "node": trace.label(out.node), "value": _number(trace.values[out.node])},
        "outputs": [
            {"name": o.name, "node": trace.label(o.node), "value": _number(trace.values[o.node])} for o in graph.outputs
        ],
        "gradient": None if trace.symbolic_only else dict(trace.gradient),
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
        "branches": [
            {
                "line": b.line,
                "condition": b.condition,
                "values": list(b.values),
                "taken": b.taken,
                "kind": b.kind,
                "went": b.went,
                "context": contexts[b.context],
                "after": _last_numbered(trace, b.position),
            }
            for b in graph.branches
        ],
        "notes": list(graph.notes),
    }
    data.update(_symbolic(trace))
    return data


def _last_numbered(trace: Trace, position: int) -> str | None:
    """The label of the last numbered node among the first `position` (where a branch was decided)."""
    number = trace.graph.number
    for i in range(min(position, len(number)) - 1, -1, -1):
        if number[i]:
            return trace.label(i)
    return None


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
                "partial_symbolic": _partial_code(trace, t.parent, t.position),
                "product": t.product,
            }
            for t in trace.terms(rpass, j)
        ]
        records.append(record)
    return records


def _operand(trace: Trace, i: int) -> Expr:
    """A node inside a formula in adtrace syntax: its label, or a constant written out with no name in it
    (`c*2` is `sin(1)*2` where c = sin(1): c may be reassigned later, and it is no input)."""
    graph = trace.graph
    if graph.nodes[i].is_const:
        return Const(graph.nodes[i].const, graph.constant_code(i))
    return graph.operand(i, trace.notation)


def _partial_code(trace: Trace, i: int, k: int) -> str:
    node = trace.graph.nodes[i]
    mapping = {ARG_NAMES[m]: _operand(trace, a) for m, a in enumerate(node.args)}
    return show(substitute(partial_rule(node.prim, k), mapping), "code")


def _number(value: float) -> float | None:
    """A value, or None (null) where a symbolic trace has no number."""
    return value if value == value else None


def _node_symbolic(trace: Trace, i: int) -> dict[str, Any]:
    """adjoint_symbolic: w̄i over the w's (first reverse pass); adjoint_closed: the same in the inputs."""
    sym = trace.symbolic
    if sym is None or not sym.passes:
        return {"adjoint_symbolic": None, "adjoint_closed": None}
    first = sym.passes[0]
    return {"adjoint_symbolic": show(first.adjoint[i], "code"), "adjoint_closed": show(first.closed[i], "code")}


def _symbolic(trace: Trace) -> dict[str, Any]:
    """The closed-form gradient and Jacobian in adtrace syntax, with the named intermediates they use."""
    sym = trace.symbolic
    if sym is None:
        return {
            "gradient_symbolic": None,
            "jacobian_symbolic": None,
            "symbolic": {
                "inputs": [],
                "where": {},
                "where_per_output": {},
                "where_nodes": {},
                "notes": [trace.symbolic_note] if trace.symbolic_note else [],
            },
        }
    jacobian = sym.jacobian
    # One 'where' per output: the same name (w̄3) is a different formula in each output's pass, so merging
    # them gave wrong numbers. Each is in let order: every entry uses only names defined before it.
    per_output = {out: _where(sym.bindings(row.values(), sym.units[out])) for out, row in jacobian.items()}
    nodes: dict[str, str] = {}
    out = trace.graph.outputs[0].name
    where = per_output[out]
    if sym.passes:  # nodes[].adjoint_closed are the first pass's
        first = sym.passes[0]
        closed = [first.closed[i] for i in trace.graph.numbered]
        nodes = _where(sym.bindings(closed, first))
        if first is sym.units[out]:  # the same pass: 'where' serves the gradient and the nodes, as it did
            where = _where(sym.bindings([*jacobian[out].values(), *closed], first))
    return {
        "gradient_symbolic": {name: show(f, "code") for name, f in sym.gradient.items()},
        "jacobian_symbolic": {out: {name: show(f, "code") for name, f in row.items()} for out, row in jacobian.items()},
        "symbolic": {
            "inputs": list(sym.symbolic_inputs),
            "where": where,
            "where_per_output": per_output,
            "where_nodes": nodes,
            "notes": list(sym.notes),
        },
    }


def _where(bindings: list[tuple[str, Expr]]) -> dict[str, str]:
    return {show(Sym(name), "code"): show(formula, "code") for name, formula in bindings}


def to_json(
    trace: Trace,
    indent: int | None = 2,
    *,
    adjoint_program: str | None = None,
    hessians: dict[str, Hessian] | None = None,
    hvp: Hessian | None = None,
) -> str:
    """The JSON contract; with `adjoint_program` its text, with `hessians` (output → Hessian, from
    engine/hessian.py) "hessian" (the first) and, for several outputs, "hessians", with `hvp` "hvp"."""
    data = to_dict(trace)
    if adjoint_program is not None:
        data["adjoint_program"] = adjoint_program
    if hessians:
        first = next(iter(hessians.values()))
        data.update(hessian_dict(first))
        if len(hessians) > 1:
            data["hessians"] = {name: hessian_dict(h)["hessian"] for name, h in hessians.items()}
    if hvp is not None and hvp.hvp is not None and hvp.vector is not None:
        data["hvp"] = dict(hvp.hvp)
        data["hvp_vector"] = dict(hvp.vector)
    if trace.graph.elements is not None:  # an array program's elements: its Hessian as nested lists again
        from ..engine.arrays.elements import regroup_matrix

        for key in ("hessian", "hvp", "hvp_vector"):
            if isinstance(data.get(key), dict):
                data[key] = (regroup_matrix if key == "hessian" else _lists)(trace.graph.elements, data[key])
        if "hessians" in data:
            data["hessians"] = {k: regroup_matrix(trace.graph.elements, v) for k, v in data["hessians"].items()}
    return json.dumps(data, indent=indent, ensure_ascii=False)


def _lists(mapping: Any, vector: dict[str, float]) -> dict[str, Any]:
    from ..engine.arrays.elements import regroup

    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in regroup(vector).items()}


def hessian_dict(h: Hessian) -> dict[str, Any]:
    """ "hessian": input → input → ∂²/∂xi∂xj, with its symmetry and closed form."""
    assert h.matrix is not None, "a Hessian–vector product has no matrix"
    out: dict[str, Any] = {
        "hessian": {a: {b: _number(v) for b, v in row.items()} for a, row in h.matrix.items()},
        "hessian_of": h.output,
        "hessian_symmetric": h.symmetric,
        "hessian_asymmetry": h.asymmetry,
    }
    if h.closed is not None:
        out["hessian_symbolic"] = {a: {b: show(f, "code") for b, f in row.items()} for a, row in h.closed.items()}
        out["hessian_symbolic_where"] = {a: _where(bindings) for a, bindings in (h.where or {}).items()}
    return out
