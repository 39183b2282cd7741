"""Benchmark process start: `adtrace` on the seed example against `python -c "import rich.console, click"`.

Run from the repository root, in the project's environment:

    python tests/bench/bench_startup.py              # 21 interleaved rounds
    python tests/bench/bench_startup.py --rounds 41

Not a test: pytest only collects test_*.py. Each round runs every command once, in turn, so a slow spell
on a shared machine hits the baseline and adtrace alike; ratios are medians of per-round ratios.

adtrace's modules are byte-compiled first (`compileall`), as `pip install` does for rich and click: with
PYTHONDONTWRITEBYTECODE set and an editable install, every run would otherwise compile adtrace from source
and the benchmark would time the compiler.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ["x1*x2 + sin(x1)", "x1=2", "x2=3"]
ADTRACE = str(Path(sys.executable).parent / "adtrace")  # the installed command, beside this Python
COMMANDS = {
    "baseline": [sys.executable, "-c", "import rich.console, click"],
    "seed": [ADTRACE, *SEED],
    "seed --format json -q": [ADTRACE, *SEED, "--format", "json", "-q"],
    "seed -q (engine only)": [ADTRACE, *SEED, "-q"],
    "--help": [ADTRACE, "--help"],
    "--version": [ADTRACE, "--version"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=21, help="interleaved rounds (median); at least 1")
    args = ap.parse_args()
    compileall.compile_dir(ROOT / "adtrace", quiet=1)
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rounds: list[dict[str, float]] = []
    for _ in range(max(1, args.rounds) + 1):
        times = {}
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name] = time.perf_counter() - start
        rounds.append(times)
    rounds = rounds[1:]  # the first round warms the file cache
    print(f"Python {platform.python_version()} on {platform.machine()}; medians of {len(rounds)} interleaved rounds")
    print()
    print(f"{'command':<24} {'time':>9} {'× baseline':>10}")
    for name in COMMANDS:
        ms = statistics.median(r[name] for r in rounds) * 1e3
        ratio = statistics.median(r[name] / r["baseline"] for r in rounds)
        print(f"{name:<24} {ms:>7.1f}ms {ratio:>10.2f}")
    print()
    print('baseline = python -c "import rich.console, click"; seed = adtrace ' + " ".join(repr(a) for a in SEED))


if __name__ == "__main__":
    main()
