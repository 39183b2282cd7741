"""Benchmark the engine (text → complete Trace, no rendering) against baselines measured in the same run.

Run from the repository root, in the project's environment:

    python tests/bench/bench_engine.py              # 1k, 10k, 100k and 1M nodes
    python tests/bench/bench_engine.py --sizes 1000,10000 --repeat 3

Not a test: pytest only collects test_*.py, so the default test run never picks this up.

For each size it prints adtrace's parse (text → Graph), forward (values and local partials) and reverse
(adjoints and per-edge products) times, the medians of several runs, then the whole engine (`pipeline.trace`),
the reverse/forward ratio and the peak memory per node, beside:

* `compile()`: CPython's own C parser and compiler on the same expression, then evaluation with `math`
  (the fastest plain-Python forward evaluation; no derivatives);
* micrograd: a minimal operator-overloading `Value` class (below), given its best chance: CPython's
  `compile()` parses, the cyclic garbage collector is off, the topological sort is iterative, `__slots__`;
* Karpathy's own micrograd `engine.py` (karpathy_engine.py: as published, with the benchmark's other
  primitives added in its style), compile + forward + backward;

* torch: PyTorch autograd on 0-d CPU tensors, when PyTorch is installed.

Every timing runs with the cyclic garbage collector paused (the engine pauses it itself). Each round runs
every measurement once, in turn, so a slow spell on a shared machine hits the engine and the baselines
alike; ratios are the medians of the per-round ratios.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adtrace.engine.forward import forward
from adtrace.engine.pipeline import trace
from adtrace.engine.reverse import adjoints
from adtrace.engine.tape import build

sys.path.insert(0, str(Path(__file__).resolve().parent))
import karpathy_engine  # beside this file, not a package

INPUTS = {"x1": 0.5, "x2": 1.5, "x3": 0.7, "x4": -0.3}
# Valid both as adtrace and as Python (with sin, exp, … bound to functions of the right library).
TERMS = (
    "x1*x2",
    "sin(x{k})",
    "x3*exp(x4/3)",
    "tanh(x2 - x1)",
    "log(1 + x{k}**2)",
    "sqrt(1 + x4*x4)/x1",
    "x{k}*x{k} - cos(x{k})",
)
GROUP = 64


def expression(nodes: int) -> str:
    """About `nodes` graph nodes: terms summed in groups of 64, groups of groups, … (CPython's compiler
    recurses, so a flat chain of a million additions is more than it can take; this stays shallow)."""
    terms: list[str] = []
    count = 0
    while count < nodes:
        k = len(terms)
        terms.append(TERMS[k % len(TERMS)].format(k=k % 4 + 1))
        count += 4
    while len(terms) > 1:
        terms = ["(" + " + ".join(terms[i : i + GROUP]) + ")" for i in range(0, len(terms), GROUP)]
    return terms[0]


# -- micrograd-style baseline ---------------------------------------------------


class Value:
    """A scalar with its gradient and the closure that pushes it back (micrograd, with __slots__)."""

    __slots__ = ("_backward", "_prev", "data", "grad")

    def __init__(self, data: float, prev: tuple[Value, ...] = ()):
        self.data = data
        self.grad = 0.0
        self._prev = prev
        self._backward: Callable[[], None] = _nothing

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    __radd__ = __add__

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    __rmul__ = __mul__

    def __pow__(self, k: float) -> Value:
        out = Value(self.data**k, (self,))

        def _backward() -> None:
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Any) -> Value:
        return self + (-other)

    def __truediv__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1.0

    def backward(self) -> None:
        topo: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                topo.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()


def _nothing() -> None:
    pass


def _unary(f: Callable[[float], float], df: Callable[[float, float], float]) -> Callable[[Value], Value]:
    def apply(x: Value) -> Value:
        out = Value(f(x.data), (x,))

        def _backward() -> None:
            x.grad += df(x.data, out.data) * out.grad

        out._backward = _backward
        return out

    return apply


MICROGRAD = {
    "sin": _unary(math.sin, lambda a, ans: math.cos(a)),
    "cos": _unary(math.cos, lambda a, ans: -math.sin(a)),
    "exp": _unary(math.exp, lambda a, ans: ans),
    "log": _unary(math.log, lambda a, ans: 1.0 / a),
    "sqrt": _unary(math.sqrt, lambda a, ans: 0.5 / ans),
    "tanh": _unary(math.tanh, lambda a, ans: 1.0 - ans * ans),
}
MATH = {name: getattr(math, name) for name in MICROGRAD}


# -- measurements -----------------------------------------------------------------


def interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> list[dict[str, float]]:
    """Wall times of every run, `repeat` rounds, each round running every measurement once in turn: a
    slow spell on a shared machine then hits the engine and its baselines alike, and the ratios, taken
    per round, stay fair. The cyclic GC is paused while timing (the engine pauses it itself, and the
    micrograd baseline is given the same)."""
    rounds = []
    for _ in range(repeat):
        times: dict[str, float] = {}
        for name, run in runs.items():
            gc.collect()
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                start = time.perf_counter()
                result = run()
                times[name] = time.perf_counter() - start
            finally:
                if was_enabled:
                    gc.enable()
            del result
        rounds.append(times)
    return rounds


def median(rounds: list[dict[str, float]], key: Callable[[dict[str, float]], float]) -> float:
    return statistics.median(key(r) for r in rounds)


def measurements(source: str, repeat: int, with_torch: bool) -> tuple[int, list[dict[str, float]]]:
    graph = build(source)
    partials = forward(graph, INPUTS).partials
    seeds = {graph.outputs[0].node: 1.0}
    code = compile(source, "<bench>", "eval")
    namespace = {"__builtins__": {}, **MICROGRAD}

    def forward_backward() -> object:
        inputs = {name: Value(v) for name, v in INPUTS.items()}
        out = eval(code, namespace, inputs)
        out.backward()
        return out

    runs: dict[str, Callable[[], object]] = {
        "parse": lambda: build(source),
        "forward": lambda: forward(graph, INPUTS),
        "reverse": lambda: adjoints(graph, partials, seeds),
        "engine": lambda: trace(source, INPUTS),
        "compile": lambda: compile_eval(source),
        "mg f+b": forward_backward,
        "mg total": lambda: micrograd(source),
        "kp total": lambda: karpathy(source),
    }
    torch_run = torch_total(source) if with_torch else None
    if torch_run is not None:
        runs["torch"] = torch_run
    return len(graph.nodes), interleaved(runs, repeat)


def peak_memory(source: str) -> int:
    gc.collect()
    tracemalloc.start()
    result = trace(source, INPUTS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak


def compile_eval(source: str) -> float:
    code = compile(source, "<bench>", "eval")
    return float(eval(code, {"__builtins__": {}, **MATH}, dict(INPUTS)))


def micrograd(source: str) -> dict[str, float]:
    code = compile(source, "<bench>", "eval")
    inputs = {name: Value(v) for name, v in INPUTS.items()}
    out = eval(code, {"__builtins__": {}, **MICROGRAD}, inputs)
    out.backward()
    return {name: v.grad for name, v in inputs.items()}


def karpathy(source: str) -> dict[str, float]:
    """Karpathy's engine.py, the same job: compile, forward, backward."""
    code = compile(source, "<bench>", "eval")
    inputs = {name: karpathy_engine.Value(v) for name, v in INPUTS.items()}
    out = eval(code, {"__builtins__": {}, **karpathy_engine.FUNCTIONS}, inputs)
    out.backward()
    return {name: v.grad for name, v in inputs.items()}


