"""The same queries and explorers on Spark (local mode) as on DuckDB, over the same segment files.

One SparkSession for the whole run (~7 s to start) and one small store; every result computed on
Spark is compared with DuckDB's. Counts must be equal; statistics equal to ``RTOL`` (both engines
compute them exactly: float sums in another order are the only difference), except approximate
quantiles, which get ``APPROX_RTOL`` (see docs/spark.md).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import diaglab as dl
from diaglab.errors import DiaglabWarning
from diaglab.store.segments import list_segments, write_segment

pytestmark = [
    pytest.mark.spark,
    # pyspark 4.0's own pandas conversions, not diaglab's to fix
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:Series.values returning an ndarray"),
]

START = pd.Timestamp("2026-01-01", tz="UTC")
DRIFT = pd.Timestamp("2026-01-12", tz="UTC")  # income falls from here
AFTER = ("2026-01-12", "2026-01-21")
RTOL = 1e-9
APPROX_RTOL = 0.05
FEATURES = ["age", "income", "region"]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] SparkSession shared by every Spark test (UI off, bound to 127.0.0.1)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'diaglab[spark]'")
    from diaglab.store.spark_session import java_version

    java = shutil.which("java")
    major = java_version(java) if java else None
    if major is None or major < 17:
        pytest.skip(f"Spark needs Java 17+ (found: {major or 'no java on PATH'})")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("diaglab-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _frame(n: int, rng: np.random.Generator, start: pd.Timestamp, days: int) -> pd.DataFrame:
    ts = start + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    return pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(),
            "income": rng.lognormal(10.5, 0.4, n).round(2),
            "region": rng.choice(["north", "south", "east"], n),
            "timestamp": ts,
        }
    )


def _build(path: Path) -> None:
    """20 days of a binary model (v1 then v2) with late, repeated and unknown labels, a replaced
    reference, a feature added midway, and a segment that repeats earlier prediction ids."""
    rng = np.random.default_rng(11)
    store = dl.open(path)
    ref = _frame(2000, rng, START - pd.Timedelta(days=40), 20)
    store.set_reference("credit", ref[FEATURES], labels=rng.integers(0, 2, 2000))
    store.set_reference(  # replaces v1's first reference: the newest segment of a version wins
        "credit",
        ref[FEATURES],
        labels=rng.integers(0, 2, 2000),
        predictions=rng.random(2000),
    )
    store.set_reference(
        "credit", ref[FEATURES].iloc[:800], predictions=rng.random(800), model_version="v2"
    )
    prod = _frame(3000, rng, START, 20)
    prod.loc[prod["timestamp"] >= DRIFT, "income"] *= 0.7
    p = rng.beta(2, 5, len(prod))
    y = (rng.random(len(prod)) < p).astype(int)
    north = (prod["region"] == "north").to_numpy()
    y[north] = (p[north] < 0.5).astype(int)  # the model is wrong in the north
    late = (prod["timestamp"] >= pd.Timestamp("2026-01-10", tz="UTC")).to_numpy()
    ids: list[str] = []
    for version, part in (("v1", ~late), ("v2", late)):
        chunk = prod[part]
        feats = chunk[FEATURES].copy()
        if version == "v2":
            feats["channel"] = rng.choice(["web", "branch"], len(chunk))  # a new feature
        ids += store.log(
            "credit",
            features=feats,
            predictions=p[part],
            timestamps=chunk["timestamp"],
            model_version=version,
            latency_ms=rng.gamma(2.0, 20.0, len(chunk)),
        )
    labelled = np.asarray(ids)[:2400]
    store.log_labels("credit", labelled, y[:2400])
    store.log_labels("credit", labelled[:50], 1 - y[:50])  # repeated: the later label wins
    store.log_labels("credit", ["never-logged"], [1])
    # A producer that re-sent a batch: the first occurrence of each id must win on both engines.
    first = next(list_segments(path, "predictions", "credit"))
    again = pq.read_table(first.path).slice(0, 20)
    again = again.set_column(
        again.schema.get_field_index("score"), "score", pa.array(np.full(20, 0.999))
    )
    write_segment(path, "predictions", "credit", again)
    if hasattr(store, "log_spans"):
        spans = _spans(rng)
        store.log_spans(spans)
        store.log_spans(spans.iloc[:5])  # a retried export: the first copy of each span is kept
    store.refresh()
    store.close()


def _spans(rng: np.random.Generator, traces: int = 60) -> pd.DataFrame:
    """Three-stage traces (gateway -> features -> model) over the production days."""
    rows = []
    for t in range(traces):
        trace_id = f"{rng.integers(0, 2**63):016x}{t:016x}"
        start = int(START.value) + int(rng.uniform(0, 20 * 86400e9))
        parent = None
        for depth, name in enumerate(("gateway", "features", "model")):
            span_id = f"{t:08x}{depth:08x}"
            length = int(rng.gamma(2.0, 5e6 * (depth + 1)))
            rows.append(
                {
                    "trace_id": trace_id,
                    "span_id": span_id,
                    "parent_span_id": parent,
                    "name": name,
                    "start_ns": start + depth * 1000,
                    "end_ns": start + depth * 1000 + length,
                    "status": "error" if rng.random() < 0.1 else "ok",
                }
            )
            parent = span_id
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("spark") / "store"
    _build(target)
    return target


@pytest.fixture(scope="module")
def duck(path: Path) -> Iterator[dl.Store]:
    s = dl.open(path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def sparked(path: Path, spark: Any) -> Iterator[Any]:
    s = dl.open(path, engine="spark", spark=spark)
    yield s
    s.close()


def _same_frames(a: pd.DataFrame, b: pd.DataFrame, *, approx: tuple[str, ...] = ()) -> None:
    """Equal columns and rows; integer-valued columns exactly, floats to RTOL, ``approx``
    columns (approximate quantiles) to APPROX_RTOL."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c].reset_index(drop=True), b[c].reset_index(drop=True)
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            tol = APPROX_RTOL if c in approx else RTOL
            np.testing.assert_allclose(
                x.to_numpy(float), y.to_numpy(float), rtol=tol, atol=1e-12, err_msg=c
            )
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), c


