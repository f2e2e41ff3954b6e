"""Power and false discovery rate of find_slices' multiple testing (issue 22), by simulation.

Each simulated log is counted over the whole slice lattice and tested with the search's own
difference-in-differences test and lattice adjustment (``tests/lattice_sim.py``): eight features
binned as find_slices bins them by default (5, 5, 5, 5, 6, 6, 3, 2 bins; 3 levels, 5,971
hypotheses), a base error of 0.15 that rises by 0.01 overall between the two windows, and a planted
degradation on one feature (or a conjunction of two) of several sizes and supports. "Found" means
the planted slice itself is reported; FDR under the complete null is the share of logs reporting
anything. ``levels`` is the weighted BH of this branch (find_slices' default), ``uniform`` plain
BH over the lattice (64f1db6's procedure, ``weighting="uniform"``).

Usage: ``python -m bench.slice_power [--runs 100] [--record]`` from the repository root.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from bench._common import machine
from lattice_sim import planted_key, simulate

RESULTS = Path(__file__).parent / "RESULTS.md"
WEIGHTINGS = ("levels", "uniform")


def power(runs: int, n: int, planted: tuple[int, ...], support: float, effect: float) -> dict:
    rng = np.random.default_rng(hash((n, planted, support, effect)) % 2**32)
    key = planted_key(planted)
    found = dict.fromkeys(WEIGHTINGS, 0)
    for _ in range(runs):
        t = simulate(rng, n=n, planted=planted, support=support, effect=effect)
        if key not in t.keys:  # too small to be tested at all
            continue
        i = t.keys.index(key)
        for w in WEIGHTINGS:
            found[w] += bool(t.rejected(weighting=w)[i])
    return {w: found[w] / runs for w in WEIGHTINGS}


def null_fdr(runs: int, n: int) -> dict:
    rng = np.random.default_rng(n)
    logs = [simulate(rng, n=n) for _ in range(runs)]
    return {w: float(np.mean([t.rejected(weighting=w).any() for t in logs])) for w in WEIGHTINGS}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slice_power")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    started, t0 = machine(), time.perf_counter()
    lines = [
        "| planted | rows (both windows) | support | slice rows | effect | found: levels "
        "(this branch) | found: uniform BH (64f1db6) |",
        "|---|---|---|---|---|---|---|",
    ]
    for planted, label in (((7,), "1 feature"), ((6, 7), "2 features")):
        for n in (16_000, 32_000):
            for support in (0.05, 0.25, 0.5):
                for effect in (0.02, 0.035, 0.05):
                    p = power(args.runs, n, planted, support, effect)
                    lines.append(
                        f"| {label} | {n:,} | {support:.0%} | {int(n * support):,} | +{effect} "
                        f"| {p['levels']:.0%} | {p['uniform']:.0%} |"
                    )
                    print(lines[-1], flush=True)
    null = [
        "| rows (both windows) | logs | FDR: levels (this branch) | FDR: uniform BH (64f1db6) |",
        "|---|---|---|---|",
    ]
    for n in (8_000, 20_000, 60_000):
        f = null_fdr(max(args.runs, 200), n)
        null.append(f"| {n:,} | {max(args.runs, 200)} | {f['levels']:.3f} | {f['uniform']:.3f} |")
        print(null[-1], flush=True)
    if args.record:
        text = "\n".join(
            [
                "",
                "## find_slices: power and false discovery rate of the lattice's multiple "
                "testing (issue 22)",
                "",
                f"Machine: {started['cpu']}, {started['cores']} cores, "
                f"{started['memory_gib']} GiB; "
                f"{started['date']}; load {started['load_avg']}; "
                f"{time.perf_counter() - t0:.0f} s. Script: `python -m bench.slice_power "
                f"--runs {args.runs} --record` (simulation described in its docstring; the test "
                "and adjustment are the search's own; no pruning, so every slice with "
                "enough support is tested).",
                "",
                f"Power: share of {args.runs} simulated logs in which the planted slice is "
                "reported (alpha 0.05).",
                "",
                *lines,
                "",
                "False discovery rate with nothing planted (every report is false, so FDR = the "
                "share of logs reporting any slice; nominal 0.05):",
                "",
                *null,
                "",
            ]
        )
        with RESULTS.open("a") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
