"""Benchmark the views against the engine, in the same rounds: how long a user waits for each view.

Run from the repository root, in the project's environment:

    python tests/bench/bench_views.py                 # 1k and 10k nodes, 3 rounds
    python tests/bench/bench_views.py --sizes 1000 10000 100000 --rounds 3

Not a test: pytest only collects test_*.py. For each size a generated expression (sums of products of
sines, so nodes have one to many parents) is traced once per round by the engine (text → complete Trace,
symbolic layer off, as it is off past 200 nodes), then each view prints it to memory: the complete
terminal view (`--max-rows 0`) without and with colour, the default elided view (`--max-rows 200`),
markdown, and JSON (compact). Times are medians over rounds; "× engine" is the median of per-round ratios.
Peak memory of each view is measured once (tracemalloc) to show it does not grow with the output.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

from rich.console import Console

from adtrace.engine.pipeline import trace
from adtrace.engine.trace import Trace
from adtrace.views.json import to_json
from adtrace.views.markdown import iter_markdown
from adtrace.views.terminal import print_trace


def program(nodes: int) -> str:
    """About `nodes` numbered nodes: x and y shared by every term."""
    return " + ".join(f"sin(x*{k % 7 + 1})*y" for k in range(max(1, nodes // 4)))


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


def markdown(t: Trace) -> None:
    sink = Sink()
    for piece in iter_markdown(t):
        sink.write(piece)


def json_view(t: Trace) -> None:
    to_json(t, indent=None)


VIEWS: dict[str, Callable[[Trace], None]] = {
    "terminal, no colour": terminal(False, 0),
    "terminal, colour": terminal(True, 0),
    "terminal, --max-rows 200": terminal(False, 200),
    "markdown": markdown,
    "JSON (compact)": json_view,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}; medians of {args.rounds} rounds")
    for size in args.sizes:
        source = program(size)
        rounds: list[dict[str, float]] = []
        for _ in range(args.rounds):
            times: dict[str, float] = {}
            start = time.perf_counter()
            t = trace(source, x=0.5, y=2.0, symbolic=False)
            times["engine"] = time.perf_counter() - start
            for name, view in VIEWS.items():
                start = time.perf_counter()
                view(t)
                times[name] = time.perf_counter() - start
            rounds.append(times)
        nodes = len(t.graph.numbered)
        print(f"\n{nodes:,} nodes")
        print(f"  {'view':<26} {'time':>10} {'× engine':>9} {'µs/node':>9} {'peak MB':>8}")
        for name in ["engine", *VIEWS]:
            median = statistics.median(r[name] for r in rounds)
            ratio = statistics.median(r[name] / r["engine"] for r in rounds)
            peak = ""
            if name != "engine":
                tracemalloc.start()
                VIEWS[name](t)
                peak = f"{tracemalloc.get_traced_memory()[1] / 1e6:.1f}"
                tracemalloc.stop()
            print(f"  {name:<26} {median * 1e3:>8.1f}ms {ratio:>9.1f} {median / nodes * 1e6:>9.1f} {peak:>8}")


if __name__ == "__main__":
    main()
