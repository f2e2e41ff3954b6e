"""Producers into a store on object storage against the same producers into a local directory.

Issue 23's numbers: 8 processes x 2,000 rows/s each for 5 minutes into the local S3 server,
nothing lost (count and id check), writer p99 per row unchanged from local disk (<= 50 µs).
``--scheme gs`` or ``abfs`` runs the same against gcp-storage-emulator or Azurite
(tests/cloud_servers.py) instead of the S3 server.

Each producer is a child process with its own cache directory (a "host" sharing nothing but the
bucket) logging single rows (10 features) through ``dl.Logger`` at a fixed rate, timing every
``log`` call (``perf_counter_ns``, the caller's view: what a service pays per row). The S3 server
is moto's server mode on 127.0.0.1 (tests/s3_server.py), started here; the local run writes the
same rows to a directory on the same disk, right after, with the same settings. Afterwards one
reader opens each store and checks that every acknowledged id is there exactly once.

    python -m bench.object_storage [--procs 8] [--rate 2000] [--seconds 300] [--scheme s3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the S3 server helper the tests use


def _child(target: str, name: str, rate: int, seconds: float) -> None:
    """Log ``rate`` rows/s for ``seconds``; print the per-call latencies' summary as JSON."""
    import numpy as np

    import diaglab as dl

    logger = dl.Logger(target, model="m", flush_seconds=1.0)
    rng = np.random.default_rng(sum(name.encode()))
    values = rng.normal(size=(1024, 8))
    lat: list[int] = []
    start = time.perf_counter()
    i = 0
    tick = 0.01  # rows are paced in slices of 10 ms
    while (now := time.perf_counter() - start) < seconds:
        due = int(now * rate) + 1
        while i < due:
            row = {f"f{j}": float(values[i % 1024, j]) for j in range(8)}
            row["c0"], row["c1"] = "ab"[i % 2], "xyz"[i % 3]
            t = time.perf_counter_ns()
            logger.log(row, float(i % 100) / 100, f"{name}-{i}")
            lat.append(time.perf_counter_ns() - t)
            i += 1
        time.sleep(max(0.0, tick - (time.perf_counter() - start - now)))
    elapsed = time.perf_counter() - start
    cpu = os.times()
    t = time.perf_counter()
    logger.close(timeout=300)
    stats = logger.stats()
    us = sorted(x / 1000 for x in lat)
    print(
        json.dumps(
            {
                "rows": i,
                "written": stats.written,
                "write_errors": stats.write_errors,
                "rate": i / elapsed,
                "p50_us": us[len(us) // 2],
                "p99_us": us[int(len(us) * 0.99)],
                "max_us": us[-1],
                "close_s": time.perf_counter() - t,
                # where the time went: this process's CPU while logging (the caller's loop
                # and the Logger's writer thread), against the wall time it had
                "cpu_user_s": cpu.user,
                "cpu_sys_s": cpu.system,
                "wall_s": elapsed,
            }
        )
    )


def _run(
    target: str, procs: int, rate: int, seconds: float, work: Path, env: dict[str, str]
) -> Any:
    children = []
    for k in range(procs):
        child_env = {
            **os.environ,
            **env,
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            "DIAGLAB_CACHE_DIR": str(work / f"host-{k}"),
        }
        args = [sys.executable, "-m", "bench.object_storage", "_child", target, f"p{k}"]
        children.append(
            subprocess.Popen(
                [*args, str(rate), str(seconds)],
                env=child_env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for proc in children:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(err[-3000:])
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _check(target: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Open the store as a reader: every id once, none missing."""
    import diaglab as dl

    t = time.perf_counter()
    store = dl.open(target)
    opened = time.perf_counter() - t
    ids = store.ibis.to_pyarrow(store.table("m").select("prediction_id")).column(0).to_pylist()
    expected = {f"p{k}-{i}" for k, r in enumerate(results) for i in range(r["rows"])}
    t = time.perf_counter()
    report = store.verify()
    verified = time.perf_counter() - t
    segments = store.watermark()["segments"]
    store.close()
    return {
        "stored": len(ids),
        "distinct": len(set(ids)),
        "missing": len(expected - set(ids)),
        "extra": len(set(ids) - expected),
        "segments": segments,
        "open_ingest_s": opened,
        "verify_ok": report.ok,
        "verify_s": verified,
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        _child(argv[1], argv[2], int(argv[3]), float(argv[4]))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.object_storage")
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--rate", type=int, default=2000, help="rows/s per process")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--scheme", choices=["s3", "gs", "abfs"], default="s3")
    args = parser.parse_args(argv)
    from bench._common import machine

    out: dict[str, Any] = {"machine": machine(), "procs": args.procs, "rate": args.rate}
    print(json.dumps(out), file=sys.stderr, flush=True)
    out["seconds"] = args.seconds
    remote = args.scheme
    with (
        tempfile.TemporaryDirectory(prefix="diaglab-bench-s3-") as tmp,
        _server(remote, Path(tmp)) as srv,
    ):
        work = Path(tmp)
        srv.make_bucket("bench")
        env = {**srv.env(), "DIAGLAB_AUDIT_KEY": "5e" * 16}
        os.environ.update(env)
        os.environ["DIAGLAB_CACHE_DIR"] = str(work / "reader")
        url = f"{remote}://bench/fleet"
        import diaglab as dl

        dl.open(url).close()
        for name, target in ((remote, url), ("local", str(work / "local-store"))):
            t = time.perf_counter()
            results = _run(target, args.procs, args.rate, args.seconds, work / name, env)
            out[name] = {
                "wall_s": time.perf_counter() - t,
                "load_after_producers": machine()["load_avg"],
                "children": results,
            }
            print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)  # as it goes
            out[name]["check"] = _check(target, results)
            print(json.dumps({name: out[name]["check"]}), file=sys.stderr, flush=True)
    for name in (remote, "local"):
        kids = out[name]["children"]
        out[name]["p99_us_median"] = statistics.median(r["p99_us"] for r in kids)
        out[name]["p50_us_median"] = statistics.median(r["p50_us"] for r in kids)
        out[name]["rows"] = sum(r["rows"] for r in kids)
    print(json.dumps(out, indent=1))


def _server(scheme: str, work: Path) -> Any:
    if scheme == "s3":
        from s3_server import s3_server

        return s3_server()
    from cloud_servers import cloud_server

    return cloud_server(scheme, work)


if __name__ == "__main__":
    main()
