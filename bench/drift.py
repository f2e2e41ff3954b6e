"""Drift benchmarks (issue 3): diaglab's drift table beside Evidently, NannyML and whylogs.

Each case runs in its own process (``python -m bench.drift CASE SIZE WORKDIR``, one JSON line
out) on the scenario of :mod:`bench.drift_scenario` in ``WORKDIR/drift-SIZE``:

- ``prepare``: write the scenario's Parquet files (skipped when already there).
- ``evidently``, ``nannyml``, ``whylogs``: run ``bench/peers/run_<peer>.py`` with that peer's own
  venv (``bash bench/peers/setup.sh`` makes them) under ``/usr/bin/time -v``; a peer still running
  after ``BENCH_PEER_TIMEOUT`` seconds (600) or above ``BENCH_PEER_MAX_RSS_GB`` (16) is killed
  and recorded as such.
- ``prepare_diaglab``: log the scenario into a diaglab store (reference with ``set_reference``,
  current rows with ``store.log`` in chunks of 1M rows); not timed.
- ``diaglab``: open that store and time ``dl.drift(store, "bench")``: the median of 3 runs after
  one warm-up.

Verdicts are scored against ``truth.json``: found = a drifted feature flagged (diaglab: severity
above none; a peer: its default drift verdict), false alarm = an undrifted feature flagged.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench import drift_scenario
from bench._common import emit, machine

HERE = Path(__file__).parent
PEERS = ("evidently", "nannyml", "whylogs")
MODEL = "bench"
CHUNK = 1_000_000
PEER_TIMEOUT = float(os.environ.get("BENCH_PEER_TIMEOUT", 600))
PEER_MAX_RSS_GB = float(os.environ.get("BENCH_PEER_MAX_RSS_GB", 16))


def scenario_dir(size: str, work: Path) -> Path:
    return work / f"drift-{size}"


def prepare(size: str, work: Path) -> dict:
    t = time.perf_counter()
    path = drift_scenario.write(size, scenario_dir(size, work))
    return {"case": "prepare", "path": str(path), "seconds": round(time.perf_counter() - t, 1)}


# --- peers -------------------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _run_capped(cmd: list[str]) -> tuple[int, str, str, float, str | None, float]:
    """Run cmd (``/usr/bin/time -v`` and the peer) until it ends or passes a cap.

    Returns the exit code, stdout, stderr, wall seconds, why it was killed (or None) and the
    largest RSS seen while polling, in MB.
    """
    # Output goes to files, not pipes: a chatty peer must not block on a full pipe while we poll.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        killed, peak_seen = None, 0.0
        while proc.poll() is None:
            time.sleep(0.5)
            kids = _children(proc.pid)  # the peer: /usr/bin/time's only child
            rss = sum(_rss_mb(k) for k in kids)
            peak_seen = max(peak_seen, rss)
            elapsed = time.perf_counter() - start
            if killed is None and (elapsed > PEER_TIMEOUT or rss > PEER_MAX_RSS_GB * 1024):
                killed = (
                    f"killed after {elapsed:.0f} s"
                    if elapsed > PEER_TIMEOUT
                    else f"killed at {rss / 1024:.1f} GB RSS after {elapsed:.0f} s"
                )
                # Kill the peer, not /usr/bin/time, so that time still reports its peak RSS.
                for k in kids or [proc.pid]:
                    os.kill(k, signal.SIGKILL)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), wall, killed, peak_seen


def run_peer(peer: str, size: str, work: Path) -> dict:
    """One peer in its own process under /usr/bin/time -v, killed past the time or memory cap."""
    result: dict[str, Any] = {"case": peer, "load_avg": machine()["load_avg"]}
    python = HERE / f".venv-{peer}" / "bin" / "python"
    if not python.exists():
        return {**result, "status": "not installed: run bash bench/peers/setup.sh"}
    directory = drift_scenario.write(size, scenario_dir(size, work))
    script = HERE / "peers" / f"run_{peer}.py"
    code, stdout, stderr, wall, killed, peak_seen = _run_capped(
        ["/usr/bin/time", "-v", str(python), str(script), str(directory)]
    )
    for line in stderr.splitlines():
        if "Maximum resident set size" in line:
            result["peer_rss_mb"] = round(int(line.split(":")[1]) / 1024, 1)
    result.setdefault("peer_rss_mb", round(peak_seen, 1))
    result["process_s"] = round(wall, 1)
    if killed:
        return {**result, "status": killed}
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if code != 0 or not lines:
        tail = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("\t")]
        why = (tail[-1] if tail else "no output")[:300]
        return {**result, "status": f"failed (exit {code}): {why}"}
    out = json.loads(lines[-1])
    out.pop("peer", None)
    return {**result, "status": "ok", **out, "total_s": round(out["load_s"] + out["compute_s"], 3)}


# --- diaglab -----------------------------------------------------------------------------------


def _store_path(size: str, work: Path) -> Path:
    return scenario_dir(size, work) / "store"


def prepare_diaglab(size: str, work: Path) -> dict:
    """Log the scenario into a diaglab store (untimed set-up), once."""
    import numpy as np
    import pyarrow.parquet as pq

    import diaglab as dl

    directory = drift_scenario.write(size, scenario_dir(size, work))
    path = _store_path(size, work)
    ready = path.with_suffix(".ready")
    truth = json.loads((directory / "truth.json").read_text())
    if ready.exists() and ready.read_text() == json.dumps(truth):
        return {"case": "prepare_diaglab", "path": str(path), "seconds": 0.0}
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    t = time.perf_counter()
    store = dl.open(path)
    ref = pq.read_table(directory / "reference.parquet").to_pandas()
    store.set_reference(model=MODEL, features=ref, model_version="v1")
    del ref
    rng = np.random.default_rng(3)
    current = pq.ParquetFile(directory / "current.parquet")
    for batch in current.iter_batches(batch_size=CHUNK):
        chunk = batch.to_pandas()
        ts = chunk.pop("ts")
        store.log(
            model=MODEL,
            features=chunk,
            predictions=rng.random(len(chunk)),
            timestamps=ts,
            model_version="v1",
        )
    store.close()
    ready.write_text(json.dumps(truth))
    return {
        "case": "prepare_diaglab",
        "path": str(path),
        "seconds": round(time.perf_counter() - t, 1),
    }


def run_diaglab(size: str, work: Path) -> dict:
    result: dict[str, Any] = {"case": "diaglab", "load_avg": machine()["load_avg"]}
    path = _store_path(size, work)
    if not path.with_suffix(".ready").exists():
        return {**result, "status": "no store: run the prepare_diaglab case first"}
    truth = json.loads((scenario_dir(size, work) / "truth.json").read_text())
    try:
        import diaglab as dl

        t = time.perf_counter()
        store = dl.open(path)
        open_s = time.perf_counter() - t

        def once() -> tuple[float, Any]:
            t = time.perf_counter()
            report = dl.drift(store, MODEL, window=None, reference=None)
            return time.perf_counter() - t, report

        first_s, report = once()  # warm-up
        runs = [once()[0] for _ in range(3)]
        store.close()
    except Exception as exc:  # the lead's dl.drift may still be moving: record, don't abort
        return {
            **result,
            "status": f"failed: {type(exc).__name__}: {exc}"[:300],
            "traceback": traceback.format_exc()[-2000:],
        }
    table = report.table
    rows = table[~table["feature"].isin(["prediction", "label"])]
    severity = dict(zip(rows["feature"], rows["severity"], strict=True))
    flagged = sorted(f for f, s in severity.items() if s != "none")
    compute_s = statistics.median(runs)
    details_cols = [
        c
        for c in (
            "feature",
            "severity",
            "drifted",
            "effect_statistic",
            "effect",
            "statistic",
            "p_value",
            "p_adjusted",
        )
        if c in rows.columns
    ]
    out = {
        "status": "ok",
        "version": dl.__version__,
        "rows": [truth["reference_rows"], truth["current_rows"]],
        "load_s": round(open_s, 3),
        "compute_s": round(compute_s, 3),
        "total_s": round(open_s + compute_s, 3),
        "first_s": round(first_s, 3),
        "runs_s": [round(r, 3) for r in runs],
        "found": [f for f in truth["drifted"] if f in flagged],
        "false_alarms": [f for f in truth["undrifted"] if f in flagged],
        "flagged": flagged,
        # the table's own yes/no column, for comparison with the severity-based count above
        "drifted_column": sorted(rows.loc[rows["drifted"].astype(bool), "feature"]),
        "severity": {f: severity.get(f) for f in truth["drifted"] + truth["unscored"]},
    }
    details = rows[details_cols].to_dict("records")
    (scenario_dir(size, work) / "verdicts-diaglab.json").write_text(
        json.dumps({**out, "details": details}, indent=1, default=str)
    )
    return {**result, **out}


# --- the table ---------------------------------------------------------------------------------


def _cell(r: dict, key: str, fmt: str = "{:.2f}") -> str:
    v = r.get(key)
    return "—" if v is None else fmt.format(v)


def markdown_table(results: list[dict]) -> list[str]:
    """Rows per size and tool, with each peer's total as a multiple of diaglab's."""
    lines = [
        "Sizes: reference + current rows. load = reading the Parquet files into pandas (diaglab: "
        "opening its store, where the rows were logged beforehand, untimed); compute = the drift "
        "verdicts (diaglab: `dl.drift`, median of 3 after a warm-up; peers: one run). "
        "process = the peer's whole-process wall time, imports included; peak RSS of the tool's "
        "process (diaglab: opening the store and 4 drift runs). found = drifted features "
        "flagged (of 12), false alarms = undrifted features flagged (of 15); `tiny_shift` "
        f"(0.01 sd) is not scored. A peer is killed past {PEER_TIMEOUT:.0f} s or "
        f"{PEER_MAX_RSS_GB:g} GB RSS.",
        "",
        "| size | tool | load s | compute s | total s | process s | peak RSS | found | "
        "false alarms | total vs diaglab | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_size: dict[str, list[dict]] = {}
    for r in results:
        by_size.setdefault(r["size"], []).append(r)
    for size, rows in by_size.items():
        ours = next((r for r in rows if r["case"] == "diaglab" and r.get("status") == "ok"), None)
        base = ours["total_s"] if ours else None
        for r in sorted(rows, key=lambda r: (r["case"] != "diaglab", r["case"])):
            rows_txt = "+".join(f"{n:,}" for n in drift_scenario.split(size))
            rss = r.get("peer_rss_mb", r.get("peak_rss_mb"))
            rss_txt = (
                "—" if rss is None else (f"{rss / 1024:.1f} GB" if rss >= 1024 else f"{rss:.0f} MB")
            )
            if r.get("status") != "ok":
                lines.append(
                    f"| {size} ({rows_txt}) | {r['case']} | | | {r.get('status')} | "
                    f"{_cell(r, 'process_s', '{:.0f}')} | {rss_txt} | | | | "
                    f"{r.get('load_avg', '')} |"
                )
                continue
            ratio = "—" if r["case"] == "diaglab" or not base else f"{r['total_s'] / base:.0f}x"
            lines.append(
                f"| {size} ({rows_txt}) | {r['case']} {r.get('version', '')} | "
                f"{_cell(r, 'load_s')} | {_cell(r, 'compute_s', '{:.3f}')} | "
                f"{_cell(r, 'total_s', '{:.3f}')} | {_cell(r, 'process_s', '{:.1f}')} | "
                f"{rss_txt} | {len(r['found'])}/12 | {len(r['false_alarms'])}/15 | {ratio} | "
                f"{r.get('load_avg', '')} |"
            )
    return lines


CASES = {
    "prepare": prepare,
    "prepare_diaglab": prepare_diaglab,
    "diaglab": run_diaglab,
    **{p: (lambda size, work, p=p: run_peer(p, size, work)) for p in PEERS},
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if case not in CASES:
        sys.exit(f"unknown case {case!r}; known: {', '.join(CASES)}")
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
