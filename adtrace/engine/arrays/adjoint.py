"""The adjoint program of an array program: the tape, then one numpy statement per vector–Jacobian product.

The same program as engine/adjoint.py writes for scalars, with arrays: each reverse statement is an edge's
VJP as numpy code (`wbar1 += np.outer(wbar5, w2)  # w̄1 += VJP of w5 = w1 @ w2, matrix product rule`), taken
from the array table (`ArrayPrimitive.vjp_code`; an elementwise one is the adjoint times the scalar partial,
added up over the axes broadcasting copied along). adtrace reads it back (`adtrace -f`: the gradients as
outputs) and so does Python with numpy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import numpy as np

from ...array_primitives import ArrayPrimitive, Site, shape_code, unbroadcast_code
from ...expr import Apply, Const, Expr, Sym, partial_rule, show, substitute
from ...primitives import ARG_NAMES, PRIMITIVES
from ..code import python_name, tidy
from .trace import ArrayTrace

_NUMPY_DEFS = {
    "sigmoid": "def sigmoid(a): return 0.5*(1 + tanh(0.5*a))",
    "relu": "def relu(a): return np.maximum(a, 0)",
    "step": "def step(a): return (np.sign(a) + 1)/2",
}
"""The primitives numpy lacks, as one-line definitions for plain Python (adtrace skips them: it has its own;
the same conventions: step(0) = 1/2)."""
_RENAMED = {"max": "maximum", "min": "minimum", "abs": "abs", "atan": "arctan", "asin": "arcsin", "acos": "arccos"}
"""numpy's names for the elementwise functions that differ (imported under adtrace's name)."""


def _label(trace: ArrayTrace, i: int) -> str:
    return python_name(trace.label(i))


def _adjoint(trace: ArrayTrace, i: int, suffix: str) -> str:
    return f"{_label(trace, i)[0]}bar{_label(trace, i)[1:]}{suffix}"


def _operand(trace: ArrayTrace, i: int) -> Expr:
    node = trace.graph.nodes[i]
    if node.is_const:
        value = np.asarray(node.const, dtype=float)
        if value.ndim:
            return Sym(_literal(value))
        text = trace.graph.constant_code(i)
        return Const(
            float(value), text if text and not text.startswith(("zeros", "ones", "eye")) else repr(float(value))
        )
    return Sym(_label(trace, i))


def _literal(value: Any) -> str:
    """An array as numpy code: np.array([[1.0, 2.0], [3.0, 4.0]])."""
    return f"np.array({np.asarray(value, dtype=float).tolist()!r})"


def _compact(value: Any) -> str:
    """An input's value for the `# values:` header: no spaces (the header splits at them)."""
    array = np.asarray(value, dtype=float)
    return repr(float(array)) if array.ndim == 0 else repr(array.tolist()).replace(" ", "")


def gradient_names(trace: ArrayTrace) -> list[str]:
    return [name for _, _, names in _sweeps(trace) for name in names.values()]


def _sweeps(trace: ArrayTrace) -> list[tuple[dict[int, Any], str, dict[str, str]]]:
    """Each reverse sweep: its seeds, the suffix of its adjoints' names, adjoint name → result name."""
    passes = [(p.seeds, p.output) for p in trace.reverse] or [
        ({o.node: np.ones(trace.values[o.node].shape)}, o.name) for o in trace.graph.outputs
    ]
    out = []
    for seeds, output in passes:
        suffix = f"_{python_name(output)}" if len(passes) > 1 and output is not None else ""
        names = {}
        for name, i in trace.graph.inputs.items():
            result = (
                f"d{python_name(output)}_d{python_name(name)}" if output is not None else f"vjp_{python_name(name)}"
            )
            names[_adjoint(trace, i, suffix)] = result
        out.append((seeds, suffix, names))
    return out


def adjoint_program(trace: ArrayTrace) -> str:
    body = [*_forward(trace)]
    for seeds, suffix, names in _sweeps(trace):
        body += _reverse(trace, seeds, suffix, names)
    graph = trace.graph
    source = " ".join(line.strip() for line in graph.source.splitlines() if line.strip())
    text = "\n".join(body)
    used = sorted(
        {p.functions[0] for p in PRIMITIVES if p.functions and p.token is None}
        & set(re.findall(r"(?<![\w.])(\w+)\(", text))
    )
    imports = [
        f"{_RENAMED[f]} as {f}" if f in _RENAMED and _RENAMED[f] != f else f for f in used if f not in _NUMPY_DEFS
    ]
    if "sigmoid" in used and "tanh" not in used:
        imports.append("tanh")
    lines = [
        f"# description: the adjoint program of {source if len(source) <= 60 else source[:57] + '...'}, by adtrace",
        "# values: " + " ".join(f"{python_name(n)}={_compact(v)}" for n, v in trace.inputs.items()),
        f"# outputs: {','.join(gradient_names(trace))}",
        "#",
        "# Reverse mode on arrays as a program: the tape (the forward statements), then the reverse pass, one line",
        "# per vector–Jacobian product (each adjoint has its node's shape; no Jacobian is built).",
        "# Trace it with adtrace -f FILE (the values and outputs above apply); run it in Python with numpy and the",
        f"# inputs ({', '.join(python_name(x) for x in graph.inputs)}) defined first, as numpy arrays.",
    ]
    if graph.branches or any(graph.loops(i) for i in graph.numbered):
        lines += [
            "# It is the program of the path taken: loops unrolled as they ran at these values, the branches that ran."
        ]
    lines += ["", "import numpy as np"]
    if imports:
        lines.append(f"from numpy import {', '.join(sorted(imports))}")
    defs = [_NUMPY_DEFS[f] for f in used if f in _NUMPY_DEFS]
    if defs:
        lines += ["# the primitives numpy lacks (adtrace has its own, and skips these lines)", *defs]
    return "\n".join([*lines, "", *body, ""]) + "\n"


