"""The sample's request traces: one root span and three pipeline stages per request.

Every production request gets a trace under its logged ``trace_id``: a root span ``request``
(lasting exactly the logged ``latency_ms``) and, in sequence, ``feature_lookup``, ``model`` and
``postprocess``. The planted slow stage: on the scenario's slow path (``channel ==
'partner_api'`` or ``loan_amount > 50000``, whose requests take 5x longer) the extra time is
spent in ``feature_lookup`` (a bureau lookup instead of the feature cache); elsewhere ``model``
takes the most time. A few requests (trace ids starting ``000``, ~1 in 4096) fail in
``postprocess`` with an error status, and their root is marked failed too.

Everything follows from the trace id's own (random) hex digits, so the spans are the same however
the traffic is chunked, and the predictions' random streams are untouched.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from diaglab.sample import _scenario as sc
from diaglab.store.spans import SCHEMA

SERVICE = "credit-api"
ROOT = "request"
STAGES = ("feature_lookup", "model", "postprocess")
SLOW_STAGE = "feature_lookup"
FAST_STAGE = "model"
FAILED_STAGE = "postprocess"
FAILED_PREFIX = "000"
FAILED_MESSAGE = "TimeoutError: rules engine did not answer within 50 ms"
# Shares of a request's base (fast-path) latency: a gap before, between and after the stages
# takes the rest (5%).
SHARES = (0.25, 0.5, 0.2)
RESOURCE = json.dumps(
    {"deployment.environment": "production", "service.name": SERVICE}, sort_keys=True
)


def _digits(trace_ids: np.ndarray) -> np.ndarray:
    """(n, 32) hex digit values (0..15) of the trace ids."""
    raw = np.frombuffer("".join(trace_ids).encode("ascii"), dtype=np.uint8).reshape(-1, 32)
    return np.where(raw >= ord("a"), raw - ord("a") + 10, raw - ord("0")).astype(np.int64)


def span_table(
    trace_ids: np.ndarray,
    rows: np.ndarray,
    timestamps_ns: np.ndarray,
    latency_ms: np.ndarray,
    slow: np.ndarray,
    model_version: np.ndarray,
    channel: np.ndarray,
) -> pa.Table:
    """The four spans of each request, in request order (root first)."""
    n = len(trace_ids)
    d = _digits(trace_ids)
    total = np.round(np.asarray(latency_ms, dtype=np.float64) * 1e6).astype(np.int64)
    factor = np.where(slow, sc.SLOW_FACTOR, 1.0)
    base = total / factor
    # Jitter each stage's share by ±20%, from digits 20..22 of the trace id.
    jitter = 0.8 + 0.4 * d[:, 20:23] / 15.0
    shares = np.asarray(SHARES) * jitter
    shares *= 0.95 / shares.sum(axis=1, keepdims=True)
    stage = base[:, None] * shares
    stage[:, 0] += total - base  # the slow path's extra time is spent looking up features
    stage_ns = np.maximum(np.round(stage).astype(np.int64), 1)
    gaps = np.maximum((total - stage_ns.sum(axis=1)) // 4, 0)
    start = np.asarray(timestamps_ns, dtype=np.int64)
    end = start + total
    s_start = np.empty((n, 3), dtype=np.int64)
    s_start[:, 0] = start + gaps
    s_start[:, 1] = s_start[:, 0] + stage_ns[:, 0] + gaps
    s_start[:, 2] = s_start[:, 1] + stage_ns[:, 1] + gaps
    s_end = np.minimum(s_start + stage_ns, end[:, None])
    failed = np.array([t.startswith(FAILED_PREFIX) for t in trace_ids], dtype=bool)

    ids = np.asarray(trace_ids, dtype=object)
    # Span ids need only be unique within their trace: the request's row number and the stage
    # (00 for the root) keep them unique across the whole store and small on disk.
    root_ids = np.array([f"{r:014x}00" for r in rows], dtype=object)
    stage_ids = [np.array([f"{r:014x}{k + 1:02x}" for r in rows], dtype=object) for k in range(3)]

    def grid(root: np.ndarray, stages: list[np.ndarray] | np.ndarray) -> np.ndarray:
        out = np.empty((n, 4), dtype=object if root.dtype == object else root.dtype)
        out[:, 0] = root
        for k in range(3):
            out[:, k + 1] = stages[k] if isinstance(stages, list) else stages[:, k]
        return out.ravel()

    version = np.asarray(model_version, dtype=object)
    chan = np.asarray(channel, dtype=object)
    root_attrs = np.array(
        [
            json.dumps({"channel": c, "model.version": v}, sort_keys=True)
            for c, v in zip(chan, version, strict=True)
        ],
        dtype=object,
    )
    source = np.where(slow, '{"features.source":"bureau"}', '{"features.source":"cache"}')
    model_attrs = np.array(
        [f'{{"model.name":"{sc.MODEL}","model.version":"{v}"}}' for v in version], dtype=object
    )
    status = np.where(failed, "error", "ok").astype(object)
    none = np.full(n, None, dtype=object)
    message = none.copy()
    message[failed] = FAILED_MESSAGE
    root_message = none.copy()
    root_message[failed] = f"{FAILED_STAGE} failed"
    columns = {
        "trace_id": np.repeat(ids, 4),
        "span_id": grid(root_ids, stage_ids),
        "parent_span_id": grid(none, [root_ids] * 3),
        "name": np.tile(np.array((ROOT, *STAGES), dtype=object), n),
        "kind": np.tile(np.array(["server", "internal", "internal", "internal"], object), n),
        "service_name": np.full(4 * n, SERVICE, dtype=object),
        "start_ns": grid(start, s_start),
        "end_ns": grid(end, s_end),
        "status": grid(status, [np.full(n, "ok", object), np.full(n, "ok", object), status]),
        "status_message": grid(root_message, [none, none, message]),
        "attributes": grid(root_attrs, [source.astype(object), model_attrs, none]),
        "resource": np.full(4 * n, RESOURCE, dtype=object),
    }
    return pa.table(
        {f.name: pa.array(columns[f.name], f.type, from_pandas=True) for f in SCHEMA},
        schema=SCHEMA,
    )


class SpanTally:
    """What the truth says about the spans, summed chunk by chunk."""

    def __init__(self) -> None:
        self.spans = 0
        self.traces = 0
        self.slow_traces = 0
        self.failed_traces: list[str] = []

    def add(self, table: pa.Table, slow: np.ndarray) -> None:
        self.spans += table.num_rows
        self.traces += table.num_rows // 4
        self.slow_traces += int(np.asarray(slow).sum())
        roots = table.filter(
            pc.and_(pc.equal(table["name"], ROOT), pc.equal(table["status"], "error"))
        )
        self.failed_traces.extend(roots.column("trace_id").to_pylist())

    def truth(self) -> dict[str, object]:
        return {
            "service": SERVICE,
            "root": ROOT,
            "stages": list(STAGES),
            "spans": self.spans,
            "traces": self.traces,
            "slow_stage": {
                "name": SLOW_STAGE,
                "when": "the slow path (see slow_path): channel == 'partner_api' or "
                "loan_amount > 50000",
                "traces": self.slow_traces,
                "note": "on the slow path the extra (factor - 1) x base latency is spent in "
                f"{SLOW_STAGE}; elsewhere {FAST_STAGE} takes the most time",
            },
            "usual_slowest_stage": FAST_STAGE,
            "failed": {
                "stage": FAILED_STAGE,
                "message": FAILED_MESSAGE,
                "rule": f"trace ids starting with {FAILED_PREFIX!r}",
                "traces": len(self.failed_traces),
                "trace_ids": sorted(self.failed_traces),
            },
            "span_ids": "the request's row number in 14 hex digits + the stage: 00 for the root, "
            "01 feature_lookup, 02 model, 03 postprocess",
            "link": "each prediction's trace_id is its trace; the root lasts its latency_ms",
        }
