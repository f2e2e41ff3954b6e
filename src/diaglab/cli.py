"""The ``diaglab`` command line: ingest files, build the sample store, run the demo."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from diaglab.errors import DiaglabError, InputError

INGEST_CHUNK_ROWS = 500_000
OK, FAILED, BAD_INPUT = 0, 1, 2
"""Exit codes: 1 only for a check that failed (``verify``, ``recheck``, ``report --checks``);
2 for every error (bad input, a path that is not a store, a full disk)."""


def cmd_ingest(args: argparse.Namespace) -> int:
    """Import a file all or nothing (see :mod:`diaglab.store.file_import`)."""
    import diaglab as dl
    from diaglab.store.file_import import FileImport

    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    if args.kind == "spans":
        return _ingest_spans(args.store, path)
    if not args.model:
        raise InputError(f"--model is required for --kind {args.kind}")
    job = FileImport(
        path,
        args.kind,
        args.model,
        model_version=args.model_version,
        id_col=args.id_col,
        timestamp_col=args.timestamp_col,
        prediction_col=args.prediction_col,
        label_col=args.label_col,
        latency_col=args.latency_col,
        trace_col=args.trace_col,
        categorical=args.categorical.split(",") if args.categorical else None,
        assume_utc=args.assume_utc,
        chunk_rows=args.chunk_rows,
    )
    store = dl.open(args.store)
    try:
        total = job.run(store)
    finally:
        store.close()
    print(f"ingested {total} {args.kind} rows for model {args.model!r} into {store.path}")
    return OK


def _ingest_spans(store_path: str, path: Path) -> int:
    """OTLP JSON (one document or JSON Lines) into span segments, then ingested."""
    import diaglab as dl
    from diaglab.otel import read_otlp_json
    from diaglab.store.spans import write_spans

    root = Path(store_path).expanduser().resolve()
    # Parse the whole file before writing anything: a malformed line stores nothing.
    tables = list(read_otlp_json(path))
    total = 0
    for table in tables:
        write_spans(root, table)
        total += table.num_rows
    store = dl.open(root, refresh=False)
    try:
        if store.read_only:
            note = f"; the store is open elsewhere ({store.read_only_reason}): ingested there"
        else:
            report = store.refresh()
            note = f"; {report.duplicates} repeated span ids skipped" if report.duplicates else ""
    finally:
        store.close()
    print(f"ingested {total} spans from {path.name} into {root}{note}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from diaglab.sample import build_sample

    try:
        truth = build_sample(
            args.path, rows=args.rows, seed=args.seed, progress=True, overwrite=args.overwrite
        )
    except FileExistsError as exc:
        raise InputError(f"{exc}; pass --overwrite to replace a sample store there") from exc
    print(
        f"sample store written to {args.path} ({truth['counts']['predictions']} predictions); "
        f"planted truths in {Path(args.path) / 'sample_truth.json'}"
    )
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    import diaglab as dl
    from diaglab.store.store import existing_store, rebuild

    root = existing_store(args.store)
    if args.rebuild:  # never opens the old DuckDB file: a damaged one is replaced too
        report = rebuild(root)
    else:
        store = dl.open(root, refresh=False)
        try:
            report = store.refresh(progress=True)
        finally:
            store.close()
    print(report)
    return OK


def cmd_info(args: argparse.Namespace) -> int:
    import diaglab as dl
    from diaglab.store.store import existing_store

    store = dl.open(existing_store(args.store))
    print(repr(store))
    damaged = store.damaged_segments()
    if damaged:
        print(f"{len(damaged)} damaged segment(s) moved aside (not queried):")
        for d in damaged:
            print(f"    {d}")
    for m in store.models():
        s = store.schema(m)
        n = store.table(m).count().execute()
        print(
            f"- {m}: {s.task}, {n} predictions, versions {list(s.versions)}, "
            f"{len(s.numeric)} numeric and {len(s.categorical)} categorical features"
        )
        for change in s.changes:
            print(f"    {change}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check the store's segments against their hash chains (and, with ``--deep``, the DuckDB
    copy against the segments); prints each stream's head to keep as an anchor; 1 when anything
    is wrong."""
    from diaglab.store.audit import VerifyReport, verify
    from diaglab.store.object_store import is_url, local_root

    url = is_url(args.store)
    root = local_root(args.store, read_only=True) if url else Path(args.store)
    if not (root / "segments").is_dir() and not (root / "audit").is_dir():
        raise InputError(f"{root} is not a diaglab store (no segments/ or audit/ in it)")
    report = verify(
        args.store if url else root, anchors=args.anchor
    )  # reads files only: works beside a writer
    if args.deep:
        from diaglab.store.audit.duckdb_copy import verify_copy

        checked, problems = verify_copy(root)
        report = VerifyReport(
            report.streams,
            report.segments,
            report.problems + tuple(problems),
            heads=report.heads,
            keyed=report.keyed,
        )
        print(f"DuckDB copy: {checked} ingested segment(s) compared with their files")
    print(report)
    for stream, head in report.heads.items():
        print(f"head {stream}: {head}")
    return 0 if report.ok else 1


