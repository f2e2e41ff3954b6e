"""The SQL each spec compiles to, for DuckDB and for Spark, checked in under ``tests/sql/``.

Each spec runs once on a fresh open of a private copy of the sample store while its queries are
recorded (the DuckDB SQL that ran); the same expressions are compiled for Spark with Ibis's
pyspark dialect (compile only: no Spark session). The texts are compared with
``tests/sql/<kind>.duckdb.sql`` and ``tests/sql/<kind>.spark.sql``, so a change in generated SQL
shows in review. After an intended change, regenerate them with::

    DIAGLAB_UPDATE_SQL=1 pytest tests/test_sql_snapshots.py

and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import diaglab as dl
import diaglab.store.compiled as compiled
from conftest import copy_sample
from diaglab.findings._recorder import recording
from diaglab.queries import cube
from diaglab.specs import SPECS, Spec
from diaglab.store.compiled import STAND_IN
from diaglab.store.lru import LRUCache

SNAPSHOTS = Path(__file__).parent / "sql"
UPDATE = os.environ.get("DIAGLAB_UPDATE_SQL") == "1"
WINDOW = ("2026-02-10", "2026-03-02")
EARLY = ("2026-01-05", "2026-01-08")
LATER = ("2026-01-12", "2026-01-19")

# Names an engine or Ibis makes up per process; a snapshot holds a stable placeholder instead.
_VOLATILE = [
    (re.compile(r"ibis_(pandas|pyarrow)_memtable_[a-z0-9]+"), "ibis_memtable"),
    (re.compile(r"_ibis_[a-z_]*?[0-9a-f]{16,}"), "_ibis_temp"),
    (re.compile(r"_diaglab_tmp_[0-9a-z_]+"), "_diaglab_tmp"),
]


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the sample store, ingested once (every spec then opens it afresh, so
    no query is skipped because another spec memoised its answer)."""
    path = copy_sample(tmp_path_factory.mktemp("sql"))
    dl.open(path).close()
    return path


def spec_list(store: Any) -> list[Spec]:
    """One spec per diagnostic. The explained predictions lie outside every window explained, so
    no spec reads another's cached SHAP values."""
    t = store.table("credit")
    first = t.filter(t.label.notnull() & t.trace_id.notnull() & (t.timestamp < EARLY[0]))
    pids = [str(p) for p in first.order_by("prediction_id").limit(4).prediction_id.execute()]
    tid = str(first.order_by("prediction_id").limit(1).trace_id.execute().iloc[0])
    return [
        dl.drift.spec("credit", window=WINDOW, features=["income", "region"]),
        dl.drift_over_time.spec("credit", freq="7D", features=["income"]),
        dl.domain_classifier.spec("credit", window=WINDOW, sample=500),
        dl.drift_impact.spec("credit", window=WINDOW, sample=200),
        dl.slice_metrics.spec("credit", "region", window=WINDOW, metrics="accuracy"),
        dl.find_slices.spec("credit", window=WINDOW, k=5, max_conditions=2),
        dl.compare_versions.spec("credit", "v1", "v2", metrics=["accuracy"]),
        dl.metrics_over_time.spec("credit", freq="7D", metrics=["accuracy"]),
        dl.explain.spec("credit", pids[0], drift=False),
        dl.explain_window.spec("credit", window=EARLY, sample=50),
        dl.explanation_drift.spec("credit", freq="1W", window=LATER, sample=50),
        dl.worst_errors.spec("credit", window=WINDOW, k=5),
        dl.neighbors.spec("credit", pids[1], k=5),
        dl.what_if.spec("credit", pids[2], {"income": 20000.0}),
        dl.counterfactual.spec("credit", pids[3], max_changes=1),
        dl.trace.spec(tid),
        dl.span_stats.spec(freq="7D", window=WINDOW),
        dl.find_traces.spec("failed", window=WINDOW),
        dl.threshold_analysis.spec("credit", window=WINDOW, bins=20),
        dl.fairness.spec("credit", sensitive=["region"], window=WINDOW),
        dl.fairness_over_time.spec("credit", sensitive="region", freq="7D"),
        dl.explain_change.spec("credit", window=WINDOW, reference=EARLY, search=False, sample=500),
    ]


def normalised(sql: str, dialect: str) -> str:
    """``sql`` with made-up names replaced, one clause a line (so a diff shows what changed)."""
    import sqlglot

    for pattern, stable in _VOLATILE:
        sql = pattern.sub(stable, sql)
    if sql.startswith("--"):
        return sql.strip()
    return ";\n".join(e.sql(dialect, pretty=True) for e in sqlglot.parse(sql, read=dialect) if e)


def spark_sql(expr: Any) -> str:
    """An expression (or a stand-in query and its rows) compiled for Spark; what Ibis cannot
    compile for Spark is written down as such (a gap the snapshot keeps in view)."""
    import ibis.common.exceptions as com

    try:
        return _spark_sql(expr)
    except com.UnsupportedOperationError as exc:
        return f"-- does not compile for Spark: {exc}"


