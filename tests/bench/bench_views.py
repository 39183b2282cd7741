"""Benchmark the views against the engine, in the same rounds: how long a user waits for each view.

Run from the repository root, in the project's environment:

    python tests/bench/bench_views.py                       # 1k and 10k nodes, 3 rounds
    python tests/bench/bench_views.py --sizes 1000 10000 100000 --big 1000000 --rounds 3
    python tests/bench/bench_all.py                         # this, the engine and start-up: every figure

Not a test: pytest only collects test_*.py. For each size two generated sources of about that many nodes,
an expression (sums of products of sines: x and y are shared by every term, so their adjoints have n/4
terms) and a program (the same sum built by a `for` loop, one tape run per iteration), are traced once
per round by the engine (text → complete Trace, symbolic layer off, as it is off past 200 nodes), beside
the micrograd baseline of bench_engine.py (compile + forward + backward of the same expression) in the
same round; then each view prints the trace to a sink that keeps nothing: the complete terminal view
(`--max-rows 0`) without and with colour, the default elided view (`--max-rows 200`), the terminal-look
HTML (`--max-rows 200`), markdown, JSON (compact, and indented as the CLI writes up to 2,000 nodes) and
the web lesson. `--big` sizes time only the engine and compact JSON (1M nodes).

Times are medians over rounds; "× engine" is the median of per-round ratios. "peak MB" is tracemalloc's
peak while the view prints (one extra run, output discarded; sizes up to --peak-max): with the output
streamed it stays flat as the output grows.

Then, in rounds of their own: the symbolic layer at 100 and 200 nodes (the engine with `symbolic=True`
against the same engine without it), and `--step` on a 100-node trace (making and printing the screen
of each key press against printing that one screen alone).
"""

from __future__ import annotations

import argparse
import gc
import io
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import MICROGRAD, Value
from rich.console import Console

from adtrace.engine.pipeline import trace
from adtrace.engine.trace import Trace
from adtrace.views.export import iter_export
from adtrace.views.json import iter_json
from adtrace.views.markdown import iter_markdown
from adtrace.views.terminal import print_trace
from adtrace.views.web import iter_html

INPUTS = {"x": 0.5, "y": 2.0}