# -- the store ---------------------------------------------------------------------------------


def test_spark_store_has_the_same_tables_column_for_column(duck: dl.Store, sparked: Any) -> None:
    for name in ("table", "labels", "reference"):
        a, b = getattr(duck, name)("credit"), getattr(sparked, name)("credit")
        assert a.schema() == b.schema(), name
        key = "seq" if name == "labels" else ("prediction_id" if name == "table" else None)
        ta, tb = a.to_pyarrow(), b.to_pyarrow()
        order = [(key, "ascending")] if key else [(c, "ascending") for c in ta.column_names]
        assert ta.sort_by(order).equals(tb.sort_by(order)), name


def test_repeated_ids_keep_their_first_row_and_labels_their_latest(
    duck: dl.Store, sparked: Any
) -> None:
    t = sparked.table("credit")
    assert t.count().to_pyarrow().as_py() == 3000
    assert t.filter(t.score == 0.999).count().to_pyarrow().as_py() == 0
    assert t.label.notnull().sum().to_pyarrow().as_py() == 2400
    assert sparked.labels("credit").count().to_pyarrow().as_py() == 2451
    ref = sparked.reference("credit", "v1")
    assert ref.count().to_pyarrow().as_py() == 2000
    assert ref.score.notnull().sum().to_pyarrow().as_py() == 2000  # the replacing segment
    assert sparked.reference("credit", "v2").count().to_pyarrow().as_py() == 800
    assert sparked.schema("credit") == duck.schema("credit")
    assert sparked.models() == duck.models() == ["credit"]


def test_writes_are_refused_with_the_way_to_write(sparked: Any) -> None:
    frame = pd.DataFrame({"age": [1.0], "income": [2.0], "region": ["x"]})
    calls: list[Callable[[], Any]] = [
        lambda: sparked.log("credit", frame, [0.5]),
        lambda: sparked.log_labels("credit", ["a"], [1]),
        lambda: sparked.set_reference("credit", frame),
        lambda: sparked.register_model("credit", object()),
    ]
    for call in calls:
        with pytest.raises(dl.ReadOnlyStoreError, match=r"dl\.open\(path\).*dl\.Logger"):
            call()
    with pytest.raises(dl.ReadOnlyStoreError, match="no DuckDB file"):
        sparked.rebuild()
    assert sparked.read_only and "segment files" in sparked.read_only_reason


def test_open_checks_engine_and_session(path: Path, spark: Any) -> None:
    with pytest.raises(dl.InputError, match="unknown engine 'trino'; known: duckdb, spark"):
        dl.open(path, engine="trino")
    with pytest.raises(dl.InputError, match=r"needs spark=<a pyspark\.sql\.SparkSession>"):
        dl.open(path, engine="spark", spark="local[2]")
    with pytest.raises(dl.InputError, match="only used with engine='spark'"):
        dl.open(path, spark=spark)
    with pytest.raises(dl.InputError, match="no diaglab store"):
        dl.open(path / "missing", engine="spark", spark=spark)
    with pytest.raises(dl.UnknownNameError, match="unknown model 'debit'; known: credit"):
        dl.open(path, engine="spark", spark=spark).table("debit")