def cmd_compact(args: argparse.Namespace) -> int:
    """Merge small segments into large ones (see :mod:`diaglab.store.compaction`); reads and
    writes segment files only, so it runs beside a process holding the store open."""
    from diaglab.store.compaction import compact
    from diaglab.store.object_store import is_url
    from diaglab.store.segments import existing_store

    report = compact(
        args.store if is_url(args.store) else existing_store(args.store),
        target_size=args.target_size,
        min_age=args.min_age,
        grace=args.grace,
        models=args.model or None,
    )
    print(report)
    return OK


def cmd_demo(args: argparse.Namespace) -> int:
    notebooks = Path(args.notebooks).resolve()
    tour = notebooks / "01-tour.ipynb"
    if not tour.is_file():
        raise InputError(f"no tour notebook at {tour}; run from the repository or pass --notebooks")
    store = Path(args.store).resolve()
    if not (store / "segments").is_dir():
        from diaglab.sample import build_sample

        print(f"building the sample store in {store} ...")
        build_sample(store, rows=args.rows, seed=0, progress=True)
    env = dict(os.environ, DIAGLAB_STORE=str(store))
    if args.headless:
        import nbformat
        from nbclient import NotebookClient

        out_dir = notebooks / "out"
        out_dir.mkdir(exist_ok=True)
        nb = nbformat.read(tour, as_version=4)
        os.environ["DIAGLAB_STORE"] = str(store)
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(notebooks)}},
        ).execute()
        out = out_dir / tour.name
        nbformat.write(nb, out)
        print(f"executed {tour.name}; outputs written to {out}")
        return 0
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    cmd = [
        jupyter,
        "lab",
        str(tour),
        f"--ServerApp.root_dir={notebooks}",
        f"--port={args.port}",
        "--ServerApp.ip=127.0.0.1",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    print("starting JupyterLab on the tour notebook:", " ".join(cmd))
    return subprocess.call(cmd, env=env)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="diaglab", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", help="log a Parquet or CSV file into a store")
    ing.add_argument("store")
    ing.add_argument("file")
    ing.add_argument("--model", help="the model (not for --kind spans)")
    ing.add_argument(
        "--kind", choices=["predictions", "labels", "reference", "spans"], default="predictions"
    )
    ing.add_argument("--model-version", default="v1")
    ing.add_argument("--id-col", default="prediction_id")
    ing.add_argument("--timestamp-col", default="timestamp")
    ing.add_argument("--prediction-col", default="prediction")
    ing.add_argument("--label-col", default="label")
    ing.add_argument("--latency-col", default="latency_ms")
    ing.add_argument("--trace-col", default="trace_id")
    ing.add_argument("--categorical", help="comma-separated features to treat as categories")
    ing.add_argument(
        "--assume-utc", action="store_true", help="read timestamps without a time zone as UTC"
    )
    ing.add_argument("--chunk-rows", type=int, default=INGEST_CHUNK_ROWS)
    ing.set_defaults(func=cmd_ingest)

    smp = sub.add_parser("sample", help="build the sample lending scenario store")
    smp.add_argument("path")
    smp.add_argument("--rows", type=int, default=200_000)
    smp.add_argument("--seed", type=int, default=0)
    smp.add_argument(
        "--overwrite", action="store_true", help="replace an existing sample store in PATH"
    )
    smp.set_defaults(func=cmd_sample)

    ref = sub.add_parser("refresh", help="ingest new segments (or --rebuild the DuckDB file)")
    ref.add_argument("store")
    ref.add_argument("--rebuild", action="store_true")
    ref.set_defaults(func=cmd_refresh)

    inf = sub.add_parser("info", help="models, schemas and schema changes of a store")
    inf.add_argument("store")
    inf.set_defaults(func=cmd_info)

    ver = sub.add_parser("verify", help="check every segment against the store's hash chains")
    ver.add_argument("store")
    ver.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="HASH",
        help="a head hash printed by an earlier verify, kept outside the store: it must still "
        "be in a chain (repeatable)",
    )
    ver.add_argument(
        "--deep",
        action="store_true",
        help="also compare the DuckDB copy with the segments (row counts and a digest per "
        "segment); needs the store closed by other processes",
    )
    ver.set_defaults(func=cmd_verify)

    cmp = sub.add_parser("compact", help="merge small segments into large ones")
    cmp.add_argument("store")
    cmp.add_argument("--target-size", default="128MB", help="size of a merged segment (128MB)")
    cmp.add_argument(
        "--min-age",
        type=float,
        default=60.0,
        help="merge only segments older than this many seconds (60)",
    )
    cmp.add_argument(
        "--grace",
        type=float,
        default=300.0,
        help="seconds the merged files stay on disk for readers that listed them (300)",
    )
    cmp.add_argument("--model", action="append", default=[], help="only this model (repeatable)")
    cmp.set_defaults(func=cmd_compact)

    demo = sub.add_parser("demo", help="JupyterLab on the tour notebook over the sample store")
    demo.add_argument("--store", default="sample_data/credit")
    demo.add_argument("--notebooks", default="notebooks")
    demo.add_argument("--rows", type=int, default=200_000)
    demo.add_argument("--port", type=int, default=8888)
    demo.add_argument(
        "--headless",
        action="store_true",
        help="execute the tour notebook and write its outputs instead",
    )
    demo.set_defaults(func=cmd_demo)

    from diaglab.findings.cli import add_commands  # report, recheck

    add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DiaglabError as exc:
        print(f"diaglab {args.command}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