def _forward(trace: ArrayTrace) -> Iterator[str]:
    graph = trace.graph
    yield "# the tape: the forward statements"
    for i in graph.numbered:
        node = graph.nodes[i]
        if node.is_input:
            yield f"{_label(trace, i)} = {python_name(node.name or '')}"
            continue
        code = _node_code(trace, i)
        where = [f"{lp.kind} iteration {lp.iteration}" for lp in graph.loops(i)]
        where += [node.name] if node.name else []
        comment = (
            f"  # {', '.join(where)}  (shape {tuple(trace.shape(i))})"
            if where
            else f"  # shape {tuple(trace.shape(i))}"
        )
        yield f"{_label(trace, i)} = {code}{comment}"
    for out in graph.outputs:
        if python_name(out.name) != _label(trace, out.node):
            yield f"{python_name(out.name)} = {_label(trace, out.node)}"


def _node_code(trace: ArrayTrace, i: int) -> str:
    """A node's operation as numpy code (softmax and logsumexp, which numpy lacks, written out)."""
    node = trace.graph.nodes[i]
    prim = cast(ArrayPrimitive, node.prim)
    args = [show(_operand(trace, a), "python") for a in node.args]
    if prim.name in ("softmax", "logsumexp"):
        a, shape = args[0], trace.shape(node.args[0])
        axis = _axis(prim.plain.template)
        keep = (
            shape_code(tuple(1 if k == axis % len(shape) else n for k, n in enumerate(shape)))
            if axis is not None
            else None
        )
        ax = "" if axis is None else f", axis={axis}"
        top = f"np.reshape(np.max({a}{ax}), {keep})" if keep else f"np.max({a})"
        total = f"np.sum(np.exp({a} - {top}){ax})"
        if prim.name == "logsumexp":
            return f"np.log({total}) + np.max({a}{ax})"
        return f"np.exp({a} - {top})/{f'np.reshape({total}, {keep})' if keep else total}"
    return show(Apply(prim, tuple(_operand(trace, a) for a in node.args)), "python")


def _axis(template: str) -> int | None:
    found = re.search(r"axis=(-?\d+)", template)
    return int(found.group(1)) if found else (-1 if template.startswith("softmax") else None)


def _reverse(trace: ArrayTrace, seeds: dict[int, Any], suffix: str, names: dict[str, str]) -> Iterator[str]:
    graph = trace.graph
    yield ""
    yield "# the reverse pass: adjoints from the output back to the inputs"
    for j in reversed(graph.numbered):
        edges = graph.parents[j]
        adj = _adjoint(trace, j, suffix)
        shape = trace.shape(j)
        if j in seeds:
            seed = np.asarray(seeds[j], dtype=float)
            start = repr(float(seed)) if seed.ndim == 0 else _literal(seed)
            yield f"{adj} = {start}  # the seed"
        else:
            yield f"{adj} = {'np.zeros(' + shape_code(shape) + ')' if shape else '0.0'}  # then a term per parent"
        for p, pos in edges:
            yield _term(trace, p, pos, j, suffix)
    for name, result in names.items():
        yield f"{result} = {name}"


def _term(trace: ArrayTrace, p: int, pos: int, j: int, suffix: str) -> str:
    graph = trace.graph
    parent = graph.nodes[p]
    prim = cast(ArrayPrimitive, parent.prim)
    g = _adjoint(trace, p, suffix)
    if prim.elementwise is not None:
        mapping: dict[str, Expr] = {ARG_NAMES[k]: _operand(trace, a) for k, a in enumerate(parent.args)}
        partial = tidy(substitute(partial_rule(prim.elementwise, pos), mapping))
        local = show(partial, "python")
        contribution = g if local in ("1", "1.0") else f"-{g}" if local in ("-1", "-1.0") else f"{g}*({local})"
        code = unbroadcast_code(contribution, trace.shape(p), trace.shape(j))
    else:
        assert prim.vjp_code is not None
        site = Site(
            g,
            _label(trace, p),
            tuple(show(_operand(trace, a), "python") for a in parent.args),
            tuple(trace.shape(a) for a in parent.args),
            trace.shape(p),
        )
        code = prim.vjp_code(site, pos)
    pl, jl = trace.label(p), trace.label(j)
    said = f"{_bar(jl)} += VJP of {pl} = {show(graph.definition(p), 'python')}, {prim.rule}"
    return f"{_adjoint(trace, j, suffix)} += {code}  # {said}"


def _bar(label: str) -> str:
    head = label.rstrip("0123456789")
    return head + "\u0304" + label[len(head) :]