def test_a_store_opens_from_a_uri_through_the_engines_filesystem(
    path: Path, duck: dl.Store, spark: Any
) -> None:
    uri = dl.open(path.as_uri(), engine="spark", spark=spark)
    assert uri.models() == ["credit"] and uri.schema("credit") == duck.schema("credit")
    assert uri.table("credit").count().to_pyarrow().as_py() == 3000
    assert uri.watermark()["segments"] == duck.watermark()["segments"]
    with pytest.raises(dl.InputError, match="no filesystem for nosuch://"):
        dl.open("nosuch://bucket/store", engine="spark", spark=spark)


def test_refresh_sees_segments_logged_since(tmp_path: Path, spark: Any) -> None:
    rng = np.random.default_rng(3)
    writer = dl.open(tmp_path / "s")
    frame = _frame(100, rng, START, 2)
    writer.log(
        "m", features=frame[FEATURES], predictions=rng.random(100), timestamps=frame["timestamp"]
    )
    reader = dl.open(tmp_path / "s", engine="spark", spark=spark)
    assert reader.table("m").count().to_pyarrow().as_py() == 100
    assert reader.labels("m").count().to_pyarrow().as_py() == 0
    assert reader.reference("m").count().to_pyarrow().as_py() == 0
    calls: list[int] = []
    reader.memo("k", lambda: calls.append(1))
    writer.log(
        "m", features=frame[FEATURES], predictions=rng.random(100), timestamps=frame["timestamp"]
    )
    assert reader.table("m").count().to_pyarrow().as_py() == 100  # until refresh
    assert reader.refresh().segments == 1
    assert reader.table("m").count().to_pyarrow().as_py() == 200
    reader.memo("k", lambda: calls.append(1))
    assert len(calls) == 2  # the memo is per data state
    assert reader.watermark()["segments"] == writer.watermark()["segments"]
    reader.close()
    writer.close()


# -- the same results --------------------------------------------------------------------------


def test_drift_matches_duckdb(duck: dl.Store, sparked: Any) -> None:
    for kwargs in (
        {"window": AFTER},
        {"window": AFTER, "reference": ("2026-01-01", "2026-01-12"), "where": "region = 'north'"},
        {"window": AFTER, "version": "v2"},
    ):
        a, b = dl.drift(duck, "credit", **kwargs), dl.drift(sparked, "credit", **kwargs)
        _same_frames(a.table, b.table)
        assert a.drifted == b.drifted
    assert "income" in a.drifted or "income" in dl.drift(duck, "credit", window=AFTER).drifted


def test_drift_over_time_matches_duckdb(duck: dl.Store, sparked: Any) -> None:
    a = dl.drift_over_time(duck, "credit", freq="2D", features=["income", "region"])
    b = dl.drift_over_time(sparked, "credit", freq="2D", features=["income", "region"])
    _same_frames(a.table, b.table)


def test_slice_metrics_match_duckdb(duck: dl.Store, sparked: Any) -> None:
    for by in ("region", ["region", "age"], "income"):
        a = dl.slice_metrics(duck, "credit", by=by).table
        b = dl.slice_metrics(sparked, "credit", by=by).table
        _same_frames(a.drop(columns="slice"), b.drop(columns="slice"))
        assert [str(s) for s in a["slice"]] == [str(s) for s in b["slice"]]


def _metadata(result: Any) -> dict[str, Any]:
    """A result's typed metadata (all but its table and spec)."""
    return {
        f.name: getattr(result, f.name) for f in fields(result) if f.name not in ("table", "spec")
    }


def test_find_slices_matches_duckdb(duck: dl.Store, sparked: Any) -> None:
    a_result = dl.find_slices(duck, "credit", k=5, max_conditions=2)
    b_result = dl.find_slices(sparked, "credit", k=5, max_conditions=2)
    a, b = a_result.table, b_result.table
    assert len(a) > 0 and "region = 'north'" in str(a["slice"].iloc[0])
    _same_frames(a.drop(columns="slice"), b.drop(columns="slice"))
    assert _metadata(a_result) == _metadata(b_result)
    # the temporary table of the search is gone afterwards
    assert not [v for v in sparked.spark.catalog.listTables() if "cache" in v.name.lower()]


