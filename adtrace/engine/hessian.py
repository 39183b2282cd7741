"""Second derivatives by forward-over-reverse: forward mode over the adjoint program.

The adjoint program (engine/adjoint.py) computes the gradient; it is a program like any other, so
adtrace traces it, and one forward-mode (tangent) pass over it, seeded with ẋj = 1, gives the derivative of
every gradient component by xj: a column of the Hessian. n inputs, n tangent passes. A Hessian–vector
product H·v is one tangent pass seeded with v, at a small multiple of the cost of one gradient. JAX
teaches the same as jvp(grad(f)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from ..errors import OptionError
from ..expr import Expr
from ..language.parser import suggest
from .adjoint import Sweep, adjoint_program, result_names, sweeps
from .code import python_name
from .trace import Trace

MAX_INPUTS = 50
"""A Hessian takes one traced tangent pass per input: past this many inputs, ask for a Hessian–vector product."""


class Hessian(NamedTuple):
    output: str
    """What is differentiated twice: an output's name, or 'seedᵀ·outputs' for a seed vector."""
    program: str
    """The adjoint program that was traced."""
    trace: Trace
    """The trace of the adjoint program in forward mode: one tangent pass per input (or one for the HVP)."""
    gradient: dict[str, str]
    """Input name → the adjoint program's name for ∂output/∂input (dz_dx1)."""
    matrix: dict[str, dict[str, float]] | None
    """Input → input → ∂²output/∂xi∂xj (None for a Hessian–vector product alone)."""
    vector: dict[str, float] | None
    """The vector v of a Hessian–vector product, or None."""
    hvp: dict[str, float] | None
    """Input → (H·v) for that input's row, or None."""
    asymmetry: float
    """The largest |H_ij - H_ji| (0 for an HVP)."""
    symmetric: bool
    """Whether H equals its transpose up to rounding."""
    closed: dict[str, dict[str, Expr]] | None
    """Input → input → the second derivative in closed form, where the symbolic layer is there."""
    where: dict[str, list[tuple[str, Expr]]] | None = None
    """Input xi → the named intermediates its row of `closed` uses ('where ū9 = …'), in let order: each row
    is the Jacobian row of one gradient entry, a reverse pass of its own, so its names are its own."""


def hessian(trace: Trace, vector: Mapping[str, float] | None = None, *, symbolic: bool | None = None) -> Hessian:
    """The Hessian (or with `vector`, one Hessian–vector product) of a trace's one scalar output."""
    runs = sweeps(trace)
    if len(runs) != 1:
        names = ", ".join(o.name for o in trace.graph.outputs)
        raise OptionError(
            f"--hessian needs one scalar output, and this trace has {len(runs)} ({names}): pick one with "
            "--outputs, or make a scalar of them with a seed (--seed f=1,g=0), or ask for the Hessian of each "
            "output with --format json"
        )
    return _one(trace, runs[0], vector, symbolic)


def hessians(trace: Trace, *, symbolic: bool | None = None) -> dict[str, Hessian]:
    """Output name → its Hessian, for every output of the trace (the JSON's "hessians")."""
    return {o.name: _one(trace, Sweep({o.node: 1.0}, o.name, ""), None, symbolic) for o in trace.graph.outputs}


def check_vector(trace: Trace, vector: Mapping[str, float]) -> dict[str, float]:
    """A Hessian–vector product's v: one number per input, missing ones 0."""
    inputs = trace.graph.inputs
    for name, value in vector.items():
        if name not in inputs:
            raise OptionError(f"--hvp names '{name}', which is not an input{suggest(name, list(inputs))}")
        if not math.isfinite(value):
            raise OptionError(f"--hvp: the entry for {name} must be a finite number, not {value}")
    return {name: float(vector.get(name, 0.0)) for name in inputs}


def _one(trace: Trace, sweep: Sweep, vector: Mapping[str, float] | None, symbolic: bool | None) -> Hessian:
    from .pipeline import trace as run  # pipeline imports this module's callers, not the other way

    if trace.symbolic_only:
        raise OptionError("--hessian needs a value for every input (the tangent passes are numbers)")
    inputs = trace.graph.inputs
    v = check_vector(trace, vector) if vector is not None else None
    if v is None and len(inputs) > MAX_INPUTS:
        raise OptionError(
            f"--hessian traces one tangent pass per input, and there are {len(inputs)} (at most {MAX_INPUTS}): "
            "ask for one Hessian–vector product with --hvp"
        )
    program = adjoint_program(trace, [sweep])
    names = result_names(trace, sweep)
    gradient = dict(zip(inputs, names.values(), strict=True))
    py = {x: python_name(x) for x in inputs}  # x[0] → x_0: an element's name in the adjoint program
    seed = {py[x]: value for x, value in v.items()} if v is not None else None
    found = run(
        program,
        {py[x]: value for x, value in trace.inputs.items()},
        outputs=list(gradient.values()),
        mode="forward",
        seed=seed,
        symbolic=symbolic,
        max_nodes=max(1_000_000, 8 * len(trace.graph.nodes)),
    )
    assert isinstance(found, Trace)  # the adjoint program of a scalar trace is a scalar program
    output = sweep.output if sweep.output is not None else "seedᵀ·outputs"
    out_nodes = {x: found.graph.outputs[k].node for k, x in enumerate(inputs)}
    if v is not None:
        tangents = found.forward[0].tangents
        hvp = {x: tangents[out_nodes[x]] for x in inputs}
        return Hessian(output, program, found, gradient, None, v, hvp, 0.0, True, *_closed(found, gradient, py))
    columns = {p.input: p.tangents for p in found.forward}
    matrix = {xi: {xj: columns[py[xj]][out_nodes[xi]] for xj in inputs} for xi in inputs}
    asymmetry = max((abs(matrix[a][b] - matrix[b][a]) for a in inputs for b in inputs), default=0.0)
    scale = max((abs(h) for row in matrix.values() for h in row.values()), default=0.0)
    symmetric = asymmetry <= 1e-9 * max(scale, 1e-300) or asymmetry == 0.0
    closed = _closed(found, gradient, py)
    return Hessian(output, program, found, gradient, matrix, None, None, asymmetry, symmetric, *closed)


def _closed(
    found: Trace, gradient: dict[str, str], py: dict[str, str]
) -> tuple[dict[str, dict[str, Expr]] | None, dict[str, list[tuple[str, Expr]]] | None]:
    """The Hessian in closed form: the symbolic layer's Jacobian of the gradient (row xi: ∂/∂xj of ∂z/∂xi),
    with each row's named intermediates."""
    sym = found.symbolic
    if sym is None:
        return None, None
    jacobian = sym.jacobian
    closed = {x: {xj: jacobian[name][py[xj]] for xj in gradient} for x, name in gradient.items()}
    where = {x: sym.bindings(closed[x].values(), sym.units[name]) for x, name in gradient.items()}
    return closed, where
