"""A slice's rows sorted by a header click: the engine's ORDER BY ... LIMIT 20 OFFSET against the
default order (error, worst first), on the sample store (200k predictions), first page and page
50. Run: ``PYTHONPATH=src python -m bench.row_sort`` (prints a Markdown table)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import diaglab as dl
from bench._common import machine
from diaglab.diagnostics.slices.rows import slice_rows
from diaglab.sample import working_copy

SAMPLE = Path(__file__).parents[1] / "sample_data" / "credit"
SLICE = "region = 'north'"
REPEATS = 7
CASES = [
    ("default order (error desc)", None, 0),
    ("sorted by income asc", ("income", "asc"), 0),
    ("sorted by score desc", ("score", "desc"), 0),
    ("default order, page 50", None, 49),
    ("sorted by income asc, page 50", ("income", "asc"), 49),
]


def main() -> None:
    store = dl.open(working_copy(SAMPLE))
    try:
        rows = []
        for name, sort, page in CASES:
            slice_rows(store, "credit", SLICE, page=page, sort=sort, columns=["income"])  # warm
            times = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                slice_rows(store, "credit", SLICE, page=page, sort=sort, columns=["income"])
                times.append(time.perf_counter() - t0)
            rows.append((name, statistics.median(times)))
    finally:
        store.close()
    base = rows[0][1]
    print(machine())
    print("| case | median (ms) | vs default |\n| --- | ---: | ---: |")
    for name, t in rows:
        print(f"| {name} | {t * 1000:.1f} | {t / base:.2f}x |")


if __name__ == "__main__":
    main()