def test_metrics_over_time_matches_duckdb(duck: dl.Store, sparked: Any) -> None:
    a = dl.metrics_over_time(duck, "credit", freq="2D")
    b = dl.metrics_over_time(sparked, "credit", freq="2D")
    approx = a.table["metric"].astype(str).str.contains("latency|delay").to_numpy()
    # counts and exact metrics equal; approximate quantiles (latency, label delay) to APPROX_RTOL
    _same_frames(a.table[~approx], b.table[~approx])
    _same_frames(a.table[approx], b.table[approx], approx=tuple(a.table.columns))


def test_calendar_buckets_in_a_time_zone_match_duckdb(duck: dl.Store, sparked: Any) -> None:
    """Weeks and months on a time zone's calendar (integer arithmetic and a CASE over its
    offsets in the engine): the same buckets and counts on Spark."""
    for freq, tz in (("W", "America/New_York"), ("M", "Europe/Paris")):
        a = dl.drift_over_time(duck, "credit", freq=freq, features=["income"], tz=tz)
        b = dl.drift_over_time(sparked, "credit", freq=freq, features=["income"], tz=tz)
        _same_frames(a.table, b.table)
        with pytest.warns(DiaglabWarning):  # 20 days hold fewer than 8 weeks or months
            ma = dl.metrics_over_time(duck, "credit", freq=freq, metrics=["volume"], tz=tz)
        with pytest.warns(DiaglabWarning):
            mb = dl.metrics_over_time(sparked, "credit", freq=freq, metrics=["volume"], tz=tz)
        _same_frames(ma.windows, mb.windows)


def test_spans_and_span_stats_match_duckdb(duck: dl.Store, sparked: Any) -> None:
    a, b = duck.spans(), sparked.spans()
    assert a.schema() == b.schema()
    order = [("trace_id", "ascending"), ("span_id", "ascending")]
    ta, tb = a.to_pyarrow().sort_by(order), b.to_pyarrow().sort_by(order)
    assert ta.num_rows == 180 and ta.equals(tb)
    sa, sb = dl.span_stats(duck, freq="2D"), dl.span_stats(sparked, freq="2D")
    _same_frames(sa.table, sb.table)
    _same_frames(sa.slowest, sb.slowest)
    for by in ("slowest", "failed"):
        _same_frames(dl.find_traces(duck, by=by).table, dl.find_traces(sparked, by=by).table)
    for some in {ta.column("trace_id")[i].as_py() for i in (0, 7, 50)}:
        on_duck, on_spark = dl.trace(duck, some), dl.trace(sparked, some)
        assert len(on_duck.spans) == 3
        pd.testing.assert_frame_equal(on_duck.spans, on_spark.spans)
        assert on_duck.prediction_ids == on_spark.prediction_ids
        assert on_duck.flags == on_spark.flags
    with pytest.raises(dl.UnknownNameError, match="unknown trace id"):
        dl.trace(sparked, "0" * 32)


# -- explorers ---------------------------------------------------------------------------------


def test_drift_explorer_on_spark_shows_what_it_shows_on_duckdb(
    duck: dl.Store, sparked: Any
) -> None:
    on_spark = dl.DriftExplorer(sparked, "credit", window=AFTER, freq="7D").wait()
    on_duck = dl.DriftExplorer(duck, "credit", window=AFTER, freq="7D").wait()
    try:
        assert on_spark.last_error is None
        _same_frames(on_spark.data(), on_duck.data())
        on_spark.where = "region = 'south'"
        on_duck.where = "region = 'south'"
        on_spark.wait()
        on_duck.wait()
        assert on_spark.last_error is None
        _same_frames(on_spark.data(), on_duck.data())
    finally:
        on_spark.close()
        on_duck.close()


def test_slice_explorer_on_spark_finds_the_same_slices(duck: dl.Store, sparked: Any) -> None:
    on_spark = dl.SliceExplorer(sparked, "credit", by="region").wait()
    on_duck = dl.SliceExplorer(duck, "credit", by="region").wait()
    try:
        assert on_spark.last_error is None
        _same_frames(on_spark.data().drop(columns="slice"), on_duck.data().drop(columns="slice"))
        found_s, found_d = on_spark.found, on_duck.found
        assert found_s is not None and found_d is not None
        assert [str(s) for s in found_s["slice"]] == [str(s) for s in found_d["slice"]]
        on_spark.select(0)
        on_duck.select(0)
        rows_s, rows_d = on_spark.wait().rows, on_duck.wait().rows  # rows load off the UI thread
        assert rows_s is not None and rows_d is not None
        assert sorted(rows_s["prediction_id"]) == sorted(rows_d["prediction_id"])
    finally:
        on_spark.close()
        on_duck.close()


