"""Every figure of the performance page in one command: the engine, the views and start-up, one after another.

Run from the repository root, in the project's environment:

    python tests/bench/bench_all.py            # the full run (about 40 minutes on two shared cores)
    python tests/bench/bench_all.py --quick    # 1k and 10k nodes, one round: a first look

Not a test: pytest only collects test_*.py. Each benchmark measures its baselines in the same rounds as
adtrace (bench_engine: compile()+eval, micrograd, PyTorch when installed; bench_views: the engine and the
micrograd baseline beside every view; bench_startup: `python -c "import rich.console, click"`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        runs = [
            ["bench_engine.py", "--repeat", "1", "--sizes", "1000,10000"],
            ["bench_views.py", "--rounds", "1", "--sizes", "1000", "10000", "--programs"],
            ["bench_startup.py", "--rounds", "3"],
        ]
    else:
        runs = [
            ["bench_engine.py", "--repeat", "3", "--sizes", "1000,10000,100000,1000000"],
            ["bench_views.py", "--rounds", "3", "--sizes", "1000", "10000", "--programs"],
            # one round at 100k and 1M: on two shared cores a complete 100k-node terminal view takes minutes
            ["bench_views.py", "--rounds", "1", "--sizes", "100000", "--big", "999996", "--no-extras"],
            ["bench_startup.py", "--rounds", "11"],
        ]
    for run in runs:
        print(f"\n$ python tests/bench/{' '.join(run)}", flush=True)
        subprocess.run([sys.executable, str(HERE / run[0]), *run[1:]], check=True)


if __name__ == "__main__":
    main()