def _spark_sql(expr: Any) -> str:
    import ibis
    from ibis.backends.pyspark import Backend

    if ibis.options.pyspark is None:  # the dialect's options, set when a session first connects
        Backend.register_options()

    if isinstance(expr, tuple):
        rows, query = expr
        data = ibis.to_sql(rows, dialect="pyspark")
        template = ibis.to_sql(query, dialect="pyspark")
        return f"WITH `{STAND_IN}` AS ({data}) SELECT * FROM ({template}) AS `_q`"
    return str(ibis.to_sql(expr, dialect="pyspark"))


def joined(statements: list[str], dialect: str) -> str:
    if not statements:
        return "-- no query through Ibis (the engine is read directly)\n"
    n = len(statements)
    parts = [f"-- [{i + 1}/{n}]\n{normalised(s, dialect)}" for i, s in enumerate(statements)]
    return "\n\n".join(parts) + "\n"


def compile_spec(path: Path, spec: Spec) -> tuple[str, str]:
    """The DuckDB SQL ``spec`` ran on a fresh open of the store, and the Spark SQL of the same
    expressions."""
    store = dl.open(path)
    try:
        with recording(store) as rec:
            spec.run(store, **({"trust": True} if "trust" in spec.options else {}))
        return joined(rec.sql, "duckdb"), joined([spark_sql(e) for e in rec.exprs], "spark")
    finally:
        store.close()


KINDS = (
    "drift",
    "drift_over_time",
    "domain_classifier",
    "drift_impact",
    "slice_metrics",
    "find_slices",
    "compare_versions",
    "metrics_over_time",
    "explain",
    "explain_window",
    "explanation_drift",
    "worst_errors",
    "neighbors",
    "what_if",
    "counterfactual",
    "trace",
    "span_stats",
    "find_traces",
    "threshold_analysis",
    "fairness",
    "fairness_over_time",
    "explain_change",
)


def test_every_diagnostic_has_a_snapshot_spec(sample_path: Path) -> None:
    store = dl.open(sample_path)
    try:
        kinds = tuple(spec.kind for spec in spec_list(store))
    finally:
        store.close()
    assert kinds == KINDS
    missing = sorted({cls.kind for cls in SPECS} - set(kinds))
    assert not missing, f"add a spec of {missing} to spec_list (and regenerate the snapshots)"


@pytest.mark.parametrize("kind", KINDS)
def test_the_sql_of_a_spec_is_its_checked_in_snapshot(sample_path: Path, kind: str) -> None:
    store = dl.open(sample_path)
    try:
        spec = spec_list(store)[KINDS.index(kind)]
    finally:
        store.close()
    duckdb_sql, spark = compile_spec(sample_path, spec)
    for engine, text in (("duckdb", duckdb_sql), ("spark", spark)):
        snapshot = SNAPSHOTS / f"{spec.kind}.{engine}.sql"
        if UPDATE:
            SNAPSHOTS.mkdir(exist_ok=True)
            snapshot.write_text(text, encoding="utf-8")
            continue
        assert snapshot.exists(), f"no snapshot {snapshot.name}: run with DIAGLAB_UPDATE_SQL=1"
        want = snapshot.read_text(encoding="utf-8")
        assert text == want, (
            f"the {engine} SQL of {spec.call()} changed; if intended, regenerate the snapshots "
            "with DIAGLAB_UPDATE_SQL=1 and review the diff of tests/sql/"
        )


def _templates(directory: Path) -> set[str]:
    """The compiled-SQL cache's template entries (those saved with a result schema)."""
    return {
        p.name
        for p in directory.glob("*.json")
        if json.loads(p.read_text(encoding="utf-8")).get("schema") is not None
    }


def test_the_compiled_sql_cache_is_keyed_by_the_spec(
    sample_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Templates are kept per spec (kind and parameters): the same spec over another window
    reuses them, a spec with other parameters keeps its own, and a new process (the in-memory
    cache emptied) reads them back from disk instead of compiling."""
    cache = tmp_path / "sql"
    monkeypatch.setenv("DIAGLAB_CACHE_DIR", str(cache))
    monkeypatch.setattr(compiled, "_TEMPLATES", LRUCache(compiled.CACHE_SIZE))
    # the window's rows counted: from the drift cube a day-aligned window compiles no query
    monkeypatch.setattr(cube, "usable", lambda store: False)
    spec = dl.drift.spec("credit", window=WINDOW, features=["age"])
    store = dl.open(sample_path)
    try:
        first = spec.run(store).table
        kept = _templates(cache)
        assert kept
        dl.drift.spec("credit", window=EARLY, features=["age"]).run(store)
        assert _templates(cache) == kept  # another window is data, not another shape
        dl.drift.spec("credit", window=WINDOW, features=["age"], alpha=0.05).run(store)
        assert _templates(cache) > kept  # other parameters: their own templates
        monkeypatch.setattr(compiled, "_TEMPLATES", LRUCache(compiled.CACHE_SIZE))
        built: list[Any] = []
        real = compiled._template

        def counting(*args: Any) -> Any:
            template = real(*args)
            built.append(template.query)  # None when the SQL was read from disk
            return template

        monkeypatch.setattr(compiled, "_template", counting)
        again = spec.run(store).table
    finally:
        store.close()
    assert built and all(query is None for query in built)
    pd.testing.assert_frame_equal(first, again)