# -- every query compiles for both engines -----------------------------------------------------


class Recorder:
    """Collects every Ibis expression the store's backends compile (the store's memo bypassed
    and the cache of compiled templates emptied and not read from disk, so that each query is
    built and compiled again)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, store: dl.Store) -> None:
        from diaglab.store import compiled

        monkeypatch.setattr(store, "memo", lambda key, compute, **_: compute())

        self.exprs: list[tuple[str, Any]] = []
        self.label = ""
        real = compiled.compile_cached

        def record(cache: Any, compile: Any, expr: Any, *args: Any, **kwargs: Any) -> str:
            self.exprs.append((self.label, expr))
            return real(cache, compile, expr, *args, **kwargs)

        monkeypatch.setattr(compiled, "compile_cached", record)
        monkeypatch.setattr(compiled, "_TEMPLATES", compiled.LRUCache(compiled.CACHE_SIZE))
        monkeypatch.setattr(compiled, "PERSIST", False)  # no template read from disk unbuilt


def _public_queries(store: dl.Store) -> dict[str, Callable[[], Any]]:
    """Each public query function, called the ways the explorers call it."""
    first_id = store.table("credit").prediction_id.min().to_pyarrow().as_py()
    calls: dict[str, Callable[[], Any]] = {
        "drift": lambda: dl.drift(store, "credit", window=AFTER, where="region = 'north'"),
        "drift(production reference)": lambda: dl.drift(
            store, "credit", window=AFTER, reference=("2026-01-01", "2026-01-12")
        ),
        "drift_over_time": lambda: dl.drift_over_time(store, "credit", freq="2D"),
        "slice_metrics": lambda: dl.slice_metrics(store, "credit", by=["region", "income"]),
        "find_slices": lambda: dl.find_slices(store, "credit", k=3, max_conditions=2),
        "find_slices(compare)": lambda: dl.find_slices(
            store, "credit", k=3, compare=(("2026-01-01", "2026-01-12"), AFTER)
        ),
        "neighbors": lambda: dl.neighbors(store, "credit", first_id, k=3),
    }
    from diaglab.diagnostics.slices.rows import slice_rows

    calls["slice_rows"] = lambda: slice_rows(store, "credit", where="region = 'north'")
    calls["metrics_over_time"] = lambda: dl.metrics_over_time(store, "credit", freq="2D")
    calls["span_stats"] = lambda: dl.span_stats(store, freq="2D")
    calls["drift_over_time(months in a time zone)"] = lambda: dl.drift_over_time(
        store, "credit", freq="M", tz="Europe/Paris"
    )
    # dl.trace is a parameterised DuckDB point lookup by design (see docs/spark.md): not here.
    return calls


def test_every_query_compiles_for_duckdb_and_spark(
    duck: dl.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ibis = pytest.importorskip("ibis")
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'diaglab[spark]'")
    _ = ibis.pyspark  # registers the pyspark compiler's options
    recorder = Recorder(monkeypatch, duck)
    for label, call in _public_queries(duck).items():
        recorder.label = label
        call()
    seen = {label for label, _ in recorder.exprs}
    assert seen >= set(_public_queries(duck)) - {"neighbors"}, "a query ran no expression"
    failures = []
    for label, expr in recorder.exprs:
        for dialect in ("duckdb", "pyspark"):
            try:
                ibis.to_sql(expr, dialect=dialect)
            except Exception as exc:  # report every construct one engine lacks, not the first
                failures.append(f"{label} on {dialect}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_compile_check_catches_a_duckdb_only_construct(duck: dl.Store) -> None:
    ibis = pytest.importorskip("ibis")
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'diaglab[spark]'")
    _ = ibis.pyspark
    t = duck.table("credit")
    duckdb_only = t.group_by(w=t.timestamp.bucket(hours=2)).aggregate(n=t.count())
    ibis.to_sql(duckdb_only, dialect="duckdb")
    with pytest.raises(ibis.common.exceptions.OperationNotDefinedError, match="TimestampBucket"):
        ibis.to_sql(duckdb_only, dialect="pyspark")


# -- the session diaglab builds ----------------------------------------------------------------

_DEFAULT_SESSION = """
import json, sys
import diaglab as dl
store = dl.open(sys.argv[1], engine="spark")
conf = store.spark.conf
keys = json.loads(sys.argv[2])
out = {k: conf.get(k) for k in keys}
out["spark.master"] = store.spark.sparkContext.master
m = dl.slice_metrics(store, "credit", by="region").table
out["slices"] = [str(s) for s in m["slice"]]
out["n"] = [int(n) for n in m["n"]]
print("RESULT " + json.dumps(out))
"""


def test_open_without_a_session_builds_one_for_this_machine(
    path: Path, duck: dl.Store, spark: Any
) -> None:
    """In a fresh process (one SparkContext per JVM: this one's is the fixture's)."""
    import json
    import os
    import sys

    from diaglab.store.spark_session import local_settings

    wanted = local_settings()
    assert wanted["spark.master"] == f"local[{os.cpu_count()}]"
    assert wanted["spark.sql.shuffle.partitions"] == str(2 * (os.cpu_count() or 1))
    run = subprocess.run(
        [sys.executable, "-c", _DEFAULT_SESSION, str(path), json.dumps(sorted(wanted))],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")]
    assert line, run.stderr[-3000:]
    got = json.loads(line[0][len("RESULT ") :])
    for key, value in wanted.items():
        assert got[key] == value, key
    assert got["spark.ui.enabled"] == "false"
    assert got["spark.driver.bindAddress"] == got["spark.driver.host"] == "127.0.0.1"
    assert got["spark.sql.adaptive.enabled"] == "true"
    expected = dl.slice_metrics(duck, "credit", by="region").table
    assert got["slices"] == [str(s) for s in expected["slice"]]
    assert got["n"] == [int(n) for n in expected["n"]]


def test_open_without_a_session_uses_the_active_one(path: Path, spark: Any) -> None:
    with dl.open(path, engine="spark") as store:
        assert store.spark is spark
        assert store.spark.conf.get("spark.sql.shuffle.partitions") == "4"  # left as it was


def test_no_java_or_no_pyspark_says_what_to_install(
    path: Path, spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(dl.InputError, match=r"Java 17\+ runtime, but none was found.*JAVA_HOME"):
        dl.open(path, engine="spark")
    old = tmp_path / "jdk8" / "bin" / "java"
    old.parent.mkdir(parents=True)
    old.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_402\"' >&2\n")
    old.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk8"))
    with pytest.raises(dl.InputError, match=r"is Java 8: install Java 17\+"):
        dl.open(path, engine="spark")
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(
        dl.InputError, match=r"pyspark and a Java 17\+ runtime: pip install 'diaglab"
    ):
        dl.open(path, engine="spark")


def test_the_predictions_table_is_cached_until_refresh_or_close(path: Path, spark: Any) -> None:
    from diaglab.store.spark import open_spark

    store = dl.open(path, engine="spark", spark=spark)
    t = store.table("credit")
    assert t.count().to_pyarrow().as_py() == 3000
    assert spark.catalog.isCached(t.get_name())
    frames = list(store._persisted)
    store.close()
    assert frames and not any(f.is_cached for f in frames)
    assert t.get_name() not in {v.name for v in spark.catalog.listTables()}
    plain = open_spark(path, spark=spark, cache=False)
    assert not spark.catalog.isCached(plain.table("credit").get_name())
    plain.close()


# -- counting slices -----------------------------------------------------------------------------


def test_slice_cells_are_one_grouping_sets_query_and_equal_duckdbs(
    sparked: Any, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks enough for two UNION ALL queries of GROUP BYs on the old path (a scan, a shuffle and
    their tasks each) are one query; the cells equal DuckDB's, the compare stats too."""
    import ibis

    from diaglab.diagnostics.slices.counts import (
        BLOCK_CELLS,
        BLOCK_FEATURES,
        BRANCHES_PER_QUERY,
        count_cells,
        cover,
    )
    from diaglab.store import spark_cells

    rng = np.random.default_rng(3)
    n, width = 3000, 10
    frame = pd.DataFrame({f"c{i}": rng.integers(0, 6, n).astype("int16") for i in range(width)})
    frame["l"] = rng.random(n).round(3)
    frame["w"] = rng.integers(0, 2, n).astype("int8")
    cards = [6] * width
    combos = [tuple(c) for c in itertools.combinations(range(width), 3)]
    blocks = cover(combos, cards, size=BLOCK_FEATURES, cells=BLOCK_CELLS)
    assert len(blocks) > BRANCHES_PER_QUERY
    spark.createDataFrame(frame).createOrReplaceTempView("diaglab_test_cells")
    on_spark = sparked.ibis.table("diaglab_test_cells")
    on_duck = ibis.memtable(frame)
    backend = type(sparked.ibis)
    queries: list[str] = []
    real = backend.raw_sql

    def counted(self: Any, query: Any, **kwargs: Any) -> Any:
        queries.append(str(query))
        return real(self, query, **kwargs)

    monkeypatch.setattr(backend, "raw_sql", counted)
    for compare, batch in ((False, None), (True, None), (False, (5, 7))):
        queries.clear()
        if batch is not None:  # a query holds at most so many feature columns and sets
            monkeypatch.setattr(spark_cells, "MAX_GROUPING_COLUMNS", batch[0])
            monkeypatch.setattr(spark_cells, "MAX_GROUPING_SETS", batch[1])
        got = count_cells(on_spark, combos, cards, 3, compare, None)
        assert all("GROUPING SETS" in q for q in queries)
        assert len(queries) == 1 if batch is None else len(queries) > len(blocks) / batch[1]
        want = count_cells(on_duck, combos, cards, 3, compare, None)
        assert len(got) == len(want) == len(combos) * 6**3
        got, want = (f.sort_values("key", ignore_index=True) for f in (got, want))
        assert got["key"].tolist() == want["key"].tolist()
        for c in got.columns.drop(["key", "level"]):
            np.testing.assert_allclose(
                got[c].to_numpy(float), want[c].to_numpy(float), rtol=RTOL, err_msg=c
            )
    spark.catalog.dropTempView("diaglab_test_cells")


