"""The ``diaglab`` command line: ingest files, build the sample store, run the demo."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from diaglab.errors import DiaglabError, InputError

INGEST_CHUNK_ROWS = 500_000


def _batches(path: Path, chunk_rows: int) -> Iterator[pa.Table]:
    """Stream a Parquet or CSV file in chunks of about ``chunk_rows`` rows."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        for rb in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield pa.Table.from_batches([rb])
    elif suffix in (".csv", ".tsv"):
        import pyarrow.csv as pacsv

        parse = pacsv.ParseOptions(delimiter="\t" if suffix == ".tsv" else ",")
        reader = pacsv.open_csv(
            path, parse_options=parse, read_options=pacsv.ReadOptions(block_size=64 << 20)
        )
        for rb in reader:
            yield pa.Table.from_batches([rb])
    else:
        raise InputError(f"cannot ingest {path.name!r}: use a .parquet or .csv file")


def _pop(
    table: pa.Table, name: str | None, *, flag: str, required: bool
) -> tuple[pa.Table, object]:
    if name is None:
        return table, None
    if name not in table.column_names:
        if not required:
            return table, None
        raise InputError(
            f"{flag} {name!r} is not a column of the file; columns: {', '.join(table.column_names)}"
        )
    return table.drop_columns([name]), table.column(name).to_pandas()


def _timestamps(values: object, assume_utc: bool) -> object:
    import pandas as pd

    if values is None:
        return None
    ts = pd.to_datetime(values)  # type: ignore[call-overload]
    if ts.dt.tz is None and assume_utc:
        ts = ts.dt.tz_localize("UTC")
    return ts


def cmd_ingest(args: argparse.Namespace) -> int:
    import diaglab as dl
    from diaglab.progress import progress_bar

    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    if args.kind == "spans":
        return _ingest_spans(args.store, path)
    if not args.model:
        raise InputError(f"--model is required for --kind {args.kind}")
    store = dl.open(args.store)
    total = 0
    categorical = args.categorical.split(",") if args.categorical else None
    with progress_bar(total=None, desc=f"ingesting {path.name}", unit="rows") as bar:
        for chunk in _batches(path, args.chunk_rows):
            t, ids = _pop(chunk, args.id_col, flag="--id-col", required=args.kind == "labels")
            t, ts = _pop(t, args.timestamp_col, flag="--timestamp-col", required=False)
            if args.kind == "labels":
                t, labels = _pop(t, args.label_col, flag="--label-col", required=True)
                store.log_labels(args.model, ids, labels, _timestamps(ts, args.assume_utc))
            elif args.kind == "reference":
                t, labels = _pop(t, args.label_col, flag="--label-col", required=False)
                t, preds = _pop(t, args.prediction_col, flag="--prediction-col", required=False)
                store.set_reference(
                    args.model,
                    t,
                    labels=labels,
                    predictions=preds,
                    model_version=args.model_version,
                    categorical=categorical,
                )
            else:
                t, preds = _pop(t, args.prediction_col, flag="--prediction-col", required=True)
                t, latency = _pop(t, args.latency_col, flag="--latency-col", required=False)
                t, traces = _pop(t, args.trace_col, flag="--trace-col", required=False)
                store.log(
                    args.model,
                    t,
                    preds,
                    prediction_ids=ids,
                    timestamps=_timestamps(ts, args.assume_utc),
                    model_version=args.model_version,
                    latency_ms=latency,
                    trace_ids=traces,
                    categorical=categorical,
                )
            total += chunk.num_rows
            bar.update(chunk.num_rows)
    print(f"ingested {total} {args.kind} rows for model {args.model!r} into {store.path}")
    store.close()
    return 0


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

    store = dl.open(args.store, refresh=False)
    report = store.rebuild() if args.rebuild else store.refresh(progress=True)
    print(
        f"{report.segments} segments, {report.rows} predictions, {report.labels} labels "
        f"ingested; {report.duplicates} duplicate ids skipped"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    import diaglab as dl

    store = dl.open(args.store)
    print(repr(store))
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

    root = Path(args.store)
    if not (root / "segments").is_dir() and not (root / "audit").is_dir():
        raise InputError(f"{root} is not a diaglab store (no segments/ or audit/ in it)")
    report = verify(root, anchors=args.anchor)  # reads files only: works beside a writer
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
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
