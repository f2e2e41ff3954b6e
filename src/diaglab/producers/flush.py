"""Writing one sealed chunk: one segment of its good rows, one rejects file of its bad rows.

The invariant: a chunk leaves the Logger's buffer only after this returns, i.e. after its segment
(and its rejects file, if any) is durable. Two kinds of failure are told apart:

- the rows' fault (an :class:`~diaglab.errors.InputError`, or any unexpected error while checking
  them, e.g. an integer Arrow cannot convert): the offending rows are found by bisection, using
  checks only (nothing written meanwhile), and quarantined in ``rejected/<model>/<chunk>.jsonl``.
  A problem of the batch as a whole (a column name or a column's type) is found once, for the
  batch, not row by row;
- not the rows' fault (any ``OSError``: disk full, I/O error, permission): the error propagates,
  the chunk stays buffered and the Logger retries it later. What a first attempt decided (the
  prepared table with its segment id, the rejects) is kept on the chunk, so a retry writes the
  same segment under the same name and rewrites the same rejects file: nothing twice.

The checks (``store.batch``, ``store.producer``) need pandas: they are imported by the first
write, in the Logger's writer thread, so a service that only logs starts without pandas
(:func:`load_checks`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from diaglab.errors import InputError
from diaglab.producers import lifecycle
from diaglab.producers.buffer import Chunk
from diaglab.store import layout
from diaglab.store.schema import ModelSchema, SchemaRegistry
from diaglab.store.segments import write_segment
from diaglab.store.sensitive import keyed_hash, store_key

if TYPE_CHECKING:
    import pandas as pd

    from diaglab.store.producer import PreparedBatch

log = logging.getLogger("diaglab")


_LOADED: list[bool] = []


def load_checks() -> None:
    """Import pandas and the batch checks once, under the lock a fork waits for."""
    if _LOADED:
        return
    with lifecycle.IMPORTING:
        import pandas  # noqa: F401

        import diaglab.store.producer  # noqa: F401

        _LOADED.append(True)


@dataclass
class Outcome:
    """What writing a chunk decided: the tables to write and the rejected rows with reasons."""

    prepared: list[PreparedBatch]
    rejected: list[tuple[list[int], str]]


@dataclass
class ChunkWriter:
    """Writes chunks of one Logger (its store, model, version and column options)."""

    path: Path
    model: str
    model_version: str
    categorical: Sequence[str]
    sensitive: Sequence[str]
    registry: SchemaRegistry

    def write(self, chunk: Chunk) -> tuple[int, int]:
        """Make ``chunk`` durable; returns (rows written, rows rejected). Raises OSError."""
        load_checks()
        if chunk.outcome is None:
            chunk.outcome = self._decide(chunk)
        outcome: Outcome = chunk.outcome
        for prepared in outcome.prepared:
            if prepared.segment_id in chunk.done:
                continue
            write_segment(
                self.path,
                "predictions",
                self.model,
                prepared.table,
                segment_id=prepared.segment_id,
            )
            chunk.done.add(prepared.segment_id)
        if outcome.rejected and "rejected" not in chunk.done:
            self._write_rejects(chunk, outcome.rejected)
            chunk.done.add("rejected")
        written = sum(p.table.num_rows for p in outcome.prepared)
        return written, sum(len(rows) for rows, _ in outcome.rejected)

    def tables(self, chunk: Chunk) -> list[pa.Table]:
        """The tables written for ``chunk`` (after :meth:`write`)."""
        outcome: Outcome | None = chunk.outcome
        return [] if outcome is None else [p.table for p in outcome.prepared]

    # -- checking -----------------------------------------------------------------------------

    def _prepare(self, chunk: Chunk, rows: list[int] | None) -> PreparedBatch | None:
        from diaglab.store.producer import prepare_predictions

        b = chunk.batch(rows)
        columns = feature_names(b["features"])
        return prepare_predictions(
            self.registry,
            self.model,
            b["features"],
            b["predictions"],
            prediction_ids=b["prediction_ids"],
            timestamps=b["timestamps"],
            model_version=self.model_version,
            latency_ms=b["latency_ms"],
            trace_ids=b["trace_ids"],
            errors=b["errors"],
            categorical=[c for c in self.categorical if c in columns],
            unique_ids=False,
            sensitive=[c for c in self.sensitive if c in columns],
            resources=b["resources"],
        )

    def _decide(self, chunk: Chunk) -> Outcome:
        try:
            prepared = self._prepare(chunk, None)
        except OSError:
            raise
        except Exception as exc:
            return self._quarantine(chunk, exc)
        return Outcome([] if prepared is None else [prepared], [])

    def _quarantine(self, chunk: Chunk, exc: Exception) -> Outcome:
        everything = list(range(chunk.n))
        if chunk.n == 1 or self._batch_level(chunk):
            return Outcome([], [(everything, _reason(exc))])
        good: list[list[int]] = []
        rejected: list[tuple[list[int], str]] = []
        # Bisect on checks only; a few bad rows cost a few extra checks, never extra segments.
        stack = [everything[len(everything) // 2 :], everything[: len(everything) // 2]]
        while stack:
            rows = stack.pop()
            try:
                self._prepare(chunk, rows)
            except OSError:
                raise
            except Exception as err:
                if len(rows) == 1:
                    rejected.append((rows, _reason(err)))
                else:
                    half = len(rows) // 2
                    stack += [rows[half:], rows[:half]]
                continue
            good.append(rows)
        keep = sorted(i for rows in good for i in rows)
        prepared: list[PreparedBatch] = []
        if keep:
            try:
                one = self._prepare(chunk, keep)
                prepared = [] if one is None else [one]
            except OSError:
                raise
            except Exception:  # rows that pass alone but not together: one segment per group
                prepared = [p for rows in good if (p := self._prepare(chunk, rows)) is not None]
        return Outcome(prepared, _merge(rejected))

    def _batch_level(self, chunk: Chunk) -> bool:
        """Whether the batch fails for its columns (names, types), whatever its rows hold."""
        from diaglab.store import batch as checks

        # the whole chunk's column types, none of its values
        features = chunk.batch()["features"]
        empty = features.slice(0, 0) if isinstance(features, pa.Table) else features.iloc[:0]
        schema = self.registry.get(self.model) or ModelSchema(self.model)
        names = feature_names(features)
        try:
            table = checks.as_arrow_table(empty)
            checks.check_features(
                table,
                schema=schema,
                categorical=[c for c in self.categorical if c in names] or None,
            )
        except InputError:
            return True
        except Exception:
            return False
        return False

    # -- quarantine ---------------------------------------------------------------------------

    def _write_rejects(self, chunk: Chunk, rejected: list[tuple[list[int], str]]) -> None:
        directory = layout.rejected_dir(self.path, self.model)
        directory.mkdir(parents=True, exist_ok=True)
        lines = []
        for rows, reason in rejected:
            b = chunk.batch(rows)
            features = b["features"]
            if isinstance(features, pa.Table):
                features = features.to_pandas()
            timestamps = b["timestamps"]
            if isinstance(timestamps, pa.Array):
                timestamps = timestamps.to_pandas()
            record = {
                "reason": reason,
                "model_version": self.model_version,
                "features": self._hidden(features).to_dict("records"),
                "prediction": _plain(b["predictions"]),
                "prediction_ids": _values(b["prediction_ids"]),
                "trace_ids": _values(b["trace_ids"]),
                "timestamps": [_iso(v) for v in timestamps],
                "latency_ms": [None if np.isnan(v) else float(v) for v in b["latency_ms"]],
                "errors": _values(b["errors"]),
            }
            lines.append(json.dumps(record, default=str, ensure_ascii=False))
        final = directory / f"{chunk.key}.jsonl"
        tmp = directory / f".{chunk.key}.jsonl.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        n = sum(len(rows) for rows, _ in rejected)
        reasons = "; ".join(dict.fromkeys(reason for _, reason in rejected))
        log.warning(
            "diaglab Logger(%s) rejected %d of %d row(s) into %s: %s",
            self.model,
            n,
            chunk.n,
            final,
            reasons if len(reasons) < 500 else reasons[:500] + "…",
        )

    def _hidden(self, features: pd.DataFrame) -> pd.DataFrame:
        """``features`` with the sensitive columns as keyed hashes: rejects stay hashed too."""
        import pandas as pd

        schema = self.registry.get(self.model)
        names = dict.fromkeys((*self.sensitive, *(schema.sensitive if schema else ())))
        hidden = [c for c in names if c in features.columns]
        if not hidden:
            return features
        key = store_key(self.path)
        out = features.copy()
        for c in hidden:
            out[c] = [None if pd.isna(v) else keyed_hash(key, str(v)) for v in out[c]]
        return out


def _reason(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _merge(rejected: list[tuple[list[int], str]]) -> list[tuple[list[int], str]]:
    """Rejected rows grouped by reason: one record per reason, not per row."""
    by_reason: dict[str, list[int]] = {}
    for rows, reason in rejected:
        by_reason.setdefault(reason, []).extend(rows)
    return [(sorted(rows), reason) for reason, rows in by_reason.items()]


def _iso(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).isoformat()
    return value


def _plain(predictions: Any) -> Any:
    return np.asarray(predictions).tolist()


def _values(column: Any) -> list[Any]:
    """A batch's column (an Arrow array or a list) as Python values."""
    return column.to_pylist() if isinstance(column, pa.Array) else list(column)


def feature_names(features: pa.Table | pd.DataFrame) -> list[str]:
    """The names of a batch's features (an Arrow table or a DataFrame)."""
    if isinstance(features, pa.Table):
        return features.column_names
    return [str(c) for c in features.columns]