def test_find_slices_three_levels_and_compare_match_duckdb(duck: dl.Store, sparked: Any) -> None:
    for kwargs in ({"max_conditions": 3}, {"compare": (("2026-01-01", "2026-01-12"), AFTER)}):
        a_result = dl.find_slices(duck, "credit", k=5, **kwargs)
        b_result = dl.find_slices(sparked, "credit", k=5, **kwargs)
        a, b = a_result.table, b_result.table
        _same_frames(a.drop(columns="slice"), b.drop(columns="slice"))
        assert [str(s) for s in a["slice"]] == [str(s) for s in b["slice"]]
        assert _metadata(a_result) == _metadata(b_result)


def test_explain_change_matches_duckdb(duck: dl.Store, sparked: Any) -> None:
    """The exact parts (the change, every feature's mix/rate terms and their block-bootstrap
    intervals, label coverage, CBPE) are sums over the same rows: equal on both engines. The
    covariate split rests on each engine's own Bernoulli sample, so it is only checked to exist."""
    kwargs = {"reference": ("2026-01-01", "2026-01-12"), "window": AFTER, "search": False}
    a = dl.explain_change(duck, "credit", **kwargs)
    b = dl.explain_change(sparked, "credit", **kwargs)
    assert a.change == pytest.approx(b.change, rel=RTOL) and a.n_window == b.n_window
    _same_frames(a.features, b.features)
    _same_frames(a.slices, b.slices)
    for name in ("coverage_reference", "coverage_window", "cbpe_reference", "cbpe_window"):
        assert getattr(a.labels, name) == pytest.approx(
            getattr(b.labels, name), rel=RTOL, nan_ok=True
        )
    assert abs(b.sample["window"] - a.sample["window"]) < 0.2 * a.sample["window"]