def expression(nodes: int) -> str:
    """About `nodes` numbered nodes: x and y shared by every term."""
    return " + ".join(f"sin(x*{k % 7 + 1})*y" for k in range(max(1, nodes // 4)))


def program(nodes: int) -> str:
    """The same sum as a loop: about `nodes` numbered nodes, one run of the tape per iteration."""
    return f"z = 0\nfor k in range({max(1, nodes // 4)}):\n    z = z + sin(x*(k % 7 + 1))*y\nz"


def chain(nodes: int) -> str:
    """About `nodes` numbered nodes where no node has more than two parents: each step's text is short, so a
    view that streams holds the same few kilobytes at any size (the expression's x and y have n/4 terms)."""
    return f"z = x*y\nfor k in range({max(1, nodes // 5)}):\n    z = sin(z)*0.9 + z*0.5\nz"


class Sink(io.TextIOBase):
    """A file that keeps nothing: the output's size is not the view's memory."""

    def write(self, text: str) -> int:
        return len(text)


def terminal(colour: bool, max_rows: int) -> Callable[[Trace], None]:
    def run(t: Trace) -> None:
        console = Console(
            file=Sink(),
            width=100,
            force_terminal=colour,
            color_system="truecolor" if colour else None,
            no_color=not colour,
            legacy_windows=False,
        )
        print_trace(console, t, max_rows=max_rows)

    return run


def pieces(make: Callable[[Trace], object]) -> Callable[[Trace], None]:
    def run(t: Trace) -> None:
        sink = Sink()
        for piece in make(t):  # type: ignore[attr-defined]
            sink.write(piece)

    return run


VIEWS: dict[str, Callable[[Trace], None]] = {
    "terminal, no colour": terminal(False, 0),
    "terminal, colour": terminal(True, 0),
    "terminal, --max-rows 200": terminal(False, 200),
    "terminal-html, 200 rows": pieces(lambda t: iter_export(t, "terminal-html", max_rows=200)),
    "markdown": pieces(iter_markdown),
    "JSON (compact)": pieces(lambda t: iter_json(t, None)),
    "JSON (indent 2)": pieces(lambda t: iter_json(t, 2)),
    "web lesson": pieces(iter_html),
}
BIG_VIEWS = ("JSON (compact)",)


def micrograd(source: str) -> object:
    """bench_engine's baseline: CPython compiles the expression, Value objects run forward and backward."""
    code = compile(source, "<bench>", "eval")
    inputs = {name: Value(v) for name, v in INPUTS.items()}
    out = eval(code, {"__builtins__": {}, **MICROGRAD}, inputs)
    out.backward()
    return inputs


def timed(run: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def peak(run: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    run()
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return top / 1e6


def views(kind: str, size: int, rounds: int, names: tuple[str, ...], peak_max: int) -> None:
    source = expression(size) if kind == "expression" else program(size)
    results: list[dict[str, float]] = []
    t = trace(source, **INPUTS, symbolic=False)
    baseline = kind == "expression"
    if baseline:  # a program (several statements) has no micrograd baseline here: bench_engine.py has one
        try:
            compile(source, "<bench>", "eval")
        except RecursionError:  # CPython's compiler recurses: bench_engine.py groups its sums for that reason
            baseline = False
            print(
                f"\n(micrograd left out at {size:,}: CPython cannot compile a flat sum this long; see bench_engine.py)"
            )
    for _ in range(rounds):
        times = {"engine": timed(lambda: trace(source, **INPUTS, symbolic=False))}
        if baseline:
            gc.disable()  # as bench_engine gives it; the engine pauses the collector itself
            try:
                times["micrograd"] = timed(lambda: micrograd(source))
            finally:
                gc.enable()
        for name in names:
            times[name] = timed(lambda view=VIEWS[name]: view(t))  # type: ignore[misc]
        results.append(times)
    nodes = len(t.graph.numbered)
    if skipped := [n for n in VIEWS if n not in names and n not in BIG_VIEWS]:
        print(f"\n(left out at this size: {', '.join(skipped)})")
    print(f"\n{kind}, {nodes:,} nodes")
    print(f"  {'view':<26} {'time':>10} {'× engine':>9} {'µs/node':>9} {'peak MB':>8}")
    for name in ["engine", *(["micrograd"] if baseline else []), *names]:
        median = statistics.median(r[name] for r in results)
        ratio = statistics.median(r[name] / r["engine"] for r in results)
        top = ""
        if name in VIEWS and nodes <= peak_max:
            top = f"{peak(lambda view=VIEWS[name]: view(t)):.1f}"  # type: ignore[misc]
        print(f"  {name:<26} {_t(median):>10} {ratio:>9.2f} {median / nodes * 1e6:>9.1f} {top:>8}")


def streaming(sizes: list[int]) -> None:
    """Peak memory of each view printing the chain program: flat as the output grows ten times if it streams."""
    print("\nstreaming: peak MB while each view prints a chain program (no node has more than two parents)")
    made = {size: trace(chain(size), **INPUTS, symbolic=False) for size in sizes}
    print(f"  {'view':<26} " + " ".join(f"{len(t.graph.numbered):>9,}" for t in made.values()))
    for name, view in VIEWS.items():
        print(f"  {name:<26} " + " ".join(f"{peak(lambda t=t, v=view: v(t)):>9.1f}" for t in made.values()))  # type: ignore[misc]


def symbolic_layer(rounds: int) -> None:
    print("\nsymbolic layer (engine with symbolic=True ÷ the same engine without it)")
    print(f"  {'nodes':>6} {'numeric':>10} {'symbolic':>10} {'× numeric':>10}")
    for size in (100, 196):  # up to 200 nodes, where the layer is on by default
        source = expression(size)
        results = []
        for _ in range(rounds * 5):
            results.append(
                {
                    "numeric": timed(lambda s=source: trace(s, **INPUTS, symbolic=False)),  # type: ignore[misc]
                    "symbolic": timed(lambda s=source: trace(s, **INPUTS, symbolic=True)),  # type: ignore[misc]
                }
            )
        nodes = len(trace(source, **INPUTS, symbolic=False).graph.numbered)
        n = statistics.median(r["numeric"] for r in results)
        s = statistics.median(r["symbolic"] for r in results)
        ratio = statistics.median(r["symbolic"] / r["numeric"] for r in results)
        print(f"  {nodes:>6} {_t(n):>10} {_t(s):>10} {ratio:>10.1f}")


def stepper(rounds: int) -> None:
    """Each key press of --step: make state k's screen and print it; against printing that same screen laid
    out from scratch once (its node table as a rich Table, not the lines the key press laid out)."""
    from adtrace.views.stepper import reveal_states, screen

    t = trace(expression(100), **INPUTS)
    start = time.perf_counter()
    states = reveal_states(t)
    setup = time.perf_counter() - start
    console = Console(file=Sink(), width=120, height=50, force_terminal=True, color_system="truecolor")
    keys = range(0, len(states), max(1, len(states) // 50))
    per_key, print_only = [], []
    for _ in range(rounds):
        for k in keys:
            start = time.perf_counter()
            shown = screen(t, states, k, width=120, height=50)
            console.print(shown)
            per_key.append(time.perf_counter() - start)
            fresh = _fresh(shown)
            start = time.perf_counter()
            console.print(fresh)
            print_only.append(time.perf_counter() - start)
    key, alone = statistics.median(per_key), statistics.median(print_only)
    print(f"\n--step on {len(t.graph.numbered)} nodes ({len(states)} states; made once at start: {_t(setup)})")
    print(f"  a key press (make + print its screen) {_t(key)}; printing that screen laid out once {_t(alone)}")
    print(f"  ratio ×{key / alone:.2f}")


def _fresh(renderable: object) -> object:
    """The screen with every pre-laid part (stepper.Lines) back as the rich renderable it was laid out from."""
    import copy

    from rich.console import Group
    from rich.table import Table

    from adtrace.views.stepper import Lines

    if isinstance(renderable, Lines):
        return renderable.renderable
    if isinstance(renderable, Group):
        return Group(*(_fresh(r) for r in renderable.renderables))  # type: ignore[arg-type]
    if isinstance(renderable, Table):
        table = copy.copy(renderable)
        table.columns = [copy.copy(c) for c in renderable.columns]
        for column in table.columns:
            column._cells = [_fresh(c) for c in column._cells]  # type: ignore[misc]
        return table
    return renderable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--big", type=int, nargs="*", default=[], help="sizes for the engine and compact JSON only")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--peak-max", type=int, default=10001, help="measure peak memory up to this many nodes")
    ap.add_argument("--programs", action="store_true", help="also time the loop programs")
    ap.add_argument("--no-extras", action="store_true", help="leave out the symbolic layer, --step and streaming")
    ap.add_argument("--streaming", type=int, nargs="*", default=[1000, 10000], help="chain sizes for peak memory")
    args = ap.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}; medians of {args.rounds} rounds")
    kinds = ["expression", "program"] if args.programs else ["expression"]
    for size in args.sizes:
        names = tuple(VIEWS)
        for kind in kinds:
            views(kind, size, args.rounds, names, args.peak_max)
    for size in args.big:
        views("expression", size, max(1, args.rounds), BIG_VIEWS, args.peak_max)
    if not args.no_extras:
        symbolic_layer(args.rounds)
        stepper(args.rounds)
        if args.streaming:
            streaming(args.streaming)


def _t(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}ms" if seconds < 10 else f"{seconds:.1f}s"


if __name__ == "__main__":
    main()
