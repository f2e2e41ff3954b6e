"""Importing a CSV or Parquet file into a store, all or nothing (``diaglab ingest``).

A file is read twice. The first pass reads every chunk and checks it exactly as the store will
(the features against a scratch copy of the model's schema, outputs, ids, timestamps, labels),
and writes nothing; a bad value anywhere, in the first chunk or the last, stops the import before
the first row is stored, with an error naming the file, the line (CSV) or row (Parquet) and the
column. The second pass logs the chunks.

CSV column types are inferred from the first block (64 MB) of the file. A column that turns out
to hold fractions after whole numbers is read as numbers throughout (the first pass starts over
with that column as float64); any other change of type is an error naming the line, the column
and the value.

What the first pass cannot foresee is the disk: if it fills up during the second pass, the
chunks written so far stay stored and the error says how many rows that is (see
docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from diaglab.errors import DiaglabError, DuplicateIdError, InputError, StorageError, unknown
from diaglab.store import batch, layout
from diaglab.store.producer import prepare_predictions
from diaglab.store.schema import SchemaRegistry

CSV_BLOCK_BYTES = 64 << 20
_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to ([\w\[\], ]+): "
    r"invalid value '(.*)'",
    re.S,
)


@dataclass
class FileImport:
    """What to import: the file, its kind and the columns that carry each role."""

    path: Path
    kind: str
    model: str
    model_version: str = "v1"
    id_col: str | None = "prediction_id"
    timestamp_col: str | None = "timestamp"
    prediction_col: str | None = "prediction"
    label_col: str | None = "label"
    latency_col: str | None = "latency_ms"
    trace_col: str | None = "trace_id"
    categorical: list[str] | None = None
    assume_utc: bool = False
    chunk_rows: int = 500_000
    _csv_types: dict[str, pa.DataType] = field(default_factory=dict)

    # -- reading -----------------------------------------------------------------------------

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() in (".csv", ".tsv")

    def where(self, first: int, n: int) -> str:
        """The rows ``first .. first+n-1`` (0-based) as a reader finds them in the file."""
        if self.is_csv:  # line 1 is the header
            return f"{self.path.name} lines {first + 2}-{first + n + 1}"
        return f"{self.path.name} rows {first + 1}-{first + n}"

    def chunks(self) -> Iterator[tuple[int, pa.Table]]:
        """(first row, chunk) pairs; errors name the file and what is wrong with it."""
        suffix = self.path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            yield from self._parquet()
        elif self.is_csv:
            yield from self._csv()
        else:
            raise InputError(f"cannot ingest {self.path.name!r}: use a .parquet or .csv file")

    def _parquet(self) -> Iterator[tuple[int, pa.Table]]:
        import pyarrow.parquet as pq

        try:
            reader = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{self.path.name} is not a readable Parquet file ({exc})") from None
        first = 0
        try:
            for rb in reader.iter_batches(batch_size=self.chunk_rows):
                yield first, pa.Table.from_batches([rb])
                first += rb.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(
                f"{self.path.name} is damaged after row {first} ({exc}); nothing was stored"
            ) from None

    def _csv(self) -> Iterator[tuple[int, pa.Table]]:
        import pyarrow.csv as pacsv

        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path.name} is empty: a CSV file needs a header line")
        parse = pacsv.ParseOptions(delimiter="\t" if self.path.suffix.lower() == ".tsv" else ",")
        try:
            reader = pacsv.open_csv(
                self.path,
                parse_options=parse,
                read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                convert_options=pacsv.ConvertOptions(column_types=self._csv_types),
            )
        except pa.ArrowInvalid as exc:
            raise InputError(f"{self.path.name} cannot be read as CSV ({exc})") from None
        names = reader.schema.names
        first = 0
        pending: list[pa.RecordBatch] = []
        rows = 0
        while True:
            try:
                rb = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise self._conversion_error(exc, names, first + rows) from None
            pending.append(rb)
            rows += rb.num_rows
            while rows >= self.chunk_rows:
                table = pa.Table.from_batches(pending)
                yield first, table.slice(0, self.chunk_rows)
                rest = table.slice(self.chunk_rows)
                first, rows = first + self.chunk_rows, rest.num_rows
                pending = rest.to_batches()
        if rows:
            yield first, pa.Table.from_batches(pending)

    def _conversion_error(self, exc: pa.ArrowInvalid, names: list[str], after: int) -> Exception:
        m = _CONVERSION.search(str(exc))
        if not m:
            return InputError(
                f"{self.path.name} cannot be read as CSV after line {after + 1} ({exc})"
            )
        column, wanted, value = names[int(m.group(1))], m.group(2), m.group(3)
        if wanted.startswith(("int", "uint")) and _is_number(value):
            return _Widen(column)
        line = self._line_of(column, value, after)
        return InputError(
            f"{self.path.name} line {line}, column {column!r}: {value!r} is not {wanted} like the "
            f"values before it (a CSV column's type is read from its first "
            f"{CSV_BLOCK_BYTES >> 20} MB); fix the value or the column; nothing was stored"
        )

    def _line_of(self, column: str, value: str, after: int) -> str:
        """The line (header = 1) where ``column`` first holds ``value`` at or after row
        ``after``."""
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        parse = pacsv.ParseOptions(delimiter="\t" if self.path.suffix.lower() == ".tsv" else ",")
        reader = pacsv.open_csv(
            self.path,
            parse_options=parse,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=pacsv.ConvertOptions(
                include_columns=[column], column_types={column: pa.string()}
            ),
        )
        seen = 0
        for rb in reader:
            hits = pc.indices_nonzero(pc.equal(rb.column(0), value)).to_pylist()
            for i in hits:
                if seen + i >= after:
                    return str(seen + i + 2)
            seen += rb.num_rows
        return f"after {after + 1}"

    # -- checking and logging ----------------------------------------------------------------

    def run(self, store: Any) -> int:
        """Check every chunk, then log them; returns the rows logged."""
        for _ in range(64):  # each retry widens one more integer column to float
            try:
                if self.kind == "reference":  # one set_reference call: all or nothing itself
                    return self._reference(store)
                self._check(store)
                break
            except _Widen as widen:
                self._csv_types[widen.column] = pa.float64()
        else:
            raise InputError(f"{self.path.name}: too many columns change type")
        total = 0
        try:
            for first, chunk in self.chunks():
                with self._located(first, chunk.num_rows):
                    self._log(store, chunk)
                total += chunk.num_rows
        except StorageError as exc:
            raise StorageError(
                f"{exc} ({total} rows of {self.path.name} were stored before it: they stay stored)"
            ) from exc
        return total

    def _check(self, store: Any) -> None:
        scratch = Path(tempfile.mkdtemp(prefix="diaglab-ingest-"))
        try:
            schema_file = layout.schema_path(store.path, self.model)
            if schema_file.is_file():
                layout.model_dir(scratch, self.model).mkdir(parents=True)
                shutil.copy(schema_file, layout.schema_path(scratch, self.model))
            elif self.kind == "labels":
                raise unknown("model", self.model, store.models())
            registry = SchemaRegistry(scratch)
            seen: set[str] = set()
            for first, chunk in self.chunks():
                with self._located(first, chunk.num_rows):
                    self._check_chunk(store, registry, chunk, seen)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _check_chunk(
        self, store: Any, registry: SchemaRegistry, chunk: pa.Table, seen: set[str]
    ) -> None:
        t, ids = _pop(chunk, self.id_col, flag="--id-col", required=self.kind == "labels")
        t, ts = _pop(t, self.timestamp_col, flag="--timestamp-col", required=False)
        n = chunk.num_rows
        if self.kind == "labels":
            t, labels = _pop(t, self.label_col, flag="--label-col", required=True)
            schema = store.schema(self.model)
            batch.check_ids(ids, n, segment_id="0" * 24, unique=False)
            batch.check_labels(labels, n, task=schema.task, model=self.model)
            batch.to_utc(_timestamps(ts, self.assume_utc, self.timestamp_col), n)
            return
        t, preds = _pop(t, self.prediction_col, flag="--prediction-col", required=True)
        t, latency = _pop(t, self.latency_col, flag="--latency-col", required=False)
        t, traces = _pop(t, self.trace_col, flag="--trace-col", required=False)
        prepared = prepare_predictions(
            registry,
            self.model,
            t,
            preds,
            prediction_ids=ids,
            timestamps=_timestamps(ts, self.assume_utc, self.timestamp_col),
            model_version=self.model_version,
            latency_ms=latency,
            trace_ids=traces,
            categorical=self.categorical,
        )
        if prepared is None or ids is None:
            return
        chunk_ids = prepared.ids.to_pylist()
        again = seen.intersection(chunk_ids)
        if again:
            raise DuplicateIdError(
                f"the id {sorted(again)[0]!r} occurs twice in the file (--id-col {self.id_col!r})"
            )
        seen.update(chunk_ids)
        stored = store.stored_ids(self.model, prepared.ids) if self.model in store.models() else []
        if stored:
            raise DuplicateIdError(
                f"ids already stored for model {self.model!r}: {', '.join(map(repr, stored))}"
            )

    def _log(self, store: Any, chunk: pa.Table) -> None:
        t, ids = _pop(chunk, self.id_col, flag="--id-col", required=self.kind == "labels")
        t, ts = _pop(t, self.timestamp_col, flag="--timestamp-col", required=False)
        stamps = _timestamps(ts, self.assume_utc, self.timestamp_col)
        if self.kind == "labels":
            t, labels = _pop(t, self.label_col, flag="--label-col", required=True)
            store.log_labels(self.model, ids, labels, stamps)
            return
        t, preds = _pop(t, self.prediction_col, flag="--prediction-col", required=True)
        t, latency = _pop(t, self.latency_col, flag="--latency-col", required=False)
        t, traces = _pop(t, self.trace_col, flag="--trace-col", required=False)
        store.log(
            self.model,
            t,
            preds,
            prediction_ids=ids,
            timestamps=stamps,
            model_version=self.model_version,
            latency_ms=latency,
            trace_ids=traces,
            categorical=self.categorical,
        )

    def _reference(self, store: Any) -> int:
        """A reference replaces the version's earlier one, so the whole file is one call."""
        chunks = [c for _, c in self.chunks()]
        if not chunks:
            raise InputError(f"{self.path.name} has no rows")
        with self._located(0, sum(c.num_rows for c in chunks)):
            table = pa.concat_tables(chunks, promote_options="permissive")
            t, labels = _pop(table, self.label_col, flag="--label-col", required=False)
            t, preds = _pop(t, self.prediction_col, flag="--prediction-col", required=False)
            for col in (self.id_col, self.timestamp_col):
                t, _ = _pop(t, col, flag="", required=False)
            return int(
                store.set_reference(
                    self.model,
                    t,
                    labels=labels,
                    predictions=preds,
                    model_version=self.model_version,
                    categorical=self.categorical,
                )
            )

    @contextlib.contextmanager
    def _located(self, first: int, n: int) -> Iterator[None]:
        """Errors raised for a chunk name the file and the chunk's lines (or rows)."""
        try:
            yield
        except StorageError:
            raise
        except DiaglabError as exc:
            if self.path.name in str(exc):
                raise
            raise type(exc)(f"{self.where(first, n)}: {exc}; nothing was stored") from exc


class _Widen(Exception):
    """An integer CSV column holds a fraction further down: read it as float64."""

    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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


def _timestamps(values: object, assume_utc: bool, column: str | None) -> object:
    import pandas as pd

    if values is None:
        return None
    try:
        ts = pd.to_datetime(values)  # type: ignore[call-overload]
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"column {column!r} cannot be read as timestamps ({exc})") from None
    if ts.dt.tz is None and assume_utc:
        ts = ts.dt.tz_localize("UTC")
    return ts
