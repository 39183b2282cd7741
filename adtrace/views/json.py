"""Trace → the JSON contract (full precision); keys are documented in the README.

`iter_json` streams the document: the per-node records (`nodes`, every pass's `steps`) are made and
encoded one at a time, so a big trace's JSON is written in time and memory linear in one record, and
its text is exactly `json.dumps(to_dict(trace), indent=…)`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from ..engine.trace import ReversePass, Trace
from ..expr import Apply, Const, Expr, Printed, Sym, partial_rule, printed, show, show_filled
from ..primitives import ARG_NAMES, ATOM, Primitive

if TYPE_CHECKING:  # a Hessian comes only with --hessian: its engine is not loaded for the plain JSON
    from ..engine.hessian import Hessian


class _Records(NamedTuple):
    """A list of records made one at a time when encoded (nodes, steps)."""

    size: int
    make: Callable[[], Iterable[dict[str, Any]]]


class _Object(dict[str, Any]):
    """A JSON object encoded member by member (it holds records)."""


class _Definitions(dict[tuple[Primitive, int], Expr]):
    """A primitive over the rule arguments (a*b, sin(a)), made when first asked for."""

    def __missing__(self, key: tuple[Primitive, int]) -> Expr:
        prim, count = key
        made = self[key] = Apply(prim, tuple(Sym(ARG_NAMES[m]) for m in range(count)))
        return made


class _Array(list[Any]):
    """A JSON array encoded item by item (its items hold records)."""


def to_dict(trace: Trace) -> dict[str, Any]:
    """The whole document as plain dicts and lists (`iter_json` writes the same without holding it)."""
    made = _plain(_document(trace))
    assert isinstance(made, dict)
    return made


def _plain(value: Any) -> Any:
    if isinstance(value, _Records):
        return list(value.make())
    if isinstance(value, _Object):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, _Array):
        return [_plain(v) for v in value]
    return value


INDENT_MAX_NODES = 2000
"""Past this many nodes the CLI and exports write compact JSON (indentation is no part of the contract, and
json's indenting encoder is pure Python: it would cost twice the rest of the view)."""

_BATCH = 512
"""Pieces per write when streaming records."""


def file_indent(trace: Trace) -> int | None:
    """The indent a JSON file gets: 2, or none for a big trace."""
    return 2 if len(trace.graph.numbered) <= INDENT_MAX_NODES else None


def iter_json(trace: Trace, indent: int | None = 2) -> Iterator[str]:
    """The JSON text in pieces, a record at a time: the same text as json.dumps(to_dict(trace), indent=indent,
    ensure_ascii=False)."""
    encode = json.JSONEncoder(indent=indent, ensure_ascii=False).encode
    yield from _stream(_document(trace), encode, indent, 0)


def _stream(value: Any, encode: Callable[[Any], str], indent: int | None, level: int) -> Iterator[str]:
    """json's own layout (its separators, its newlines and indents), with records encoded one at a time."""
    if isinstance(value, _Object):
        items: Iterable[tuple[str | None, Any]] = value.items()
        count, opening, closing = len(value), "{", "}"
    elif isinstance(value, _Array):
        items, count, opening, closing = ((None, v) for v in value), len(value), "[", "]"
    elif isinstance(value, _Records):
        items, count, opening, closing = ((None, v) for v in value.make()), value.size, "[", "]"
    else:
        text = encode(value)
        yield text if indent is None or not level else text.replace("\n", "\n" + " " * (indent * level))
        return
    if not count:
        yield opening + closing
        return
    if indent is None:
        separator, end = ", ", closing
    else:
        separator = ",\n" + " " * (indent * (level + 1))
        end = "\n" + " " * (indent * level) + closing
    first = opening if indent is None else opening + separator[1:]
    if isinstance(value, _Records):  # plain records, encoded a batch at a time (one encoder call per batch)
        yield first
        records = iter(value.make())
        k = 0
        while batch := list(islice(records, _BATCH)):
            yield (separator if k else "") + _items(encode(batch), indent, level)
            k += 1
        yield end
        return
    for k, (key, item) in enumerate(items):
        lead = first if not k else separator
        yield lead if key is None else f"{lead}{encode(key)}: "
        yield from _stream(item, encode, indent, level + 1)
    yield end


def _items(text: str, indent: int | None, level: int) -> str:
    """A list's encoded items without its brackets, laid out as items of a list at `level`: `encode([a, b])`
    is `[a, b]`, or indented `[\\n  a,\\n  b\\n]`."""
    if indent is None:
        return text[1:-1]
    inner = text[2 + indent : -2]
    return inner.replace("\n", "\n" + " " * (indent * level)) if level else inner


def _document(trace: Trace) -> _Object:
    graph = trace.graph
    numbered = graph.numbered
    first = trace.reverse[0] if trace.reverse else None
    contexts = _Contexts(trace)
    operands = _Operands(trace)
    definitions = _Definitions()

    def nodes() -> Iterator[dict[str, Any]]:
        label = trace.label
        line = graph.line if "\n" in graph.source else lambda i: 1  # one line: no search per node
        for i in numbered:
            node = graph.nodes[i]
            record: dict[str, Any] = {
                "id": label(i),
                "op": node.prim.name,
                "name": node.name,
                "args": [graph.nodes[a].const if graph.nodes[a].is_const else label(a) for a in node.args],
                "parents": [label(p) for p in dict.fromkeys(p for p, _ in graph.parents[i])],
                "definition": _filled(definitions[node.prim, len(node.args)], [operands[a] for a in node.args])
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
            record["line"] = line(i)
            record["context"] = context
            record.update(_node_symbolic(trace, i))
            yield record

    out = graph.outputs[0]
    data = _Object(
        {
            "expression": trace.source,
            "inputs": dict(trace.inputs),
            "output": {"name": out.name, "node": trace.label(out.node), "value": _number(trace.values[out.node])},
            "outputs": [
                {"name": o.name, "node": trace.label(o.node), "value": _number(trace.values[o.node])}
                for o in graph.outputs
            ],
            "gradient": None if trace.symbolic_only else dict(trace.gradient),
            "jacobian": {k: dict(v) for k, v in trace.jacobian.items()},
            "mode": trace.mode,
            "notation": trace.notation,
            "nodes": _Records(len(numbered), nodes),
            "steps": _Records(len(numbered), lambda: _steps(trace, first, operands)) if first is not None else [],
            "seeds": {
                "reverse": [{o.name: p.seeds.get(o.node, 0.0) for o in graph.outputs} for p in trace.reverse],
                "forward": [{name: p.seeds.get(i, 0.0) for name, i in graph.inputs.items()} for p in trace.forward],
            },
            "reverse_passes": _Array(
                _Object(
                    {
                        "output": p.output,
                        "seeds": {o.name: p.seeds.get(o.node, 0.0) for o in graph.outputs},
                        "steps": _Records(len(numbered), lambda p=p: _steps(trace, p, operands)),  # type: ignore[misc]
                    }
                )
                for p in trace.reverse
            ),
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
    )
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
    return list(_steps(trace, rpass, _Operands(trace)))


class _Contexts:
    """Where each node was made (its call, its loop iterations) as JSON, made when asked for: a program's tape
    has one context per loop iteration, and nodes come a context at a time."""

    def __init__(self, trace: Trace) -> None:
        self.contexts = trace.graph.contexts
        self.last: tuple[int, dict[str, Any]] | None = None

    def __getitem__(self, k: int) -> dict[str, Any]:
        if self.last is None or self.last[0] != k:
            c = self.contexts[k]
            loops = [{"line": loop.line, "iteration": loop.iteration} for loop in c.loops]
            self.last = (k, {"call": c.call, "loops": loops})
        return self.last[1]


class _Operands:
    """Each node inside a formula in adtrace syntax, printed when asked for: its label, or a constant written out
    with no name in it (`c*2` is `sin(1)*2` where c = sin(1): c may be reassigned later, and it is no input)."""

    def __init__(self, trace: Trace) -> None:
        self.graph, self.notation, self.trace = trace.graph, trace.notation, trace

    def __getitem__(self, i: int) -> Printed:
        graph = self.graph
        node = graph.nodes[i]
        if node.is_const:
            return printed(Const(node.const, graph.constant_code(i)), "code")
        label = self.trace.label(i)
        if label.isascii() and "-" not in label:  # w3, x1: the label is its code (no w̄ to spell, no v-1)
            return Printed(label, ATOM)
        return printed(Sym(label), "code")

    def code(self, p: int, pos: int) -> str:
        """∂w_p/∂(argument pos) in adtrace syntax, the arguments filled in: the rule printed once for each way
        its arguments bind (a label, a number, a negative number…), their texts put in."""
        node = self.graph.nodes[p]
        return _filled(partial_rule(node.prim, pos), [self[a] for a in node.args])


def _steps(trace: Trace, rpass: ReversePass, operands: _Operands) -> Iterator[dict[str, Any]]:
    """Trace.terms' contributions, read straight from the pass (no Term made per edge)."""
    parents = trace.graph.parents
    partials = trace.partials
    adjoints, products, seeds = rpass.adjoints, rpass.products, rpass.seeds
    label = trace.label
    code = operands.code
    for j in reversed(trace.graph.numbered):
        record: dict[str, Any] = {"node": label(j), "adjoint": adjoints[j]}
        if j in seeds:
            record["seed"] = seeds[j]
        record["terms"] = [
            {
                "parent": label(p),
                "parent_adjoint": adjoints[p],
                "partial": partials[p][pos],
                "partial_symbolic": code(p, pos),
                "product": product,
            }
            for (p, pos), product in zip(parents[j], products[j], strict=True)
        ]
        yield record


def _filled(template: Expr, operands: list[Printed]) -> str:
    """A primitive's formula over its rule arguments (a*b, ∂(a*b)/∂a = b) with the operands put in, in adtrace
    syntax: show_filled's text, from the template printed once for each way its operands bind."""
    pieces = _pieces(template, tuple([(p.prec, p.text.startswith("-")) for p in operands]))
    return "".join([piece if piece.__class__ is str else operands[piece].text for piece in pieces])  # type: ignore[index]


@lru_cache(maxsize=2048)
def _pieces(template: Expr, binds: tuple[tuple[int, bool], ...]) -> tuple[str | int, ...]:
    """The template in adtrace syntax, cut where each operand goes (its parentheses decided by how it binds, as
    the printer decides them: by its precedence and its leading minus): text, and the operand's position."""
    marks = {f"{'-' if negative else ''}\x00{m}\x00": m for m, (_, negative) in enumerate(binds)}
    text = show_filled(template, "code", {ARG_NAMES[m]: Printed(mark, binds[m][0]) for mark, m in marks.items()})
    if not marks:
        return (text,)
    cut = re.split("(" + "|".join(re.escape(mark) for mark in marks) + ")", text)
    return tuple(marks[piece] if n % 2 else piece for n, piece in enumerate(cut) if n % 2 or piece)


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
    engine/hessian.py) "hessian" (the first) and, for several outputs, "hessians", with `hvp` "hvp". Without
    them it streams (iter_json)."""
    if adjoint_program is None and not hessians and hvp is None:
        return "".join(iter_json(trace, indent))
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
