"""Drift of a brushed window from counts kept per day (issue 17's brush, queries/cube.py), at 10M.

``python -m bench.cube --store /tmp/diaglab/credit-10M [--workdir DIR] [--baseline 58b1e28]``

The store (the 10M credit store ``bench/store.py`` builds: 13 features, two versions, 60 days) is
copied to ``--workdir`` and never modified. Each case runs in a child process, once with this
tree's ``src`` and once with the baseline's (``git archive``), on its own copy of the store:

- **first call**: the first ``dl.drift`` of a brushed window in a process (the baseline profiles
  the reference and scans the window; this tree also builds the cube, when the store has none);
- **new window**: five windows of about 12 days (2M rows), unaligned to days, each new;
- **same window**: one of them again, three times;
- **one feature**: ``features=["credit_utilization"]`` in three new windows (the drift
  explorer's selected row, the first view a brush refreshes).

This tree then, on its copy: a second process opening the store (the cube is kept: its first
call), and a batch of 50,000 predictions logged into the window's days followed by the same
drift (the days it touches are counted again). Wall and process CPU seconds (DuckDB's threads
included) per call; the cube's rows and its size in DuckDB blocks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parent
FIRST = ("2026-02-10 06:00", "2026-02-22 17:00")
NEW = (
    ("2026-02-11 03:00", "2026-02-23 09:30"),
    ("2026-01-20 14:00", "2026-02-01 02:00"),
    ("2026-02-14 22:15", "2026-02-26 11:00"),
    ("2026-01-05 08:00", "2026-01-17 20:00"),
    ("2026-02-03 12:00", "2026-02-15 00:30"),
)

ROW = "credit_utilization"
ROW_WINDOWS = tuple((f"2026-01-{d:02d} 05:00", f"2026-01-{d + 12:02d} 19:00") for d in (6, 8, 10))


def _timed(fn: Any) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return {
        "wall": round(time.perf_counter() - wall, 4),
        "cpu": round(time.process_time() - cpu, 4),
    }


def child(store_path: str, case: str) -> dict[str, Any]:
    import diaglab as dl

    store = dl.open(store_path)
    out: dict[str, Any] = {"case": case}

    def drift(window: tuple[str, str], **options: Any) -> Any:
        return dl.drift(store, "credit", window=window, **options)

    if case in ("session", "reopen"):
        out["first"] = _timed(lambda: drift(FIRST))
        drift(FIRST).table.to_pickle(Path(store_path).with_suffix(f".{case}.pkl"))
    if case == "session":
        out["new"] = [_timed(lambda w=w: drift(w)) for w in NEW]
        out["same"] = [_timed(lambda: drift(NEW[0])) for _ in range(3)]
        # the drift explorer's selected row after a brush: one feature's drift in a new window
        out["row"] = [_timed(lambda w=w: drift(w, features=[ROW])) for w in ROW_WINDOWS]
        con = store.ibis.con
        cubes = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cube'"
        ).fetchall()
        out["cube_rows"] = {
            name: con.execute(f'SELECT count(*) FROM cube."{name}"').fetchall()[0][0]
            for (name,) in cubes
            if name.startswith("credit:")
        }
        con.execute("CHECKPOINT")
        out["cube_blocks_mib"] = {
            name: con.execute(
                f"SELECT count(DISTINCT block_id) * 256 / 1024 FROM "
                f"pragma_storage_info('cube.\"{name}\"')"
            ).fetchall()[0][0]
            for name in out["cube_rows"]
        }
    if case == "refresh":
        import numpy as np
        import pandas as pd

        warm = [_timed(lambda: drift(FIRST)) for _ in range(2)]
        schema = store.schema("credit")
        sample = store.table("credit").limit(50_000).select(*schema.features).to_pandas()
        rng = np.random.default_rng(5)
        start = pd.Timestamp("2026-02-12", tz="UTC")
        ts = start + pd.to_timedelta(np.sort(rng.random(len(sample))) * 2, unit="D")
        ts = ts.floor("us")
        out["log"] = _timed(
            lambda: store.log(
                model="credit",
                features=sample,
                predictions=rng.random(len(sample)),
                timestamps=ts,
                model_version="v2",
            )
        )
        out["warm"] = warm
        out["after_log"] = _timed(lambda: drift(FIRST))
        out["after_log_again"] = _timed(lambda: drift(FIRST))
    store.close()
    return out


def run(src: Path, store: Path, case: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{src}:{ROOT}"}
    cmd = [sys.executable, "-m", "bench.cube", "--child", case, "--store", str(store)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="/tmp/diaglab/credit-10M")
    ap.add_argument("--workdir", default="/tmp/cube-bench")
    ap.add_argument("--baseline", default="58b1e28")
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.store, args.child)))
        return
    import pandas as pd

    from bench._common import machine

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    base_src = work / "baseline"
    if not (base_src / "src").is_dir():
        base_src.mkdir(exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", args.baseline, "src"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(base_src)], input=archive.stdout, check=True)
    copies = {}
    for name in ("baseline", "tree"):
        copies[name] = work / f"store-{name}"
        if not copies[name].exists():
            shutil.copytree(args.store, copies[name])
    result: dict[str, Any] = {"machine_start": machine()}
    result["baseline"] = run(base_src / "src", copies["baseline"], "session")
    result["tree"] = run(ROOT / "src", copies["tree"], "session")
    result["tree_reopen"] = run(ROOT / "src", copies["tree"], "reopen")
    result["tree_refresh"] = run(ROOT / "src", copies["tree"], "refresh")
    result["baseline_refresh"] = run(base_src / "src", copies["baseline"], "refresh")
    result["machine_end"] = machine()
    tables = {n: pd.read_pickle(copies[n].with_suffix(".session.pkl")) for n in copies}
    # the baseline adds category counts in the engine's output order: last bits may differ
    for label, exact in (("exact", True), ("within 1e-12", False)):
        try:
            pd.testing.assert_frame_equal(
                tables["tree"], tables["baseline"], check_exact=exact, rtol=1e-12
            )
        except AssertionError as exc:
            result["tables_equal"] = str(exc)[:500]
            continue
        result["tables_equal"] = label
        break
    for side in ("baseline", "tree"):
        r = result[side]
        r["median_new"] = {k: median(r["new"], k) for k in ("wall", "cpu")}
        r["median_same"] = {k: median(r["same"], k) for k in ("wall", "cpu")}
        r["median_row"] = {k: median(r["row"], k) for k in ("wall", "cpu")}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
