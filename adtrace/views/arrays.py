"""The views of an array program's array level: the terminal, markdown and the JSON contract.

The terminal and markdown print the array Lesson (lesson/arrays.py) with the same printers as every other
lesson; the JSON follows the array contract of docs/arrays.md (nested lists for arrays, a `shape` on
every node, each reverse term's rule in `partial_symbolic` and its contribution in `product`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
from rich.console import Console

from ..engine.arrays.trace import ArrayTrace
from ..engine.trace import Trace
from ..expr import show
from ..lesson.arrays import build_arrays, rule_text
from ..lesson.math import bar
from . import markdown as md
from .terminal import DEFAULT_MAX_ROWS, pieces


def print_arrays(
    console: Console, trace: ArrayTrace, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> None:
    for piece in pieces(build_arrays(trace, digits, explain=explain), cast(Trace, trace), max_rows):
        console.print(piece, soft_wrap=True, crop=False)


def arrays_text(
    trace: ArrayTrace, width: int = 100, digits: int = 4, *, explain: bool = False, max_rows: int = DEFAULT_MAX_ROWS
) -> str:
    console = Console(emoji=False, file=io.StringIO(), width=width, no_color=True, color_system=None)
    print_arrays(console, trace, digits, explain=explain, max_rows=max_rows)
    return str(console.file.getvalue())  # type: ignore[attr-defined]


def iter_arrays_markdown(
    trace: ArrayTrace, digits: int = 4, math: str = "dollars", *, explain: bool = False
) -> Iterator[str]:
    lesson = build_arrays(trace, digits, explain=explain)
    writer = md._Writer(math)  # type: ignore[arg-type]
    yield writer.header(lesson, cast(Trace, trace))
    for section in lesson.sections:
        yield from writer.section(section, cast(Trace, trace), digits)


def nested(value: Any) -> Any:
    """A numpy value as JSON: a float for a scalar, nested lists for an array."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array.tolist()


def to_dict(trace: ArrayTrace) -> dict[str, Any]:
    g = trace.graph
    first = trace.reverse[0] if trace.reverse else None
    nodes = []
    for i in g.numbered:
        node = g.nodes[i]
        record: dict[str, Any] = {
            "id": trace.label(i),
            "op": node.prim.name,
            "name": node.name,
            "args": [nested(g.nodes[a].const) if g.nodes[a].is_const else trace.label(a) for a in node.args],
            "parents": [trace.label(p) for p in dict.fromkeys(p for p, _ in g.parents[i])],
            "definition": show(g.definition(i), "code") if node.args else node.name,
            "shape": list(trace.shape(i)),
            "value": nested(trace.values[i]),
            "adjoint": nested(first.adjoints[i]) if first is not None else None,
            "line": g.line(i),
        }
        if trace.forward:
            record["tangent"] = [nested(t.tangents[i]) for t in trace.forward]
        nodes.append(record)
    out = g.outputs[0]
    scalar_out = trace.values[out.node].ndim == 0

    def reverse_seeds(p: Any) -> dict[str, Any]:
        """A pass's seeds by output name, as the scalar contract has them (0 where an output has none)."""
        return {o.name: nested(p.seeds.get(o.node, np.zeros(trace.shape(o.node)))) for o in g.outputs}

    def forward_seeds(p: Any) -> dict[str, Any]:
        return {name: nested(p.seeds.get(i, np.zeros(trace.shape(i)))) for name, i in g.inputs.items()}

    return {
        "expression": trace.source,
        "inputs": {k: nested(v) for k, v in trace.inputs.items()},
        "output": {"name": out.name, "node": trace.label(out.node), "value": nested(trace.values[out.node])},
        "outputs": [
            {"name": o.name, "node": trace.label(o.node), "value": nested(trace.values[o.node])} for o in g.outputs
        ],
        "gradient": {k: nested(v) for k, v in trace.gradient.items()} if scalar_out else None,
        "jacobian": {o: {x: nested(v) for x, v in row.items()} for o, row in trace.jacobian.items()},
        "mode": trace.mode,
        "notation": trace.notation,
        "arrays": True,
        "nodes": nodes,
        "steps": _steps(trace, first) if first is not None else [],
        "seeds": {
            "reverse": [reverse_seeds(p) for p in trace.reverse],
            "forward": [forward_seeds(p) for p in trace.forward],
        },
        "reverse_passes": [
            {"output": p.output, "seeds": reverse_seeds(p), "steps": _steps(trace, p)} for p in trace.reverse
        ],
        "forward_passes": [
            {
                "input": p.input,
                "seeds": forward_seeds(p),
                "tangents": {trace.label(i): nested(p.tangents[i]) for i in g.numbered},
                "outputs": {o.name: nested(p.tangents[o.node]) for o in g.outputs},
            }
            for p in trace.forward
        ],
        "warnings": list(trace.warnings),
        "branches": [
            {"line": b.line, "condition": b.condition, "values": list(b.values), "taken": b.taken, "kind": b.kind}
            for b in g.branches
        ],
        "notes": list(g.notes),
        "gradient_symbolic": None,  # the symbolic layer is the element level's (--elements)
        "jacobian_symbolic": None,
        "symbolic": None,
    }


def _steps(trace: ArrayTrace, rpass: Any) -> list[dict[str, Any]]:
    g = trace.graph
    records = []
    for j in reversed(g.numbered):
        record: dict[str, Any] = {
            "node": trace.label(j),
            "shape": list(trace.shape(j)),
            "adjoint": nested(rpass.adjoints[j]),
        }
        if j in rpass.seeds:
            record["seed"] = nested(rpass.seeds[j])
        record["terms"] = [
            {
                "parent": trace.label(p),
                "parent_adjoint": nested(rpass.adjoints[p]),
                "partial_symbolic": f"{rule_text(trace, p, pos, bar(trace.label(p)), 'plain')} "
                f"(shape {tuple(trace.shape(j))})",
                "product": nested(product),
            }
            for (p, pos), product in zip(g.parents[j], rpass.products[j], strict=True)
        ]
        records.append(record)
    return records


COMPACT_PAST = 10_000
"""Past this many numbers in the values, the JSON is written compact: Python's indenting encoder is pure
Python (about 10× slower than its C encoder), and nobody reads a 100,000-number array indented."""


def to_json(trace: ArrayTrace, indent: int | None = 2, *, adjoint_program: str | None = None) -> str:
    """The array JSON contract; with `adjoint_program` its text too (the key of the scalar contract)."""
    data = to_dict(trace)
    if adjoint_program is not None:
        data["adjoint_program"] = adjoint_program
    big = sum(int(np.size(v)) for v in trace.values) > COMPACT_PAST
    return json.dumps(data, indent=None if big else indent, ensure_ascii=False)
