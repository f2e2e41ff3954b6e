"""``Logger``: thread-safe, buffered logging of predictions from a live service."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from diaglab.errors import InputError, LoggerFullError, LogWriteError
from diaglab.producers import lifecycle
from diaglab.producers.buffer import Block, Chunk, frame_columns, is_frame, share_labels
from diaglab.producers.calls import call_predictions, each
from diaglab.producers.flush import ChunkWriter
from diaglab.producers.health import LoggerStats, describe, health_report
from diaglab.producers.ids import IdRange
from diaglab.producers.resources import Usage, logged_usage
from diaglab.store import object_store
from diaglab.store._ids import MAX_ROWS_PER_SEGMENT, ROW_DIGITS, new_segment_id
from diaglab.store.compaction import BackgroundCompaction
from diaglab.store.schema import SchemaRegistry
from diaglab.store.segments import PLAIN_SEGMENT_ROWS, check_model_name

if TYPE_CHECKING:
    import pandas as pd

WHEN_FULL = ("block", "drop_oldest")
DEFAULT_MAX_PENDING = 200_000
# Seconds between retries of a write that failed for a reason outside the rows (disk full, I/O):
# from the first to the last, doubling.
RETRY_SECONDS = (0.05, 5.0)


class Logger:
    """Log predictions from a service; rows reach the store in segments.

    ``log`` appends to an in-memory columnar buffer (microseconds, safe from many threads). A
    background thread writes one segment when ``flush_rows`` rows are waiting or the oldest is
    ``flush_seconds`` old, so a crash (SIGKILL, power loss) loses at most the last
    ``flush_seconds`` of traffic and the number of segments per minute is bounded by the flush
    policy, not by the traffic. A SIGTERM (uvicorn, gunicorn, Kubernetes), ``close()``, leaving a
    ``with`` block and interpreter exit write everything (see :mod:`diaglab.producers.lifecycle`).
    Many processes may log into one store at once, and a Logger survives ``fork``.

    Rows are released from the buffer only once their segment is durable. Rows that cannot be
    stored (e.g. text in a numeric feature) are quarantined with the reason in
    ``rejected/<model>/<chunk>.jsonl`` (one WARNING per batch) and counted in ``rejected``. A
    failure that is not the rows' fault (disk full, I/O error, permission) keeps them buffered
    and retries with backoff; ``close()`` raises :class:`~diaglab.errors.LogWriteError` naming how
    many rows could not be written and why.

    Parameters
    ----------
    path : str or Path
        The store directory.
    model, model_version : str
    flush_rows : int, default 65_536
        Rows per segment at most (a bigger DataFrame logged at once stays one segment). The
        default is the largest segment written without Parquet dictionaries: under traffic of
        fewer rows per ``flush_seconds`` per process, one segment per ``flush_seconds``, whose
        fixed cost (~5 ms: checks, Parquet footer, fsyncs, audit record) is then paid once.
    flush_seconds : float, default 1.0
        Age of the oldest buffered row that triggers a write.
    max_pending_rows : int, optional
        Bound of the buffer (rows not yet durable), at least ``flush_rows``; by default
        200,000 (or ``flush_rows``, if larger): about 200 MB for rows of 20 features.
    when_full : {"block", "drop_oldest"}, default "block"
        What ``log`` does when the buffer is full (the store cannot be written fast enough, or
        not at all): ``"block"`` waits up to ``block_seconds`` for room, then raises
        :class:`~diaglab.errors.LoggerFullError` (the call is not logged, the caller decides);
        ``"drop_oldest"`` never waits: it drops the oldest buffered rows, counted in ``dropped``.
    block_seconds : float, default 1.0
    categorical : sequence of str, optional
        Features to store as categories even when their values are numbers.
    prometheus : bool or prometheus_client.CollectorRegistry, optional
        Also count calls, rows, errors, latency, rejected and dropped rows, write errors and the
        backlog as Prometheus metrics labelled by model and version (``True``: the default
        registry); see :mod:`diaglab.producers.prometheus`.
    sensitive : sequence of str, optional
        Features stored as keyed hashes, never in clear (see ``Store.log``).
    compact_every : float, optional
        Also merge the model's small segments every this many seconds, on a thread of its own
        (:class:`~diaglab.store.compaction.BackgroundCompaction`; one producer per store is
        enough). Off by default.

    Examples
    --------
    >>> with dl.Logger("store", model="credit", model_version="v1") as logger:  # doctest: +SKIP
    ...     logger.log({"age": 41, "region": "north"}, 0.12, latency_ms=3.1)
    """

    def __init__(
        self,
        path: str | Path,
        model: str,
        model_version: str = "v1",
        *,
        flush_rows: int = PLAIN_SEGMENT_ROWS,
        flush_seconds: float = 1.0,
        max_pending_rows: int | None = None,
        when_full: Literal["block", "drop_oldest"] = "block",
        block_seconds: float = 1.0,
        categorical: Sequence[str] | None = None,
        prometheus: Any = None,
        sensitive: Sequence[str] | None = None,
        compact_every: float | None = None,
    ) -> None:
        if flush_rows < 1 or flush_seconds <= 0:
            raise InputError("flush_rows must be >= 1 and flush_seconds > 0")
        if max_pending_rows is None:
            max_pending_rows = max(DEFAULT_MAX_PENDING, flush_rows)
        if max_pending_rows < flush_rows:
            raise InputError(
                f"max_pending_rows ({max_pending_rows}) must be at least flush_rows ({flush_rows})"
            )
        if when_full not in WHEN_FULL:
            raise InputError(f"when_full must be one of {', '.join(WHEN_FULL)}; not {when_full!r}")
        if block_seconds < 0:
            raise InputError(f"block_seconds must be >= 0, not {block_seconds}")
        self.path = object_store.local_root(path)
        self.model = check_model_name(model)
        self.model_version = model_version
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.max_pending_rows = max_pending_rows
        self.when_full = when_full
        self.block_seconds = block_seconds
        self.categorical = list(categorical or ())
        self.sensitive = [sensitive] if isinstance(sensitive, str) else list(sensitive or ())
        self._prometheus = _prometheus_metrics(prometheus, self.model, model_version)
        self._writer = ChunkWriter(
            self.path,
            self.model,
            model_version,
            self.categorical,
            self.sensitive,
            SchemaRegistry(self.path),
        )
        self._reset()
        lifecycle.register(self)
        self._compaction = (
            BackgroundCompaction(self.path, every=compact_every, models=[self.model])
            if compact_every is not None
            else None
        )

    def _reset(self) -> None:
        """A fresh buffer, locks and counters (at creation and in a forked child)."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._room = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._hot: Chunk | None = None
        self._labels: Any = None  # the column labels of the last block logged
        self._sealed: deque[Chunk] = deque()
        self._inflight: Chunk | None = None
        self._pending = 0
        self._prefix = new_segment_id()
        self._counter = 0
        self._closed = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._retry_at = 0.0
        self._backoff = 0.0
        self.written = 0
        self.rejected = 0
        self.dropped = 0
        self.write_errors = 0
        self.last_error: str | None = None

    # -- the hot path -----------------------------------------------------------------------

    def log(
        self,
        features: Mapping[str, Any] | pd.DataFrame,
        prediction: Any,
        prediction_id: Any = None,
        timestamp: Any = None,
        latency_ms: Any = None,
        trace_id: Any = None,
        *,
        error: str | None = None,
        usage: Usage | None = None,
    ) -> Any:
        """Buffer one prediction (``features`` a dict) or a batch (a DataFrame).

        Returns the prediction id (a list of ids for a batch). Values are checked when their
        segment is written; a row that fails goes to ``rejected/``. For a batch, ``latency_ms``
        is the call's latency (one number) or one per row; ``timestamp``, ``trace_id`` and
        ``error`` one value for all rows or one per row. ``usage`` is what the call cost
        (:mod:`diaglab.producers.resources`; ``instrument`` measures it); without it the
        process's peak memory, the rows and the input size are recorded.
        """
        if is_frame(features):
            n, width = features.shape
            if usage is None:
                usage = logged_usage(n, width)
            if n == 0:
                return []
            ids = self._log_columns(
                frame_columns(features),
                n,
                prediction,
                prediction_id,
                timestamp,
                latency_ms,
                trace_id,
                error=error,
                usage=usage,
            )
            return ids.strings() if isinstance(ids, IdRange) else ids
        if not isinstance(features, Mapping):
            raise InputError(
                f"features must be a dict of one row or a DataFrame, not {type(features).__name__}"
            )
        if usage is None:
            usage = logged_usage(1, len(features))
        if not lifecycle.installed():
            lifecycle.install_signal_handler()  # never under the lock: it may wait for the loop
        with self._lock:
            if not self._admit(1):
                return None if prediction_id is None else prediction_id
            if prediction_id is None:
                prediction_id = self._next_id()
            chunk = self._hot
            if chunk is None:
                chunk = self._hot = Chunk()
            chunk.add_row(
                features,
                prediction,
                str(prediction_id),
                time.time_ns() if timestamp is None else timestamp,
                latency_ms,
                trace_id,
                error,
                usage,
            )
            self._pending += 1
            if chunk.n >= self.flush_rows:
                self._seal()
        if self._prometheus is not None:
            self._prometheus.observe_call(1, latency_ms, int(error is not None), usage)
        return prediction_id

    def _log_columns(
        self,
        columns: Mapping[str, list[Any]] | Block,
        n: int,
        predictions: Any,
        ids: Any,
        timestamps: Any,
        latency_ms: Any,
        trace_ids: Any,
        *,
        error: Any = None,
        usage: Usage | None,
    ) -> IdRange | list[str]:
        """Buffer a batch of ``n`` rows given as columns (a DataFrame's, or an array's from
        ``instrument``); returns the ids given, or the range of those generated."""
        if n == 0:
            return []
        outputs = call_predictions(predictions, n)
        stamp = time.time_ns() if timestamps is None else each(timestamps, n, name="timestamp")
        latency = each(latency_ms, n, name="latency_ms")
        trace = each(trace_ids, n, name="trace_id")
        failure = each(error, n, name="error")
        given = None if ids is None else each(ids, n, name="prediction_id")
        if given is not None:
            given = [str(i) for i in given] if type(given) is list else [str(given)] * n
        if isinstance(columns, Block):  # before the lock (see share_labels)
            columns = share_labels(columns, self._labels)
        if not lifecycle.installed():
            lifecycle.install_signal_handler()
        with self._lock:
            if not self._admit(n):
                return given or []
            out = given or self._next_ids(n)
            chunk = self._hot
            if chunk is None:
                chunk = self._hot = Chunk()
            chunk.add_columns(columns, n, outputs, out, stamp, latency, trace, failure, usage)
            if isinstance(columns, Block):
                self._labels = columns.labels
            self._pending += n
            if chunk.n >= self.flush_rows:
                self._seal()
        if self._prometheus is not None:
            if type(failure) is list:
                failed = sum(e is not None for e in failure)
            else:
                failed = 0 if failure is None else n
            self._prometheus.observe_call(n, latency_ms, failed, usage)
        return out

    def _admit(self, n: int) -> bool:
        """Under the lock: whether ``n`` more rows may be buffered now (see ``when_full``)."""
        if self._closed:
            raise InputError(f"this Logger for {self.model!r} is closed")
        if self._thread is None:
            self._start()
        if self._pending == 0 or self._pending + n <= self.max_pending_rows:
            return True
        if self.when_full == "drop_oldest":
            return self._drop_oldest(n)
        deadline = time.monotonic() + self.block_seconds
        while self._pending and self._pending + n > self.max_pending_rows:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                raise LoggerFullError(
                    f"the Logger of {self.model!r} holds {self._pending} unwritten rows "
                    f"(max_pending_rows={self.max_pending_rows}) and could not write any for "
                    f"{self.block_seconds} s"
                    + (f": {self.last_error}" if self.last_error else "")
                    + "; this call was not logged (when_full='drop_oldest' drops old rows instead)"
                )
            self._room.wait(remaining)
        return True

    def _drop_oldest(self, n: int) -> bool:
        for chunk in [*self._sealed, *([self._hot] if self._hot else [])]:
            if self._pending + n <= self.max_pending_rows:
                break
            if chunk is self._inflight:
                continue
            if chunk is self._hot:
                self._hot = None
            else:
                self._sealed.remove(chunk)
            self._pending -= chunk.n
            self.dropped += chunk.n
            if self._prometheus is not None:
                self._prometheus.dropped(chunk.n)
        if self._pending and self._pending + n > self.max_pending_rows:
            self.dropped += n
            if self._prometheus is not None:
                self._prometheus.dropped(n)
            return False
        return True

    def _next_ids(self, n: int) -> IdRange:
        if self._counter + n > MAX_ROWS_PER_SEGMENT:
            self._prefix, self._counter = new_segment_id(), 0
        start, self._counter = self._counter, self._counter + n
        return IdRange(self._prefix, start, n)

    def _next_id(self) -> str:
        """One generated id as text (a dict row's, returned at once)."""
        if self._counter >= MAX_ROWS_PER_SEGMENT:
            self._prefix, self._counter = new_segment_id(), 0
        self._counter += 1
        return f"{self._prefix}{self._counter - 1:0{ROW_DIGITS}x}"

    # -- writing -------------------------------------------------------------------------------

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="diaglab-logger", daemon=True)
        self._thread.start()

    def _seal(self) -> None:
        """Under the lock: the hot chunk joins the chunks to write."""
        if self._hot is not None and self._hot.n:
            self._sealed.append(self._hot)
            self._wake.notify()
        self._hot = None

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    hot = self._hot
                    if hot is not None and now - hot.started >= self.flush_seconds:
                        self._seal()
                    if self._sealed and now >= self._retry_at:
                        break
                    wait = self.flush_seconds if hot is None else hot.started + self.flush_seconds
                    if hot is not None:
                        wait -= now
                    if self._sealed:
                        wait = min(wait, self._retry_at - now)
                    self._wake.wait(max(wait, 0.001))
            try:
                self._write_sealed()
            except LogWriteError:
                pass  # counted and kept; retried after the backoff
            except Exception:  # never let the writer die: the rows stay buffered
                lifecycle.log.exception("diaglab Logger(%s) writer", self.model)
                with self._lock:
                    self._retry_at = time.monotonic() + RETRY_SECONDS[1]

    def _write_sealed(self) -> int:
        """Write every sealed chunk, oldest first; raises LogWriteError (rows kept) on OSError."""
        total = 0
        with self._write_lock:
            while True:
                with self._lock:
                    if not self._sealed:
                        return total
                    chunk = self._inflight = self._sealed[0]
                try:
                    written, rejected = self._writer.write(chunk)
                except OSError as exc:
                    with self._lock:
                        self._inflight = None
                        self.write_errors += 1
                        self.last_error = describe(exc, self.path)
                        self._backoff = min(
                            max(RETRY_SECONDS[0], self._backoff * 2), RETRY_SECONDS[1]
                        )
                        self._retry_at = time.monotonic() + self._backoff
                        pending = self._pending
                    if self._prometheus is not None:
                        self._prometheus.write_error(pending)
                    raise LogWriteError(
                        f"{pending} row(s) of {self.model!r} are not written yet "
                        f"(kept in memory, retried): {self.last_error}"
                    ) from exc
                with self._lock:
                    self._inflight = None
                    if self._sealed and self._sealed[0] is chunk:
                        self._sealed.popleft()
                    self._pending -= chunk.n
                    self.written += written
                    self.rejected += rejected
                    self.last_error = None
                    self._backoff = 0.0
                    self._retry_at = 0.0
                    pending = self._pending
                    self._room.notify_all()
                if self._prometheus is not None:
                    self._prometheus.wrote(written, rejected, pending)
                total += written

    def flush(self) -> int:
        """Write everything buffered now; returns the number of rows written.

        Raises :class:`~diaglab.errors.LogWriteError` when the store cannot be written (the rows
        stay buffered and are retried).
        """
        with self._lock:
            self._seal()
        return self._write_sealed()

    def drain(self, *, timeout: float) -> int:
        """Write everything buffered now, retrying until ``timeout`` seconds have passed;
        returns the rows still pending (0 when all are durable)."""
        deadline = time.monotonic() + timeout
        delay = RETRY_SECONDS[0]
        while True:
            try:
                self.flush()
                return self._pending
            except LogWriteError:
                if time.monotonic() + delay > deadline:
                    return self._pending
                time.sleep(delay)
                delay = min(delay * 2, RETRY_SECONDS[1])

    # -- health ----------------------------------------------------------------------------

    def stats(self) -> LoggerStats:
        """The Logger's counters now (see :class:`LoggerStats`)."""
        with self._lock:
            chunks = [*self._sealed, *([self._hot] if self._hot else [])]
            oldest = min((c.started for c in chunks), default=None)
            alive = self._closed or self._thread is None or self._thread.is_alive()
            return LoggerStats(
                written=self.written,
                rejected=self.rejected,
                dropped=self.dropped,
                pending=self._pending,
                oldest_pending_seconds=0.0 if oldest is None else time.monotonic() - oldest,
                write_errors=self.write_errors,
                writer_alive=alive,
                last_error=self.last_error,
            )

    def health(self) -> dict[str, Any]:
        """For a service's health endpoint: ``{"ok": bool, "problems": [...], **stats}`` (see
        :func:`diaglab.producers.health.health_report` for what is a problem)."""
        return health_report(
            self.stats(), max_pending_rows=self.max_pending_rows, flush_seconds=self.flush_seconds
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self, *, timeout: float | None = 10.0) -> None:
        """Write everything and stop the writer; further ``log`` calls raise.

        Retries a failing store for up to ``timeout`` seconds (None: 10 s), then raises
        :class:`~diaglab.errors.LogWriteError` naming how many rows were not written and why
        (they stay in memory: calling ``close()`` again retries them).
        """
        limit = 10.0 if timeout is None else timeout
        deadline = time.monotonic() + limit
        with self._lock:
            if self._closed and not self._pending:
                return
            self._closed = self._stopping = True
            self._wake.notify_all()
            self._room.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(limit)
            if thread.is_alive():  # a write that hangs (e.g. a stalled network file system)
                raise LogWriteError(
                    f"{self._pending} row(s) of {self.model!r} are not written: a write to "
                    f"{self.path} was still in progress after {limit} s"
                )
        left = self.drain(timeout=max(deadline - time.monotonic(), 0.0))
        if left:
            raise LogWriteError(
                f"{left} row(s) of {self.model!r} could not be written to {self.path}: "
                f"{self.last_error}; they are still in this process's memory (close() again "
                f"retries) and are lost when it exits"
            )
        lifecycle.unregister(self)
        if self._compaction is not None:
            self._compaction.close()

    def _before_fork(self) -> None:
        self._lock.acquire()

    def _after_fork_in_parent(self) -> None:
        self._lock.release()

    def _after_fork_in_child(self) -> None:
        # the parent writes what was buffered at fork; the child starts empty, with new ids
        closed = self._closed
        self._reset()
        self._closed = closed

    def __enter__(self) -> Logger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<diaglab.Logger {self.model!r} {self.model_version!r} into {str(self.path)!r}: "
            f"{s.written} written, {s.pending} pending, {s.rejected} rejected"
            + (f", {s.dropped} dropped" if s.dropped else "")
            + (f"; last error: {s.last_error}" if s.last_error else "")
            + ">"
        )


def _prometheus_metrics(prometheus: Any, model: str, version: str) -> Any:
    if prometheus is None or prometheus is False:
        return None
    from diaglab.producers.prometheus import PrometheusMetrics

    return PrometheusMetrics(prometheus, model, version)