# -- the other diagnostics, the explanations and the other explorers ---------------------------


def test_compare_versions_and_worst_errors_match_duckdb(duck: dl.Store, sparked: Any) -> None:
    a = dl.compare_versions(duck, "credit", "v1", "v2")
    b = dl.compare_versions(sparked, "credit", "v1", "v2")
    _same_frames(a.table, b.table)
    a_worst = dl.worst_errors(duck, "credit", k=10)
    b_worst = dl.worst_errors(sparked, "credit", k=10)
    _same_frames(a_worst.table, b_worst.table)


def test_domain_classifier_matches_duckdb(duck: dl.Store, sparked: Any) -> None:
    a = dl.domain_classifier(duck, "credit", window=AFTER, sample=800, folds=3)
    b = dl.domain_classifier(sparked, "credit", window=AFTER, sample=800, folds=3)
    # Bernoulli samples of ~800 rows a side, seeded on DuckDB, not on Spark (docs/spark.md)
    for n in (a.n_reference, a.n_current, b.n_reference, b.n_current):
        assert 600 < n < 1000
    assert a.auc == pytest.approx(b.auc, abs=0.08) and a.drifted == b.drifted


@pytest.fixture(scope="module")
def explained(path: Path, duck: dl.Store) -> str:
    """A LightGBM model registered for the store's features; returns a prediction id."""
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(5)
    train = _frame(1500, rng, START, 10)[FEATURES]
    train["region"] = train["region"].astype("category")
    y = (train["income"] < 35_000).astype(int) ^ (rng.random(1500) < 0.1)
    clf = lgb.LGBMClassifier(n_estimators=20, num_leaves=8, verbose=-1, random_state=0)
    clf.fit(train, y)
    duck.register_model("credit", clf, "v1")
    t = duck.table("credit")
    return str(t.filter(t.model_version == "v1").prediction_id.min().execute())


