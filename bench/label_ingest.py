"""What a writer's refresh pays for label segments, two trees side by side (issue 23).

``backlog``: a segments-only store (``python -m bench.scale build DIR --no-ingest``) is copied
(segments hard-linked) once per tree; a writer opening the copy ingests the predictions, then
all label segments at once, in 2M-row batches: the label refresh's process CPU seconds (DuckDB's
threads included) per 1M labels.

``more``: a store whose writer's copy is built (``bench.scale build`` without ``--no-ingest``);
each tree in turn, on a fresh copy of its DuckDB file, ingests new label segments for ``--rows``
stored ids taken from its newest prediction segments: first labels newer than every stored
label (the usual order), then labels in segments older than every stored one (a producer's
segments renamed into place late), which must read the label history.

Each measurement runs in its own process with the tree's ``src`` first on its path, at the
caller's niceness. Usage::

    python -m bench.label_ingest backlog STORE --work W [--baseline d535145]
    python -m bench.label_ingest more STORE --work W --rows 2M [--baseline d535145]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._common import machine, source_tree

HERE = Path(__file__).resolve().parent


def _copy(store: Path, into: Path, *, kinds: tuple[str, ...], db: bool) -> None:
    """``store`` without its DuckDB file (or with a copy of it): segment files hard-linked,
    everything else copied, so the copy's writer never changes ``store``."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    for part in store.iterdir():
        if part.name == "segments":
            for kind in kinds:
                if (part / kind).exists():
                    shutil.copytree(part / kind, into / "segments" / kind, copy_function=os.link)
        elif part.name == "diaglab.duckdb" and db:
            shutil.copy2(part, into / part.name)
        elif part.is_dir() and not part.name.startswith("."):
            shutil.copytree(part, into / part.name)


def _timed(fn: Any) -> dict[str, Any]:
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = fn()
    return {
        "segments": report.segments,
        "rows": report.rows,
        "labels": report.labels,
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - cpu0, 2),
    }


def child_backlog(store: Path, copy: Path) -> dict[str, Any]:
    import diaglab as dl

    _copy(store, copy, kinds=("predictions", "reference"), db=False)
    writer = dl.open(copy, refresh=False)
    predictions = _timed(lambda: writer.refresh(progress=False))
    shutil.copytree(
        store / "segments" / "labels", copy / "segments" / "labels", copy_function=os.link
    )
    labels = _timed(lambda: writer.refresh(progress=False))
    labelled = writer.ibis.to_pyarrow(writer.table("m").label.notnull().sum()).as_py()
    writer.close()
    return {"predictions": predictions, "labels": labels, "labelled": labelled}


def child_more(copy: Path, rows: int, order: str) -> dict[str, Any]:
    """Label ``rows`` ids of the newest prediction segments, in segments of 1M, newer (or, with
    ``order="older"``, older) than every stored label; the refresh that ingests them."""
    import duckdb
    import pyarrow as pa

    import diaglab as dl
    from diaglab.store import batch
    from diaglab.store._ids import new_segment_id
    from diaglab.store.segments import write_segment

    writer = dl.open(copy, refresh=False)
    newest_prediction_files = sorted((copy / "segments" / "predictions" / "m").glob("*.parquet"))
    oldest_label = min(f.stem for f in (copy / "segments" / "labels" / "m").glob("*.parquet"))
    ids = (
        duckdb.connect()
        .execute(
            "SELECT prediction_id FROM read_parquet(?) LIMIT ?",
            [[str(f) for f in newest_prediction_files[-(rows // 1_000_000 + 1) :]], rows],
        )
        .to_arrow_table()
        .column(0)
        .combine_chunks()
    )
    for k, start in enumerate(range(0, rows, 1_000_000)):
        part = ids.slice(start, 1_000_000)
        n = len(part)
        # an older segment: its id sorts before every stored label segment's
        seg = new_segment_id()
        if order == "older":
            seg = f"{int(oldest_label[:12], 16) - 1 - k:012x}{'f' * 12}"
        table = pa.table(
            {
                "prediction_id": part,
                "label": pa.array([1.0] * n, pa.float64()),
                "label_timestamp": batch.to_utc(None, n),
            }
        )
        write_segment(copy, "labels", "m", table, segment_id=seg)
    out = _timed(lambda: writer.refresh(progress=False))
    writer.close()
    return out


def _child(args: list[str], src: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{HERE.parent}"}
    load = machine()["load_avg"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.label_ingest", "child", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{args} failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load_before": load}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.label_ingest")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("backlog", "more"):
        p = sub.add_parser(name)
        p.add_argument("store")
        p.add_argument("--work", required=True)
        p.add_argument("--baseline", default="d535145")
        p.add_argument("--rows", type=float, default=2e6)
    c = sub.add_parser("child")
    c.add_argument("what", choices=("backlog", "more"))
    c.add_argument("paths", nargs="+")
    c.add_argument("--rows", type=float, default=2e6)
    c.add_argument("--order", default="newer")
    args = parser.parse_args()
    if args.command == "child":
        if args.what == "backlog":
            out = child_backlog(Path(args.paths[0]), Path(args.paths[1]))
        else:
            out = child_more(Path(args.paths[0]), int(args.rows), args.order)
        out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(out), flush=True)
        return
    work, store = Path(args.work), Path(args.store)
    trees = [(f"baseline {args.baseline}", source_tree(args.baseline, work)), ("this tree", None)]
    if args.command == "backlog":
        for label, src in trees:
            copy = work / "copy"
            row = _child(["backlog", str(store), str(copy)], src or HERE.parent / "src")
            shutil.rmtree(copy)
            print(json.dumps({"tree": label, **row, "load_after": machine()["load_avg"]}))
        return
    copy = work / "copy"
    cases = [(label, src, order) for order in ("newer", "older") for label, src in trees]
    for label, src, order in cases:
        # a fresh copy each: every case finds one stored label per id, as the store was built
        _copy(store, copy, kinds=("predictions", "labels", "reference"), db=True)
        row = _child(
            ["more", str(copy), "--rows", str(int(args.rows)), "--order", order],
            src or HERE.parent / "src",
        )
        print(
            json.dumps({"tree": label, "order": order, **row, "load_after": machine()["load_avg"]})
        )
        shutil.rmtree(copy)


if __name__ == "__main__":
    main()
