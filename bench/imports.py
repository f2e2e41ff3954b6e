"""What ``import diaglab`` costs a process that only logs (issue 20: a producer-only import path
under 0.3 s), against a bare interpreter, the numpy + pyarrow floor and the notebook stack, each in
a fresh process; then what a service pays at start: ``dl.Logger(...)``, its first ``log()`` calls
while the writer thread imports pandas for its first write, and the time to the first durable row,
beside the same service with pandas imported up front (as every import did before).

Usage: ``python -m bench.imports [--runs 9]``; prints Markdown tables for bench/RESULTS.md.
The modules each path loads are checked by ``tests/test_imports.py``; this measures the time.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

CASES = {
    "bare interpreter": "pass",
    "floor: import numpy, pyarrow": "import numpy, pyarrow",
    "import pandas": "import pandas",
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


# One service start: import, Logger, a row every millisecond for 1.5 s (the writer, flushing every
# 0.1 s, makes its first write meanwhile), each log() call timed; then close.
SERVICE = """
import json, sys, time
t0 = time.perf_counter()
{preload}import diaglab as dl
dl.Logger, dl.instrument
t1, import_cpu = time.perf_counter(), time.process_time()
logger = dl.Logger(sys.argv[1], model="svc", flush_seconds=0.1)
t2 = time.perf_counter()
calls, durable = [], None
while time.perf_counter() - t2 < 1.5:
    s = time.perf_counter()
    logger.log({{"x": 1.0, "c": "a"}}, 0.5)
    calls.append(time.perf_counter() - s)
    if durable is None and logger.written:
        durable = time.perf_counter() - t2
    time.sleep(0.001)
pandas = "pandas" in sys.modules
logger.close()
print(json.dumps([t1 - t0, import_cpu, t2 - t1, calls, durable, pandas]))
"""
SERVICE_CASES = {"lazy pandas (now)": "", "pandas imported first (before)": "import pandas\n"}


def _service(preload: str) -> tuple[float, float, float, float, list[float], Any]:
    """One service start in a fresh process: CPU s of the whole process, wall and CPU s of the
    import (``dl.Logger`` loaded), Logger() s, the log() latencies, s to the first durable row."""
    cpu = _cpu()
    with tempfile.TemporaryDirectory() as store:
        out = subprocess.run(
            [sys.executable, "-c", SERVICE.format(preload=preload), store],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
    imported, import_cpu, created, calls, durable, pandas = json.loads(out.stdout.splitlines()[-1])
    assert pandas, "the writer imports pandas for its first write"
    return _cpu() - cpu, imported, import_cpu, created, calls, durable


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def service_table(runs: int) -> list[str]:
    lines = [
        "| service start | CPU s (whole 1.5 s run) | import wall s | import CPU s | Logger() ms "
        "| first log() µs | log() p50 µs | log() p99 µs | log() max ms | first row durable s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, preload in SERVICE_CASES.items():
        results = [_service(preload) for _ in range(runs)]
        med = statistics.median
        lines.append(
            f"| {name} | {med(r[0] for r in results):.3f} | {med(r[1] for r in results):.3f} "
            f"| {med(r[2] for r in results):.3f} | {med(r[3] for r in results) * 1e3:.2f} "
            f"| {med(r[4][0] for r in results) * 1e6:.0f} "
            f"| {med(_quantile(r[4], 0.5) for r in results) * 1e6:.1f} "
            f"| {med(_quantile(r[4], 0.99) for r in results) * 1e6:.0f} "
            f"| {med(max(r[4]) for r in results) * 1e3:.1f} "
            f"| {med(r[5] for r in results):.3f} |"
        )
    return lines


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
    print()
    print("\n".join(service_table(args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