def test_explanations_match_duckdb(duck: dl.Store, sparked: Any, explained: str) -> None:
    pid = explained
    a, b = (
        dl.explain(duck, "credit", pid, drift=False),
        dl.explain(sparked, "credit", pid, drift=False),
    )
    _same_frames(a.table, b.table)
    changes = {"income": 20_000.0, "region": "north"}
    wa, wb = (
        dl.what_if(duck, "credit", pid, changes=changes),
        dl.what_if(sparked, "credit", pid, changes=changes),
    )
    assert wa.probability == pytest.approx(wb.probability)
    _same_frames(wa.after.table, wb.after.table)
    ca = dl.counterfactual(duck, "credit", pid, max_changes=2)
    cb = dl.counterfactual(sparked, "credit", pid, max_changes=2)
    assert ca.changes == cb.changes
    _same_frames(
        dl.neighbors(duck, "credit", pid, k=3).table,
        dl.neighbors(sparked, "credit", pid, k=3).table,
    )
    window = ("2026-01-01", "2026-01-10")
    ea = dl.explain_window(duck, "credit", window=window, version="v1", sample=60)
    eb = dl.explain_window(sparked, "credit", window=window, version="v1", sample=60)
    assert len(ea.table) == len(eb.table) == 60
    report = dl.drift(duck, "credit", window=AFTER, version="v1")
    ia = dl.drift_impact(duck, report, sample=200)
    ib = dl.drift_impact(
        sparked, dl.drift(sparked, "credit", window=AFTER, version="v1"), sample=200
    )
    assert list(ia.table["feature"]) == list(ib.table["feature"])


def test_metrics_inspector_and_trace_explorers_on_spark(
    duck: dl.Store, sparked: Any, explained: str
) -> None:
    made = []
    try:
        for cls, kwargs in (
            (dl.MetricsExplorer, {"freq": "1D"}),
            (dl.PredictionInspector, {"prediction_id": explained}),
        ):
            on_spark = cls(sparked, "credit", **kwargs).wait()
            on_duck = cls(duck, "credit", **kwargs).wait()
            made += [on_spark, on_duck]
            assert on_spark.last_error is None, cls.__name__
            da, db = on_duck.data(), on_spark.data()
            assert list(da.columns) == list(db.columns) and len(da) == len(db), cls.__name__
        spark_traces, duck_traces = dl.TraceExplorer(sparked).wait(), dl.TraceExplorer(duck).wait()
        made += [spark_traces, duck_traces]
        assert spark_traces.last_error is None
        _same_frames(spark_traces.data(), duck_traces.data())
        board = dl.panel(sparked, "credit").wait()
        made.append(board)
    finally:
        for widget in made:
            widget.close()


def test_a_compacted_store_reads_the_same_on_spark(tmp_path: Path, spark: Any) -> None:
    """Spark lists the merged segments, not the files they replace (still on disk)."""
    from diaglab.store.compaction import compact

    root = tmp_path / "s"
    with dl.open(root) as store:
        rng = np.random.default_rng(3)
        for i in range(6):
            part = _frame(50, rng, START + pd.Timedelta(days=i), 1)
            store.log("credit", part[FEATURES], rng.random(50), timestamps=part["timestamp"])
    before = dl.open(root, engine="spark", spark=spark)
    counted = before.table("credit").count().execute()
    before.close()
    assert compact(root, min_age=0, grace=3600).merged == 1
    after = dl.open(root, engine="spark", spark=spark)
    try:
        t = after.table("credit")
        assert t.count().execute() == counted == 300
        assert t.prediction_id.nunique().execute() == 300
    finally:
        after.close()
