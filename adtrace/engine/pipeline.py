"""text → graph → values → local partials → passes → Trace: the engine, start to end.

`trace()` is the Python API and what the CLI calls; it does all the
arithmetic, so everything downstream only formats.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ..errors import EvaluationError, InputValueError, OptionError
from ..expr import number
from ..language.parser import suggest
from ..language.values import coerce
from .forward import TOO_LARGE_NUMBER, forward, tangents
from .graph import MAX_DEPTH_DEFAULT, MAX_ITERATIONS_DEFAULT, MAX_NODES_DEFAULT, Graph, Limits
from .reverse import adjoints
from .tape import build
from .trace import Mode, Notation, ReversePass, TangentPass, Trace

if TYPE_CHECKING:
    from .arrays.trace import ArrayTrace

Seed = float | int | Mapping[str, float]
_P = ParamSpec("_P")
MAX_DEPTH_CAP = 5000
_R = TypeVar("_R")


def _without_cyclic_gc(engine: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run with the cyclic garbage collector paused: the engine allocates a few objects per node and
    makes no reference cycles, so the collector's repeated scans of a big graph would be pure overhead
    (measured: about 40% of the time at 100,000 nodes). Reference counting still frees everything."""

    @functools.wraps(engine)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return engine(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run


@_without_cyclic_gc
def trace(
    source: str,
    values: Mapping[str, float | int | str] | None = None,
    /,
    *,
    outputs: list[str] | None = None,
    seed: Seed | None = None,
    mode: Mode = "reverse",
    notation: Notation = "w",
    symbolic: bool | None = None,
    max_nodes: int = MAX_NODES_DEFAULT,
    max_iterations: int = MAX_ITERATIONS_DEFAULT,
    max_depth: int = MAX_DEPTH_DEFAULT,
    elements: bool = False,
    **named_values: float | int | str,
) -> Trace | ArrayTrace:
    """Trace reverse-mode (and optionally forward-mode) AD of `source` at the given inputs.

    >>> t = trace("x1*x2 + sin(x1)", x1=2, x2=3)
    >>> round(t.gradient["x1"], 4)
    2.5839

    Values may be numbers or constant expressions ("pi/4"). `seed` is a number
    (single output) or a mapping from output names (reverse mode) or input
    names (forward mode) to seeds.

    With no values at all the trace is symbolic (formulas, closed-form gradient,
    no numbers); with some values missing it is an error unless `symbolic=True`,
    which substitutes the values given and keeps the rest as symbols. When every
    value is given, `symbolic` shows (True) or hides (False) the symbolic layer;
    by default it is there for graphs of up to symbolic.MAX_NODES nodes.

    A program with control flow is run on the values (the branch and loop that ran is what is
    differentiated); `max_nodes`, `max_iterations` (of any one loop) and `max_depth` (of calls) stop
    one that runs away. Inputs a program declares (`a = Value(-4.0)`) take the declared value unless
    one is given.
    """
    if not isinstance(source, str):
        raise OptionError(f"the expression must be a string, not {type(source).__name__}")
    if mode not in ("reverse", "forward", "both"):
        raise OptionError(f"unknown mode '{mode}': use reverse, forward or both")
    if notation not in ("w", "v"):
        raise OptionError(f"unknown notation '{notation}': use w or v")
    if values is not None and not isinstance(values, Mapping):
        raise InputValueError(f"the values must be a mapping of names to numbers, not {type(values).__name__}")
    given = coerce({**(values or {}), **named_values})
    seed = _checked_seed(seed)
    if outputs is not None and (
        isinstance(outputs, str)
        or not isinstance(outputs, (list, tuple))
        or not all(isinstance(o, str) for o in outputs)
    ):
        raise OptionError(f"outputs must be a list of names (strings), not {outputs!r}"[:200])
    for option, limit in (("max_nodes", max_nodes), ("max_iterations", max_iterations), ("max_depth", max_depth)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise OptionError(f"{option} must be a whole number of at least 1, not {limit!r}")
    if max_depth > MAX_DEPTH_CAP:
        raise OptionError(f"max_depth can be at most {MAX_DEPTH_CAP} (each call level takes Python stack)")
    graph = build(
        source, list(outputs) if outputs is not None else None, given, Limits(max_nodes, max_iterations, max_depth)
    )
    given = {**{k: v for k, v in graph.declared.items() if k in graph.inputs}, **given}
    warnings = list(graph.warnings)
    if graph.arrays:
        from .arrays import elements as element_level  # numpy is loaded only for array programs
        from .arrays.trace import trace_arrays

        array_seed = None if elements else seed  # the element level reads its own seed (y[0]=1 or y=[1, 0])
        array_trace = trace_arrays(graph, given, array_seed, mode, notation, tuple(warnings))
        if not elements:
            return array_trace
        limit = element_level.ELEMENT_LIMIT if max_nodes == MAX_NODES_DEFAULT else max_nodes  # --max-nodes sets it
        graph, given = element_level.expand(graph, array_trace.values, limit)
        seed = _element_seeds(seed, graph)
        warnings = list(graph.warnings)
    elif elements:
        raise OptionError("--elements takes an array program apart into scalars: this program has no arrays")
    if any(name not in given for name in graph.inputs) and (symbolic or not given):
        known = _check_inputs(graph, given, warnings, allow_missing=True)
        return _symbolic_trace(graph, known, seed, mode, notation, tuple(warnings))
    inputs = _check_inputs(graph, given, warnings)
    vals, partials, notes = forward(graph, inputs, notation)
    reverse_seeds, forward_seeds = _split_seeds(graph, seed, mode)

    reverse: tuple[ReversePass, ...] = ()
    tangent_passes: tuple[TangentPass, ...] = ()
    unit_reverse = tuple(_reverse(graph, partials, {o.node: 1.0}, notation, o.name) for o in graph.outputs)
    if mode in ("reverse", "both"):
        reverse = (_reverse(graph, partials, reverse_seeds, notation),) if reverse_seeds is not None else unit_reverse
    if mode in ("forward", "both"):
        if forward_seeds is not None:
            tangent_passes = (_forward(graph, partials, forward_seeds, notation),)
        else:
            tangent_passes = tuple(
                _forward(graph, partials, {i: 1.0}, notation, name) for name, i in graph.inputs.items()
            )
    jacobian = {p.output: {name: p.adjoints[i] for name, i in graph.inputs.items()} for p in unit_reverse if p.output}
    layer, note = None, ""
    if symbolic is not False:
        from .symbolic import MAX_NODES  # the symbolic layer's code is loaded only for a trace that has one
        from .symbolic import build as build_symbolic

        if len(graph.numbered) <= MAX_NODES:
            try:
                layer = build_symbolic(graph, {}, [(p.seeds, p.output) for p in reverse], notation)
            except OverflowError:  # an exact number in a formula past a float's range, (1e15*x)^30: numbers still fine
                note = f"symbolic layer left out: a number in its formulas is {TOO_LARGE_NUMBER}"
        else:
            note = f"symbolic layer left out: the graph has {len(graph.numbered)} nodes (more than {MAX_NODES})"
    result = Trace(
        graph,
        inputs,
        vals,
        partials,
        notes,
        mode,
        reverse,
        tangent_passes,
        jacobian,
        notation,
        tuple(warnings),
        layer,
        note,
    )
    explained = [
        f"∂{o}/∂{x} is {number(f, 17)} by forward mode and {number(r, 17)} by reverse mode: that is rounding, "
        f"not a wrong derivative: the chain rule adds terms of total size {number(size)} that cancel, and the "
        "two modes add them in a different order"
        for o, x, f, r, size in (result.cancellations() if mode == "both" else [])
    ]
    return dataclasses.replace(result, warnings=(*warnings, *explained)) if explained else result


def _element_seeds(seed: Seed | None, graph: Graph) -> Seed | None:
    """An array seed on the element level: y=[1, 0] seeds y[0] with 1 and y[1] with 0."""
    if seed is None or not isinstance(seed, Mapping):
        return seed
    out: dict[str, float] = {}
    for name, value in seed.items():
        if isinstance(value, (int, float)):
            out[name] = float(value)
            continue
        import numpy as np

        from .arrays.elements import element_name

        for index, v in np.ndenumerate(np.asarray(value, dtype=float)):
            out[element_name(name, index)] = float(v)
    return out


def _symbolic_trace(
    graph: Graph, known: dict[str, float], seed: Seed | None, mode: Mode, notation: Notation, warnings: tuple[str, ...]
) -> Trace:
    """A trace with formulas instead of numbers: inputs without a value stay symbols."""
    from .symbolic import MAX_NODES, known_values
    from .symbolic import build as build_symbolic

    missing = ", ".join(name for name in graph.inputs if name not in known)
    if mode != "reverse":
        raise OptionError(f"--mode {mode} needs a value for every input (no value for {missing})")
    if len(graph.numbered) > MAX_NODES:
        raise OptionError(
            f"no value for {missing}: a symbolic trace is limited to {MAX_NODES} nodes "
            f"and this graph has {len(graph.numbered)}; give every input a value"
        )
    reverse_seeds, _ = _split_seeds(graph, seed, mode)
    if reverse_seeds is not None:
        passes: list[tuple[dict[int, float], str | None]] = [(reverse_seeds, None)]
    else:
        passes = [({o.node: 1.0}, o.name) for o in graph.outputs]
    try:
        layer = build_symbolic(graph, known, passes, notation)
    except OverflowError:
        out = graph.outputs[0].node
        raise EvaluationError(
            f"a number in the formulas is {TOO_LARGE_NUMBER}: give every input a value to trace it with numbers",
            graph.span(out),
            graph.source,
        ) from None
    values = known_values(graph, known)
    no_partials: list[tuple[float, ...]] = [()] * len(graph.nodes)
    return Trace(graph, known, values, no_partials, {}, mode, (), (), {}, notation, warnings, layer)


def _reverse(
    graph: Graph, partials: list[tuple[float, ...]], seeds: dict[int, float], notation: str, output: str | None = None
) -> ReversePass:
    adj, products = adjoints(graph, partials, seeds, notation)
    return ReversePass(seeds, adj, products, output)


def _forward(
    graph: Graph, partials: list[tuple[float, ...]], seeds: dict[int, float], notation: str, name: str | None = None
) -> TangentPass:
    tan, products = tangents(graph, partials, seeds, notation)
    return TangentPass(seeds, tan, products, name)


def _check_inputs(
    graph: Graph, given: dict[str, float], warnings: list[str], allow_missing: bool = False
) -> dict[str, float]:
    for name in given:
        if name in graph.assigned and name not in graph.inputs:
            raise InputValueError(f"'{name}' is assigned in the program, so it can't also be given a value")
    missing = [name for name in graph.inputs if name not in given]
    extra = [name for name in given if name not in graph.inputs]
    for name in extra:
        warnings.append(
            f"{name}={given[name]:g} is not used: '{name}' is not in the expression{suggest(name, missing)}"
        )
    if missing and not allow_missing:
        name = missing[0]
        hint = suggest(name, extra)
        listed = ", ".join(f"{n}=…" for n in missing)
        raise InputValueError(
            f"no value for input '{name}': add {listed} after the expression{hint} (or --symbolic to keep it a symbol)",
            graph.span(graph.inputs[name]),
            graph.source,
        )
    return {name: given[name] for name in graph.inputs if name in given}


def _split_seeds(
    graph: Graph, seed: Seed | None, mode: Mode
) -> tuple[dict[int, float] | None, dict[int, float] | None]:
    """User seeds → (reverse seeds on outputs, forward seeds on inputs); None means 'one pass per unit vector'."""
    if seed is None:
        return None, None
    if isinstance(seed, (int, float)):
        if mode == "forward":
            if len(graph.inputs) != 1:
                raise OptionError("a single-number seed needs a single input in forward mode: use --seed x1=1,x2=0")
            return None, {next(iter(graph.inputs.values())): _finite(seed)}
        if len(graph.outputs) != 1:
            raise OptionError("a single-number seed needs a single output: use --seed f=1,g=0")
        return {graph.outputs[0].node: _finite(seed)}, None
    outputs = {o.name: o.node for o in graph.outputs}
    reverse: dict[int, float] = {}
    forward: dict[int, float] = {}
    for name, value in seed.items():
        if name in outputs and mode != "forward":
            reverse[outputs[name]] = reverse.get(outputs[name], 0.0) + _finite(value, name)
        elif name in graph.inputs and mode != "reverse":
            forward[graph.inputs[name]] = _finite(value, name)
        elif name in graph.inputs:  # an input seed in reverse mode
            raise OptionError(f"--seed names the input '{name}': input seeds are tangents, for --mode forward or both")
        elif name in outputs:  # an output seed in forward mode
            raise OptionError(f"--seed names the output '{name}': output seeds are adjoints, for --mode reverse, both")
        else:
            wanted = "an output" if mode == "reverse" else "an input" if mode == "forward" else "an output or an input"
            pool = (
                list(outputs)
                if mode == "reverse"
                else list(graph.inputs)
                if mode == "forward"
                else [*outputs, *graph.inputs]
            )
            raise OptionError(f"--seed names '{name}', which is not {wanted}{suggest(name, pool)}")
    return (reverse or None), (forward or None)


def _checked_seed(seed: object) -> Seed | None:
    """A seed as the API takes it: None, a number, or a mapping from names (strings) to numbers."""
    if seed is None:
        return None
    if isinstance(seed, Mapping):
        for name, value in seed.items():
            if not isinstance(name, str):
                raise OptionError(f"a seed's names must be strings (output or input names), not {name!r}"[:200])
            if isinstance(value, (list, tuple)) or hasattr(value, "__array__"):
                continue  # an array's seed: the array trace checks its shape and values
            _seed_number(value, name)
        return seed
    _seed_number(seed)
    return seed  # type: ignore[return-value]


def _seed_number(value: object, name: str | None = None) -> None:
    what = f"the seed for {name}" if name else "the seed"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a bool" if isinstance(value, bool) else type(value).__name__
        also = "" if name else ", or a mapping of names to numbers"
        raise OptionError(f"{what} must be a number{also}, not {kind}")
    if isinstance(value, int) and abs(value) >= 2**1023:
        raise OptionError(f"{what} must be a finite number: it is too large for a floating-point number")


def _finite(seed: float, name: str | None = None) -> float:
    value = float(seed)
    if value - value != 0:
        raise OptionError(f"the seed{' for ' + name if name else ''} must be a finite number, not {value}")
    return value