def torch_total(source: str) -> Callable[[], object] | None:
    """PyTorch's whole job on the same text, or None when PyTorch is not installed."""
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")  # torch without numpy says so
    try:
        import torch
    except ImportError:
        return None
    names = {name: getattr(torch, name) for name in MICROGRAD}

    def run() -> object:
        code = compile(source, "<bench>", "eval")
        inputs = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in INPUTS.items()}
        out = eval(code, {"__builtins__": {}, **names}, inputs)
        out.backward()
        return [t.grad for t in inputs.values()]

    return run


def check_agreement(source: str) -> None:
    """The engine and the micrograd baseline must compute the same gradient, or the timing means nothing."""
    ours = trace(source, INPUTS).gradient
    for baseline, theirs in (("micrograd", micrograd(source)), ("Karpathy's engine.py", karpathy(source))):
        for name in INPUTS:
            if not math.isclose(ours[name], theirs[name], rel_tol=1e-9, abs_tol=1e-9):
                raise SystemExit(f"gradients disagree on {name}: adtrace {ours[name]!r}, {baseline} {theirs[name]!r}")
    gc.collect()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated node counts")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (median); at least 1")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch baseline even when installed")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {_cores()} cores; "
        f"medians of {args.repeat} interleaved rounds (ratios: medians of per-round ratios)"
    )
    print()
    header = (
        f"{'nodes':>9} {'parse':>9} {'forward':>9} {'reverse':>9} {'rev/fwd':>7} {'engine':>9} {'µs/node':>7} "
        f"{'B/node':>6} | {'compile':>9} {'mg f+b':>9} {'mg total':>9} {'kp total':>9} {'torch':>9} | "
        f"{'eng/mg':>6} {'eng/kp':>6} {'mg/(f+r)':>8} {'torch/eng':>9}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        source = expression(size)
        repeat = max(1, args.repeat if size < 1_000_000 else min(args.repeat, 3))
        check_agreement(source)
        nodes, rounds = measurements(source, repeat, not args.no_torch)
        memory = peak_memory(source)

        def m(name: str, rounds: list[dict[str, float]] = rounds) -> float:
            return median(rounds, lambda r: r[name])

        th = m("torch") if "torch" in rounds[0] else None
        torch_ratio = median(rounds, lambda r: r["torch"] / r["engine"]) if th is not None else float("nan")
        print(
            f"{nodes:>9,} {_t(m('parse'))} {_t(m('forward'))} {_t(m('reverse'))} "
            f"{median(rounds, lambda r: r['reverse'] / r['forward']):>7.2f} {_t(m('engine'))} "
            f"{m('engine') / nodes * 1e6:>7.2f} {memory / nodes:>6.0f} | "
            f"{_t(m('compile'))} {_t(m('mg f+b'))} {_t(m('mg total'))} {_t(m('kp total'))} "
            f"{_t(th) if th is not None else '        –'} | "
            f"{median(rounds, lambda r: r['engine'] / r['mg total']):>6.2f} "
            f"{median(rounds, lambda r: r['engine'] / r['kp total']):>6.2f} "
            f"{median(rounds, lambda r: r['mg f+b'] / (r['forward'] + r['reverse'])):>8.2f} "
            f"{torch_ratio:>9.2f}",
            flush=True,
        )
    print()
    print("parse = text → Graph (lexer, parser, lowering); forward = values + local partials; reverse = adjoints and")
    print("per-edge products; engine = pipeline.trace, text → complete Trace (what the CLI computes before rendering).")
    print("compile = CPython compile() + eval with math (forward only); mg = the micrograd-style Value class:")
    print("f+b = forward + backward on pre-compiled code, total = compile + forward + backward; kp total = the same")
    print("with Karpathy's own engine.py; torch = compile + 0-d tensor forward + backward. eng/mg, eng/kp < 1: the")
    print("engine beats micrograd (slots variant, Karpathy's own) end to end; mg/(f+r) > 1: our")
    print("forward + reverse beats micrograd's forward + backward by that factor; torch/eng > 1: we beat PyTorch.")


def _t(seconds: float) -> str:
    return f"{seconds * 1e3:>7.1f}ms" if seconds < 10 else f"{seconds:>7.2f}s "


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
