"""Where a service worker's CPU goes: each uvicorn worker's threads under load, by role, for the
floor (spans exported nowhere), this tree's instrumented service, its parts and the previous
main's (issue 21).

The service, load and windows are :mod:`bench.service`'s. Before and after the measured window
each worker's threads are read from ``/proc/<pid>/task/<tid>/`` (user and system CPU, minor page
faults, voluntary context switches, i.e. waits for the GIL, a lock or I/O, and involuntary ones,
i.e. preemptions), and ``py-spy dump`` names them: ``MainThread`` is uvicorn's event loop,
``AnyIO worker thread`` the request threads of a sync endpoint, ``diaglab-logger`` the Logger's
writer, ``OtelBatchSpanRecordProcessor`` the span exporter. Counts are per request, summed over
both workers. With ``BENCH_PYSPY=1``, ``py-spy record --gil`` also samples one worker's GIL
holder for the window (the share of samples that found one, and the top functions).

Variants: ``plain``, ``sdk`` (the floor), ``logger`` (Logger + instrument, no spans), ``spans``
(spans into ``StoreSpanExporter``, no Logger), ``instrumented`` (both), ``noprobe``
(instrumented without the resource probe's system calls, an ablation) and ``previous`` (the
previous main's instrumented service, ``BENCH_SERVICE_BASELINE``).

Usage: ``python -m bench.service_threads ROWS [VARIANT ...] [--work DIR]`` (default: sdk
instrumented previous). Needs ``py-spy`` (the dev extra) to name the threads.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._common import source_tree
from bench.service import BASELINE, WARMUP_S, WINDOW_S, Server, _load

_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
RATE = 200  # py-spy samples per second
_THREAD = re.compile(r'^Thread (\d+) \([^)]*\): "(.*)"')
ROLES = (
    ("MainThread", "event loop"),
    ("AnyIO worker", "request threads"),
    ("diaglab-logger", "Logger writer"),
    ("OtelBatch", "span exporter"),
)


def _pyspy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed (pip install py-spy; it is in the dev extra)")
    return found


def thread_counts(pid: int) -> dict[int, tuple[int, ...]]:
    """Each thread's counts so far: user CPU and system CPU (clock ticks), minor page faults,
    voluntary context switches (waits: the GIL, a lock, I/O) and involuntary ones
    (preemptions)."""
    out: dict[int, tuple[int, ...]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            status = (task / "status").read_text()
        except OSError:  # a thread that just ended
            continue
        switches = [
            int(status.split(f"\n{name}:")[1].split()[0])
            for name in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")
        ]
        # fields from the third of proc(5): minflt is the 10th, utime and stime the 14th, 15th
        out[int(task.name)] = (int(fields[11]), int(fields[12]), int(fields[7]), *switches)
    return out


COUNTS = ("user_us", "system_us", "page_faults", "waits", "preemptions")


def thread_names(pid: int) -> dict[int, str]:
    """Native thread id -> Python thread name, as py-spy dumps them."""
    text = subprocess.run(
        [_pyspy(), "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=60
    ).stdout
    return {int(m.group(1)): m.group(2) for line in text.splitlines() if (m := _THREAD.match(line))}


def role(name: str | None) -> str:
    if name is None:
        return "native threads"  # no Python frame: BLAS, Arrow or the allocator's
    for prefix, label in ROLES:
        if name.startswith(prefix):
            return label
    return "other Python threads"


def top_functions(raw: Path, n: int = 25) -> tuple[list[tuple[str, int]], int]:
    """The functions with the most own samples in a py-spy ``--format raw`` file, and the
    number of samples."""
    own: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        own[stack.split(";")[-1]] += int(count)
    return own.most_common(n), sum(own.values())


def measure(work: Path, variant: str, rows: int, *, record: bool) -> dict[str, Any]:
    src = source_tree(BASELINE, work) if variant == "previous" else None
    # "noprobe": instrumented without the resource probe's system calls (an ablation)
    os.environ["BENCH_ABLATE"] = "probe" if variant == "noprobe" else ""
    served = "instrumented" if variant in ("previous", "noprobe") else variant
    server = Server(work, served, src=src)
    spy = None
    try:
        asyncio.run(_load(server.url, rows, WARMUP_S))
        workers = [
            p.pid for p in server.tree.children() if "resource_tracker" not in " ".join(p.cmdline())
        ]
        before = {pid: thread_counts(pid) for pid in workers}
        cpu0 = server.cpu_seconds()
        if record:
            raw = work / f"pyspy-{variant}-{rows}.txt"
            spy = subprocess.Popen(
                [
                    *(_pyspy(), "record", "--pid", str(workers[0]), "--rate", str(RATE), "--gil"),
                    *("--format", "raw", "--duration", str(int(WINDOW_S)), "--nonblocking"),
                    *("--output", str(raw)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        t = time.perf_counter()
        _, acked, _ = asyncio.run(_load(server.url, rows, WINDOW_S))
        elapsed = time.perf_counter() - t
        cpu = server.cpu_seconds() - cpu0
        after = {pid: thread_counts(pid) for pid in workers}
        names = {pid: thread_names(pid) for pid in workers}
        if spy is not None:
            spy.wait(120)
    finally:
        server.terminate()
    per_role: dict[str, collections.Counter[str]] = {c: collections.Counter() for c in COUNTS}
    for pid in workers:
        for tid, counts in after[pid].items():
            name = role(names[pid].get(tid))
            for what, now, then in zip(
                COUNTS, counts, before[pid].get(tid, (0,) * len(COUNTS)), strict=True
            ):
                per_role[what][name] += now - then
    scale = {"user_us": _TICK_MS * 1000, "system_us": _TICK_MS * 1000}
    out: dict[str, Any] = {
        "variant": variant,
        "rows": rows,
        "rps": round(acked / elapsed, 1),
        "cpu_ms_per_request": round(cpu / acked * 1000, 3),
    }
    for what, by_role in per_role.items():  # per request, by thread role
        out[what] = {
            k: round(v * scale.get(what, 1) / acked, 2) for k, v in sorted(by_role.items()) if v
        }
    if spy is not None:
        top, samples = top_functions(work / f"pyspy-{variant}-{rows}.txt")
        # --gil: a sample only when some thread holds the GIL
        out["gil_held_share"] = round(samples / (RATE * int(WINDOW_S)), 3)
        out["gil_top"] = top
    return out


def main(argv: list[str]) -> None:
    work = Path("/tmp/bench-service-threads")
    if "--work" in argv:
        i = argv.index("--work")
        work = Path(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    rows = int(argv[0])
    variants = argv[1:] or ["sdk", "instrumented", "previous"]
    work.mkdir(parents=True, exist_ok=True)
    record = os.environ.get("BENCH_PYSPY") == "1"
    for variant in variants:
        print(json.dumps(measure(work, variant, rows, record=record)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
