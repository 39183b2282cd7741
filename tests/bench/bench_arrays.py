"""Benchmark the array level against PyTorch's CPU autograd on the same sizes, measured in the same run.

    python tests/bench/bench_arrays.py                # a 784-128-10 MLP on one input, 11 rounds
    python tests/bench/bench_arrays.py --rounds 21 --sizes 784,128,10

Not a test: pytest only collects test_*.py. PyTorch is optional (pip install torch==2.13.0: the CPU build;
an unpinned install pulls a CUDA build of several GB); without it only adtrace's own figures print.

What is timed, per round, each once in turn (so a slow spell on a shared machine hits both alike):
* adtrace: `adtrace.engine.pipeline.trace` of the program below at the array level: text → tokens → the
  array tape (interpreting the program, numpy values), one forward replay, one reverse sweep of VJPs,
  the gradient of every input. No view.
* adtrace views: the array lesson printed to a file (terminal view, no colour) and the JSON.
* torch: the same network with `requires_grad` leaves, forward and `backward()`, gradients read.
The figure the issue sets is adtrace ÷ torch (target: at most 5×), the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import gc
import io
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adtrace.engine.pipeline import trace

PROGRAM = """
h = relu(W1 @ x + b1)
out = W2 @ h + b2
loss = np.mean((out - y)**2)
"""


def _inputs(sizes: tuple[int, int, int]) -> dict[str, Any]:
    n_in, n_hidden, n_out = sizes
    rng = np.random.default_rng(0)
    return {
        "W1": rng.normal(0, 0.05, (n_hidden, n_in)),
        "b1": rng.normal(0, 0.05, n_hidden),
        "W2": rng.normal(0, 0.05, (n_out, n_hidden)),
        "b2": rng.normal(0, 0.05, n_out),
        "x": rng.uniform(0, 1, n_in),
        "y": rng.uniform(0, 1, n_out),
    }


def _adtrace(values: dict[str, Any]) -> Callable[[], Any]:
    return lambda: trace(PROGRAM, values).gradient


def _views(values: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[], Any]]:
    from rich.console import Console

    from adtrace.api_arrays import ArrayTrace

    found = ArrayTrace.of(trace(PROGRAM, values))  # type: ignore[arg-type]

    def terminal() -> None:
        console = Console(file=io.StringIO(), width=100, no_color=True, color_system=None)
        found.print_to(console)

    return terminal, found.to_json


def _torch(values: dict[str, Any]) -> Callable[[], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    tensors = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}

    def run() -> Any:
        W1, b1, W2, b2 = (tensors[k].clone().requires_grad_(True) for k in ("W1", "b1", "W2", "b2"))
        x, y = tensors["x"].clone().requires_grad_(True), tensors["y"].clone().requires_grad_(True)
        h = torch.relu(W1 @ x + b1)
        loss = torch.mean((W2 @ h + b2 - y) ** 2)
        loss.backward()
        return [t.grad for t in (W1, b1, W2, b2, x, y)]

    return run


def _time(f: Callable[[], Any], inner: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(inner):
            f()
        return (time.perf_counter() - start) / inner
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--sizes", default="784,128,10", help="inputs,hidden,outputs of the MLP")
    parser.add_argument("--inner", type=int, default=20, help="runs per timing")
    args = parser.parse_args()
    n_in, n_hidden, n_out = (int(s) for s in args.sizes.split(","))
    values = _inputs((n_in, n_hidden, n_out))
    ours = _adtrace(values)
    theirs = _torch(values)
    terminal, json_view = _views(values)
    if theirs is not None:  # the same gradient, or the comparison means nothing
        import torch

        grads = trace(PROGRAM, values).gradient
        for name, grad in zip(("W1", "b1", "W2", "b2", "x", "y"), theirs(), strict=True):
            assert np.allclose(grads[name], grad.numpy(), rtol=1e-10, atol=1e-14), name
        version = torch.__version__
    else:
        version = "not installed"
    for f in (ours, terminal, json_view, *(() if theirs is None else (theirs,))):
        f()  # warm up: imports, caches
    rows: dict[str, list[float]] = {"adtrace": [], "terminal": [], "json": [], "torch": [], "ratio": []}
    for _ in range(args.rounds):
        a = _time(ours, args.inner)
        rows["adtrace"].append(a)
        rows["terminal"].append(_time(terminal, max(1, args.inner // 10)))
        rows["json"].append(_time(json_view, max(1, args.inner // 10)))
        if theirs is not None:
            t = _time(theirs, args.inner)
            rows["torch"].append(t)
            rows["ratio"].append(a / t)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, torch {version}")
    print(f"MLP {n_in}-{n_hidden}-{n_out}, one input; medians of {args.rounds} rounds of {args.inner} runs")
    med = {k: statistics.median(v) for k, v in rows.items() if v}
    print(f"  adtrace array level (text → gradient): {med['adtrace'] * 1e3:8.3f} ms")
    print(f"  terminal view of it (no colour):       {med['terminal'] * 1e3:8.3f} ms")
    print(f"  JSON of it:                            {med['json'] * 1e3:8.3f} ms")
    if "torch" in med:
        print(f"  torch CPU autograd (forward+backward): {med['torch'] * 1e3:8.3f} ms")
        print(f"  adtrace ÷ torch: {med['ratio']:.2f}× (target ≤ 5×)")


if __name__ == "__main__":
    main()
