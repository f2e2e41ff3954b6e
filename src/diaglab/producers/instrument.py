"""``instrument``: wrap a model so every call is logged with its latency and failures."""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any

import numpy as np

from diaglab.errors import InputError
from diaglab.producers.buffer import Block, array_columns, frame_columns, is_frame
from diaglab.producers.ids import IdRange
from diaglab.producers.logger import Logger
from diaglab.producers.resources import Probe


class Instrumented:
    """A model whose ``predict`` / ``predict_proba`` log inputs, outputs, latency and errors.

    Any other attribute is the wrapped model's. A call that raises is logged as one error row
    per input row (the error text, no output) and the exception is re-raised unchanged.

    The ids of the rows a call logged are ``last_prediction_ids`` (one per input row), kept per
    thread and per asyncio task, so a service can return them and ``store.log_labels`` them
    later; or pass your own ids with ``prediction_ids=``.

    Examples
    --------
    >>> proba = model.predict_proba(X)                                   # doctest: +SKIP
    >>> ids = model.last_prediction_ids  # e.g. returned in the response  # doctest: +SKIP
    """

    def __init__(self, estimator: Any, logger: Logger) -> None:
        self.estimator = estimator
        self.logger = logger
        # a call's ids as logged: their strings are built only when asked for
        self._ids: ContextVar[IdRange | list[str] | None] = ContextVar(
            f"diaglab_ids_{id(self)}", default=None
        )

    @property
    def last_prediction_ids(self) -> list[str] | None:
        """The prediction ids of this thread's (or task's) last call, None before any."""
        ids = self._ids.get()
        if isinstance(ids, IdRange):
            ids = ids.strings()
            self._ids.set(ids)
        return ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self.estimator, name)

    def predict(self, X: Any, *, trace_id: Any = None, prediction_ids: Any = None) -> Any:
        return self._call("predict", X, trace_id, prediction_ids)

    def predict_proba(self, X: Any, *, trace_id: Any = None, prediction_ids: Any = None) -> Any:
        return self._call("predict_proba", X, trace_id, prediction_ids)

    def _call(self, method: str, X: Any, trace_id: Any, prediction_ids: Any) -> Any:
        columns, n, width = self._columns(X)
        if trace_id is None:
            trace_id = current_trace_id()
        traces = trace_id if trace_id is None or isinstance(trace_id, str) else list(trace_id)
        if isinstance(traces, list) and len(traces) != n:
            raise InputError(f"trace_id has {len(traces)} values; expected {n} (one per row)")
        probe = Probe.start()
        try:
            out = getattr(self.estimator, method)(X)
        except Exception as exc:
            usage = probe.stop(n, width)
            ids = self.logger._log_columns(
                columns,
                n,
                None,
                prediction_ids,
                None,
                usage.wall_ms,
                traces,
                error=f"{type(exc).__name__}: {exc}",
                usage=usage,
            )
            self._ids.set(ids)
            raise
        usage = probe.stop(n, width)
        logged = np.asarray(out)
        if method == "predict_proba" and logged.ndim == 2 and logged.shape[1] == 2:
            logged = logged[:, 1]
        self._ids.set(
            self.logger._log_columns(
                columns, n, logged, prediction_ids, None, usage.wall_ms, traces, usage=usage
            )
        )
        return out

    def _columns(self, X: Any) -> tuple[dict[str, list[Any]] | Block, int, int]:
        """The input as logged, its rows and its columns; pandas only for a DataFrame (or an
        array of dates, which pandas turns into Timestamps)."""
        if is_frame(X):
            return frame_columns(X), len(X), X.shape[1]
        arr = np.asarray(X)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2:
            raise InputError(
                f"X must be one row (1-D) or rows x features (2-D), not of shape {arr.shape}"
            )
        n, width = arr.shape
        names = getattr(self.estimator, "feature_names_in_", None)
        if names is None or len(names) != width:
            names = [f"x{i}" for i in range(width)]
        names = [str(c) for c in names]
        columns = array_columns(arr, names)
        if columns is None:
            import pandas as pd

            columns = frame_columns(pd.DataFrame(arr, columns=names))
        return columns, n, width


def current_trace_id() -> str | None:
    """The trace id of the active OpenTelemetry span (32 hex digits), or None.

    Without OpenTelemetry imported there can be no active span, so it is not imported here.
    """
    otel_trace = sys.modules.get("opentelemetry.trace")
    if otel_trace is None:
        return None
    ctx = otel_trace.get_current_span().get_span_context()
    return f"{ctx.trace_id:032x}" if ctx.is_valid else None


def instrument(estimator: Any, logger: Logger) -> Instrumented:
    """Wrap ``estimator`` so its predictions are logged through ``logger``.

    Examples
    --------
    >>> model = dl.instrument(clf, dl.Logger("store", model="credit"))   # doctest: +SKIP
    >>> model.predict_proba(X, trace_id="4bf92f3577b34da6a3ce929d0e0e4736")  # doctest: +SKIP
    """
    return Instrumented(estimator, logger)
