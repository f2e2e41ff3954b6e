"""build_sample: the scenario written into a store, and its command line."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from diaglab.sample import _scenario as sc
from diaglab.sample._models import train_models
from diaglab.sample._spans import SpanTally, span_table
from diaglab.sample._traffic import check_sizes, iter_production
from diaglab.sample._truth import Tally, slow_mask, truth_dict

# Present while a sample is being written: a build that died half-way can be replaced too.
_BUILDING = ".sample_building"


def _prepare_directory(path: Path, *, overwrite: bool) -> None:
    if not path.exists() or not any(path.iterdir()):
        return
    if not overwrite:
        raise FileExistsError(f"{path} is not empty; pass overwrite=True to replace a sample")
    if not ((path / sc.TRUTH_FILE).is_file() or (path / _BUILDING).is_file()):
        raise FileExistsError(
            f"{path} is not empty and holds no {sc.TRUTH_FILE}: not a sample store, left untouched"
        )
    import shutil

    shutil.rmtree(path)


def build_sample(
    path: str | Path,
    *,
    rows: int = 200_000,
    seed: int = 0,
    chunk_rows: int = 100_000,
    progress: bool = True,
    reference_rows: int = 40_000,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the lending scenario's store at ``path`` and return its planted truths.

    Parameters
    ----------
    path : str or Path
        The store's directory; must be missing or empty (or a previous sample, with
        ``overwrite=True``).
    rows : int
        Production predictions over the 60 days (>= 100).
    seed : int
        Everything (models included) follows from it.
    chunk_rows : int
        Rows generated, scored and logged at a time (100,000 take ~200 MB in flight); bounds
        memory, does not change the data.
    progress : bool
        Show a progress bar (a widget in a notebook).
    reference_rows : int
        Training rows of each model version, registered as that version's reference.
    overwrite : bool
        Replace a directory that holds an earlier sample.

    Returns
    -------
    dict
        The truth, also written to ``path / "sample_truth.json"``. Keys: ``scenario``, ``model``,
        ``seed``, ``rows``, ``now``, ``reference_period``, ``production_period``, ``features``,
        ``threshold``, ``counts``, ``drift``, ``drifted_features``, ``undisturbed_features``,
        ``new_category``, ``collapsed_slice``, ``version_rollout``, ``labels``, ``slow_path``,
        ``trace_id_format``, ``traces`` (the spans: stages, planted slow stage, failed
        traces), ``bad_rows``, ``bad_row_ids``, ``models``. Times are ISO 8601 UTC
        strings; observed numbers are computed from exactly what was logged.

    Examples
    --------
    >>> truth = build_sample("/tmp/credit", rows=20_000, progress=False)  # doctest: +SKIP
    >>> truth["drifted_features"]  # doctest: +SKIP
    ['age', 'credit_utilization', 'income']
    """
    check_sizes(rows=rows, seed=seed, chunk_rows=chunk_rows)
    if not isinstance(reference_rows, int) or reference_rows < 1_000:
        raise ValueError(f"reference_rows must be an integer >= 1000, got {reference_rows!r}")
    from diaglab.progress import progress_bar
    from diaglab.store import open as open_store

    root = Path(path).expanduser()
    _prepare_directory(root, overwrite=overwrite)
    root.mkdir(parents=True, exist_ok=True)
    (root / _BUILDING).touch()
    models = train_models(seed=seed, reference_rows=reference_rows)
    tally = Tally()
    span_tally = SpanTally()
    categorical = list(sc.CATEGORICAL)
    with open_store(root) as store:
        for version, model, ref, labels in (
            ("v1", models.v1, models.reference, models.reference_labels),
            ("v2", models.v2, models.reference_v2, models.reference_v2_labels),
        ):
            store.register_model(sc.MODEL, model, version=version)
            store.set_reference(
                sc.MODEL,
                features=ref,
                labels=labels,
                predictions=models.score_frame(version, ref),
                model_version=version,
                categorical=categorical,
            )
        threshold = float(store.schema(sc.MODEL).threshold)
        with progress_bar(
            total=rows, desc=f"sample {sc.MODEL}", unit="row", disable=not progress
        ) as bar:
            for chunk in iter_production(models, rows=rows, seed=seed, chunk_rows=chunk_rows):
                for version in ("v1", "v2"):
                    mask = chunk.model_version == version
                    if not mask.any():
                        continue
                    store.log(
                        sc.MODEL,
                        features=chunk.features.loc[mask],
                        predictions=chunk.scores[mask],
                        prediction_ids=chunk.prediction_ids[mask],
                        timestamps=chunk.timestamps[mask],
                        model_version=version,
                        latency_ms=chunk.latency_ms[mask],
                        trace_ids=chunk.trace_ids[mask],
                        categorical=categorical,
                    )
                logged = chunk.label_logged
                if logged.any():
                    store.log_labels(
                        sc.MODEL,
                        prediction_ids=chunk.prediction_ids[logged],
                        labels=chunk.outcome[logged],
                        timestamps=chunk.label_timestamps[logged],
                    )
                tally.add(chunk, threshold)
                slow = slow_mask(chunk.features)
                spans = span_table(
                    chunk.trace_ids,
                    np.array([int(p.rsplit("-", 1)[1]) for p in chunk.prediction_ids]),
                    chunk.timestamps.to_numpy(dtype="datetime64[ns]").view(np.int64),
                    chunk.latency_ms,
                    slow,
                    chunk.model_version,
                    chunk.features["channel"].to_numpy(dtype=object),
                )
                store.log_spans(spans)
                span_tally.add(spans, slow)
                del spans
                bar.update(len(chunk))
                del chunk  # let it go before the next one is drawn
        store.refresh(progress=False)
    truth = truth_dict(tally, models, rows=rows, seed=seed, threshold=threshold)
    truth["traces"] = span_tally.truth()
    tmp = root / f".{sc.TRUTH_FILE}.tmp"
    tmp.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(root / sc.TRUTH_FILE)
    (root / _BUILDING).unlink()
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m diaglab.sample PATH [--rows N] [--seed S]``."""
    parser = argparse.ArgumentParser(
        prog="diaglab sample", description="Build the lending sample store with planted truths."
    )
    parser.add_argument("path", help="directory of the store to create")
    parser.add_argument("--rows", type=int, default=200_000, help="production predictions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--chunk-rows", type=int, default=100_000, help="rows generated and logged at a time"
    )
    parser.add_argument("--reference-rows", type=int, default=40_000)
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier sample")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        check_sizes(rows=args.rows, seed=args.seed, chunk_rows=args.chunk_rows)
    except ValueError as exc:
        parser.error(str(exc))
    started = time.perf_counter()
    try:
        truth = build_sample(
            args.path,
            rows=args.rows,
            seed=args.seed,
            chunk_rows=args.chunk_rows,
            reference_rows=args.reference_rows,
            progress=not args.quiet,
            overwrite=args.overwrite,
        )
    except FileExistsError as exc:
        parser.exit(2, f"diaglab sample: error: {exc}\n")
    counts = truth["counts"]
    print(
        f"wrote {counts['predictions']:,} predictions, {counts['labels_logged']:,} labels and "
        f"{counts['reference_rows']:,} reference rows for model {sc.MODEL!r} to {args.path} "
        f"in {time.perf_counter() - started:.1f} s; planted truths in {sc.TRUTH_FILE}"
    )
    return 0
