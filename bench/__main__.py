"""Run diaglab's benchmarks and record them in bench/RESULTS.md.

Usage: ``python -m bench [--suite store|drift] [--sizes 100k,1M,10M] [--workdir DIR] [--no-record]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
from pathlib import Path

from bench._common import machine, parse_size, run_measured

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"

# suite -> [(case, uses size)]; later issues add suites here.
SUITES: dict[str, list[tuple[str, bool]]] = {
    "store": [("bulk_log", True), ("refresh", True), ("logger_log", False)],
    # issue 3: each peer in its own venv (bash bench/peers/setup.sh), then diaglab
    "drift": [("evidently", True), ("nannyml", True), ("whylogs", True), ("diaglab", True)],
    # issue 4: sliceline in bench/.venv-sliceline (pip install sliceline==0.3.0 pyarrow)
    "slices": [
        ("slice_metrics_1", True),
        ("slice_metrics_2", True),
        ("find_slices", True),
        ("sliceline", True),
    ],
    # issue 5: sizes repeat the sample store's 200k predictions (bench/explain.py)
    "explain": [("card", True), ("inspector", True), ("whatif", True), ("explain_window", True)],
    # issue 6 (tracing): exporter ingest (200k SDK spans) and one trace's lookup (bench/traces.py)
    "traces": [("export", False), ("trace", True)],
    # issue 7: store.verify() of chained segments; the hash chain's cost on store.log (<= 1M)
    "audit": [("log_overhead", True), ("verify", True)],
    # issue 9: the same queries on Spark local[2] and DuckDB over the same segments (bench/spark.py)
    "spark": [("duckdb", True), ("spark", True)],
    # issue 9: Ibis compile time per explorer query, through the store's cache (bench/compile.py)
    "compile": [("duckdb", True), ("spark", True)],
    # issue 6 (metrics): dl.metrics_over_time, 60 daily windows; NannyML in bench/.venv-nannyml
    "metrics": [("diaglab", True), ("nannyml", True)],
    # issue 7: ten standard findings on a large store and their exports (bench/findings.py)
    "findings": [("export", True)],
    # issue 21: a real uvicorn service, instrumented vs plain, alternated (bench/service.py)
    "service": [
        ("rows_1", False),
        ("rows_100", False),
        ("queryable", False),
        ("parts", False),
        ("sigkill", False),
    ],
    # issue 21: the producers' CPU per call in process, before and after (bench/producer.py)
    "producer": [("hot_path", False), ("ab", False)],
}
# (suite, case) -> an untimed case run first in its own process, to prepare the case's data
PREPARE = {
    ("store", "refresh"): "prepare",
    **{("drift", peer): "prepare" for peer in ("evidently", "nannyml", "whylogs")},
    ("drift", "diaglab"): "prepare_diaglab",
    **{("slices", case): "prepare" for case in ("slice_metrics_1", "find_slices")},
    ("explain", "card"): "prepare",
    ("traces", "trace"): "prepare",
    ("audit", "verify"): "prepare",
    ("spark", "duckdb"): "prepare",
    ("compile", "duckdb"): "prepare",
    ("metrics", "diaglab"): "prepare",
    ("findings", "export"): "prepare",
}
# suites run size by size, so that the tools compared at one size run close together in time
BY_SIZE = {"drift", "slices", "spark", "metrics", "compile"}


def run_suite(suite: str, sizes: list[str], workdir: Path) -> list[dict]:
    cases = SUITES[suite]
    if suite in BY_SIZE:
        order = [(case, True, size) for size in sizes for case, _ in cases]
    else:
        order = [(c, sized, s) for c, sized in cases for s in (sizes if sized else ["200000"])]
    results = []
    for case, sized, size in order:
        if sized and (suite, case) in PREPARE:
            run_measured(f"bench.{suite}", PREPARE[suite, case], size, str(workdir))
        r = run_measured(f"bench.{suite}", case, size, str(workdir))
        r["size"] = size if sized else str(parse_size(size))
        print(json.dumps(r), flush=True)
        results.append(r)
    return results


def markdown(suite: str, results: list[dict]) -> str:
    m = machine()
    lines = [
        f"<!-- suite:{suite} -->",
        f"### {suite} — {m['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; "
        f"load average before the run {m['load_avg']}; Python {m['python']}.",
        "",
    ]
    # a suite module may lay out its own table (bench.drift does)
    table = getattr(importlib.import_module(f"bench.{suite}"), "markdown_table", None)
    if table is not None:
        lines += [*table(results), f"<!-- /suite:{suite} -->"]
        return "\n".join(lines)
    lines += ["| case | size | result | peak RSS |", "|---|---|---|---|"]
    for r in results:
        body = {
            k: v
            for k, v in r.items()
            if k not in ("case", "size", "peak_rss_mb", "wall", "rows", "calls")
        }
        lines.append(
            f"| {r['case']} | {r['size']} | "
            f"{', '.join(f'{k}={v}' for k, v in body.items())} | "
            f"{r.get('peak_rss_mb', '?')} MB |"
        )
    lines.append(f"<!-- /suite:{suite} -->")
    return "\n".join(lines)


def record(suite: str, text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"<!-- suite:{suite} -->.*?<!-- /suite:{suite} -->", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: text, current)
    else:
        current = current.rstrip() + "\n\n" + text + "\n"
    RESULTS.write_text(current)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--suite", action="append", choices=sorted(SUITES))
    p.add_argument("--sizes", default="100k,1M,10M")
    p.add_argument("--workdir", default=str(HERE / "data"))
    p.add_argument("--no-record", action="store_true")
    args = p.parse_args()
    for suite in args.suite or sorted(SUITES):
        results = run_suite(suite, args.sizes.split(","), Path(args.workdir))
        text = markdown(suite, results)
        print(text)
        if not args.no_record:
            record(suite, text)


if __name__ == "__main__":
    main()
