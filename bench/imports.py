"""What ``import diaglab`` costs a process that only logs (issue 20: a producer-only import path
under 0.3 s), against a bare interpreter and the notebook stack, each in a fresh process.

Usage: ``python -m bench.imports [--runs 9]``; prints a Markdown table for bench/RESULTS.md.
The modules each path loads are checked by ``tests/test_imports.py``; this measures the time.
"""

from __future__ import annotations

import argparse
import json
import resource
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


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _once(code: str) -> tuple[float, float, int]:
    """Wall and CPU seconds (user + system) of one fresh process, and the modules it loaded."""
    probe = f"import sys, json\n{code}\nprint(json.dumps(len(sys.modules)))"
    cpu, started = _cpu(), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    wall = time.perf_counter() - started
    return wall, _cpu() - cpu, int(out.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    rows = []
    for name, code in CASES.items():
        _once(code)  # warm the file cache: the first import after a change reads .pyc files
        walls, cpus, modules = [], [], 0
        for _ in range(args.runs):
            wall, cpu, modules = _once(code)
            walls.append(wall)
            cpus.append(cpu)
        rows.append((name, statistics.median(walls), statistics.median(cpus), modules))
    bare_cpu = rows[0][2]
    print("| process | wall s (median) | CPU s (median) | CPU minus bare | modules |")
    print("|---|---|---|---|---|")
    for name, wall, cpu, modules in rows:
        print(f"| {name} | {wall:.3f} | {cpu:.3f} | {cpu - bare_cpu:.3f} | {modules:,} |")
    print(json.dumps({name: [round(w, 4), round(c, 4)] for name, w, c, _ in rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
