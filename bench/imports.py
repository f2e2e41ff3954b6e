"""What ``import diaglab`` costs a process that only logs (issue 20: a producer-only import path
under 0.3 s), against a bare interpreter and the notebook stack, each in a fresh process.

Usage: ``python -m bench.imports [--runs 9]``; prints a Markdown table for bench/RESULTS.md.
The modules each path loads are checked by ``tests/test_imports.py``; this measures the time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CASES = {
    "bare interpreter": "pass",
    "producer: dl.Logger, dl.instrument": "import diaglab as dl\ndl.Logger, dl.instrument",
    "queries: dl.drift": "import diaglab as dl\ndl.drift",
    "notebook: dl.DriftExplorer": "import diaglab as dl\ndl.DriftExplorer",
}


def _once(code: str) -> tuple[float, int]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(len(sys.modules)))"
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    return time.perf_counter() - started, int(out.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    rows = []
    for name, code in CASES.items():
        _once(code)  # warm the file cache: the first import after a change reads .pyc files
        times, modules = [], 0
        for _ in range(args.runs):
            t, modules = _once(code)
            times.append(t)
        rows.append((name, statistics.median(times), min(times), max(times), modules))
    bare = rows[0][1]
    print("| process | median s (wall, whole process) | min – max | minus bare | modules |")
    print("|---|---|---|---|---|")
    for name, med, lo, hi, modules in rows:
        print(f"| {name} | {med:.3f} | {lo:.3f} – {hi:.3f} | {med - bare:.3f} | {modules:,} |")
    print(json.dumps({name: round(med, 4) for name, med, *_ in rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
