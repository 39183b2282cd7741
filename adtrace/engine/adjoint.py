"""The adjoint program: the trace's reverse pass written out as code, one line per chain-rule term.

Tangent and Tapenade show reverse mode as a program; this module writes that program for a Trace. It is
in Python syntax that adtrace reads back (`**`, ASCII adjoint names such as `wbar3`), so it can be traced
itself (`adtrace -f adjoint.py`: the gradient as outputs; forward mode over it gives second derivatives,
engine/hessian.py) or run with Python and its `math` module:

    # the tape (the forward statements)
    w1 = x1
    w3 = w1*w2
    # the reverse pass: one line per edge, parent adjoint times local partial, summed with +=
    wbar1 += wbar3*w2  # w̄1 += w̄3·∂w3/∂w1, product rule
    dz_dx1 = wbar1

The code of every local partial comes from the primitives table (`Primitive.partials`, printed by
`expr.show(…, "python")`), so there is no second table of derivatives here. The reverse statements are
made per edge by `_term`, which reads the scalar rule of the parent's primitive; an array primitive's
vector–Jacobian product would be another rule looked up there (see `_term`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import NamedTuple

from ..expr import BAR, Apply, Const, Expr, Sym, partial_rule, show, substitute, symbols
from ..primitives import ARG_NAMES, BY_NAME, CONSTANTS, PRIMITIVES, PYTHON_DEFS
from .code import is_number, python_name, tidy
from .trace import Trace

_BUILTINS = frozenset(("abs", "max", "min", "pow", "round"))
"""Functions Python has without an import (adtrace's abs, max, min, pow and round agree with them)."""
_NEG = BY_NAME["neg"]
_MUL = BY_NAME["mul"]


class Sweep(NamedTuple):
    """One reverse sweep of the adjoint program: its seeds and the names it gives the gradient."""

    seeds: dict[int, float]
    output: str | None
    """The output it differentiates (a unit seed), or None for a seed vector (a vector–Jacobian product)."""
    suffix: str
    """Appended to every adjoint name of this sweep ('' with one sweep; '_f' for output f of several)."""


def gradient_names(trace: Trace) -> list[str]:
    """The names the adjoint program gives its results, in order: dz_dx1, dz_dx2 (one per input and sweep)."""
    if getattr(trace, "is_arrays", False):
        from .arrays import adjoint as arrays  # an array program's: numpy code

        return arrays.gradient_names(trace)  # type: ignore[arg-type]
    return [name for sweep in sweeps(trace) for name in result_names(trace, sweep).values()]


def sweeps(trace: Trace) -> list[Sweep]:
    """The reverse sweeps the program writes out: the trace's own reverse passes (one per output, or one
    for a seed vector), or with none shown (forward mode) one per output."""
    passes = [(p.seeds, p.output) for p in trace.reverse]
    if not passes:
        passes = [({o.node: 1.0}, o.name) for o in trace.graph.outputs]
    several = len(passes) > 1
    return [
        Sweep(seeds, output, f"_{python_name(output)}" if several and output is not None else "")
        for seeds, output in passes
    ]


def adjoint_program(trace: Trace, runs: list[Sweep] | None = None) -> str:
    """The adjoint program of a trace (of its `sweeps`, unless `runs` names others), as text ending in a
    newline."""
    if getattr(trace, "is_arrays", False):
        from .arrays import adjoint as arrays  # an array program's: numpy code, one VJP per line

        return arrays.adjoint_program(trace)  # type: ignore[arg-type]
    return "".join(f"{line}\n" for line in _lines(trace, sweeps(trace) if runs is None else runs))


def _lines(trace: Trace, runs: list[Sweep]) -> Iterator[str]:
    graph = trace.graph
    body = list(_forward(trace))
    for sweep in runs:
        body += _reverse(trace, sweep)
    names = [name for sweep in runs for name in result_names(trace, sweep).values()]
    source = " ".join(line.strip() for line in graph.source.splitlines() if line.strip())
    yield f"# description: the adjoint program of {_short(source)}, written by adtrace"
    if trace.inputs:
        yield "# values: " + " ".join(f"{python_name(name)}={float(v)!r}" for name, v in trace.inputs.items())
    yield f"# outputs: {','.join(names)}"
    yield "#"
    yield "# Reverse mode as a program: the tape (the forward statements), then the reverse pass, one line per"
    yield "# chain-rule term (parent adjoint times local partial, summed with +=)."
    yield "# Trace it with adtrace -f FILE (the values and outputs above apply); run it in Python with the"
    yield f"# inputs ({', '.join(python_name(x) for x in graph.inputs) or 'none'}) defined first."
    if graph.is_program and (graph.branches or any(graph.loops(i) for i in graph.numbered)):
        yield "# It is the program of the path taken: loops unrolled as they ran at these values, the branches"
        yield "# that ran (an input nearby may take another path, with another adjoint program)."
    imports = sorted(_functions(body) - _BUILTINS - set(PYTHON_DEFS) | _constants(body))
    defs = [PYTHON_DEFS[name] for name in sorted(_functions(body) & set(PYTHON_DEFS))]
    if any("exp(" in d for d in defs) and "exp" not in imports:
        imports = sorted({*imports, "exp"})
    yield ""
    if imports:
        yield f"from math import {', '.join(imports)}"
    if defs:
        yield "# the primitives math lacks (adtrace has its own, and skips these lines)"
        yield from defs
    yield ""
    for line in body:
        yield line.text
    yield ""


class _Line(NamedTuple):
    text: str
    code: tuple[Expr, ...] = ()
    """The formulas in it, for the imports the program needs."""


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _name(label: str) -> str:
    return show(Sym(label), "python")


def _adjoint_label(label: str) -> str:
    """w3 → w̄3 (the macron on the letter, before the digits), as the trace prints it."""
    head = label.rstrip("0123456789-")
    return head + BAR + label[len(head) :]


def _adjoint(trace: Trace, i: int, sweep: Sweep) -> str:
    return _name(_adjoint_label(trace.label(i))) + sweep.suffix


def _operand(trace: Trace, i: int) -> Expr:
    """A node as an argument in code: its label, or a constant as code with no name in it (c = 2 may be
    reassigned later; its value at the time is what the node holds)."""
    node = trace.graph.nodes[i]
    if node.is_const:
        text = trace.graph.constant_code(i)
        return Const(node.const, text if text else repr(node.const))
    return Sym(_name(trace.label(i)))


def _forward(trace: Trace) -> Iterator[_Line]:
    graph = trace.graph
    yield _Line("# the tape: the forward statements")
    for i in graph.numbered:
        node = graph.nodes[i]
        label = _name(trace.label(i))
        if node.is_input:
            yield _Line(f"{label} = {python_name(node.name or '')}")
            continue
        formula = Apply(node.prim, tuple(_operand(trace, a) for a in node.args))
        where = [f"line {graph.line(i)}"] if graph.is_program and "\n" in graph.source.strip() else []
        where += [f"{lp.kind} iteration {lp.iteration}" for lp in graph.loops(i)]
        where += [graph.call(i) or ""] if graph.call(i) else []
        if node.name:
            where.append(node.name)
        comment = f"  # {', '.join(where)}" if where else ""
        yield _Line(f"{label} = {show(formula, 'python')}{comment}", (formula,))
    for out in graph.outputs:
        if python_name(out.name) != _name(trace.label(out.node)):
            yield _Line(f"{python_name(out.name)} = {_name(trace.label(out.node))}")


def _reverse(trace: Trace, sweep: Sweep) -> Iterator[_Line]:
    graph = trace.graph
    numbered = graph.numbered
    if sweep.output is not None:
        yield _Line("")
        yield _Line(f"# the reverse pass of {sweep.output}: adjoints from the output back to the inputs")
    else:
        seeds = ", ".join(f"{trace.label(j)} = {v:g}" for j, v in sweep.seeds.items())
        yield _Line("")
        yield _Line(f"# the reverse pass from the seed {seeds}: adjoints from the outputs back to the inputs")
    constant = dict.fromkeys(numbered, True)  # whether an adjoint is a number here, the same at every input
    for j in reversed(numbered):
        label = trace.label(j)
        edges = graph.parents[j]
        if j in sweep.seeds:
            seed = sweep.seeds[j]
            said = f"seed: {_adjoint_label(label)} = {seed:g}" + (", then its terms" if edges else "")
            yield _Line(f"{_adjoint(trace, j, sweep)} = {_number(seed)}  # {said}")
        elif edges:
            terms = " + ".join(f"{_adjoint_label(trace.label(p))}·∂{trace.label(p)}/∂{label}" for p, _ in edges)
            yield _Line(f"{_adjoint(trace, j, sweep)} = 0.0  # {_adjoint_label(label)} = {terms}, a term at a time")
        else:
            yield _Line(f"{_adjoint(trace, j, sweep)} = 0.0  # no parents: nothing computed from {label} reaches here")
        for p, pos in edges:
            line, partial = _term(trace, sweep, p, pos, j)
            if not constant[p] or symbols(partial):
                constant[j] = False
            yield line
    keep = "  # + 0*{x}: this derivative is a constant, and an output adtrace traces must depend on an input"
    for (name, result), i in zip(result_names(trace, sweep).items(), graph.inputs.values(), strict=True):
        if constant[i]:
            x = _name(trace.label(i))
            yield _Line(f"{result} = {name} + 0*{x}" + keep.format(x=x))
        else:
            yield _Line(f"{result} = {name}")


def _term(trace: Trace, sweep: Sweep, p: int, pos: int, j: int) -> tuple[_Line, Expr]:
    """The edge p → j as one statement: w̄j += w̄p·∂wp/∂wj, the partial from the scalar rule of p's primitive.

    This is where a rule is looked up per primitive and per edge: an array primitive (a matrix product, a
    sum over an axis) would give its vector–Jacobian product here instead, from a table of VJP rules beside
    the scalar partials, and the rest of the program (tape, seeds, accumulation, results) stays as it is."""
    graph = trace.graph
    parent = graph.nodes[p]
    mapping = {ARG_NAMES[m]: _operand(trace, a) for m, a in enumerate(parent.args)}
    partial = tidy(substitute(partial_rule(parent.prim, pos), mapping))
    adjoint: Expr = Sym(_adjoint(trace, p, sweep))
    if is_number(partial, 1.0):
        contribution = adjoint
    elif is_number(partial, -1.0):
        contribution = Apply(_NEG, (adjoint,))
    else:
        contribution = Apply(_MUL, (adjoint, partial))
    pl, jl = trace.label(p), trace.label(j)
    rule = parent.prim.rule
    comment = f"{_adjoint_label(jl)} += {_adjoint_label(pl)}·∂{pl}/∂{jl}, {rule}"
    line = f"{_adjoint(trace, j, sweep)} += {show(contribution, 'python')}  # {comment}"
    return _Line(line, (contribution,)), partial


def result_names(trace: Trace, sweep: Sweep) -> dict[str, str]:
    """Adjoint name → result name: dz_dx1 for ∂z/∂x1 (vjp_x1 for a seed vector's product)."""
    out = {}
    for name, i in trace.graph.inputs.items():
        x = python_name(name)
        result = f"d{python_name(sweep.output)}_d{x}" if sweep.output is not None else f"vjp_{x}"
        out[_adjoint(trace, i, sweep)] = result
    return out


def _number(value: float) -> str:
    return repr(float(value)) if math.isfinite(value) else "0.0"


def _functions(lines: list[_Line]) -> set[str]:
    """The Python names of the functions the program calls (inside a folded constant's text too: sin(0.5))."""
    text = " ".join(show(formula, "python") for line in lines for formula in line.code)
    names = {p.functions[0] for p in PRIMITIVES if p.functions and p.token is None}
    return {name for name in names if re.search(rf"(?<![\w.]){name}\(", text)}


def _constants(lines: list[_Line]) -> set[str]:
    """pi and e, where the program uses them (as a constant node's text, or inside a folded one)."""
    text = " ".join(show(formula, "python") for line in lines for formula in line.code)
    return {name for name in CONSTANTS if _uses(text, name)}


def _uses(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){name}(?![\w(])", text) is not None
