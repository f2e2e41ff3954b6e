"""One damaged file never blocks a store: damaged segments are moved aside and named, a
damaged DuckDB file is rebuilt without being read, damaged findings are named and skipped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import diaglab as dl
from diaglab.cli import main
from diaglab.errors import StoreCorruptionError
from diaglab.store.audit import verify
from diaglab.store.store import rebuild
from faults.conftest import batch, segment_rows


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scramble_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(64, len(data) // 2):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def _pending_segment(root: Path, kind: str) -> Path:
    """A segment written by a process without the DuckDB file, not yet ingested."""
    ro = dl.open(root, read_only=True)
    if kind == "predictions":
        ro.log("m", **batch(300, 9))
    elif kind == "labels":
        ro.log_labels("m", [f"r0-{i}" for i in range(10)], [1] * 10)
    else:
        ro.set_reference("m", batch(300, 9)["features"])
    ro.close()
    return max((root / "segments" / kind / "m").glob("*.parquet"))


@pytest.mark.parametrize("damage", [_truncate, _scramble_middle])
@pytest.mark.parametrize("kind", ["predictions", "labels", "reference"])
def test_a_damaged_segment_is_quarantined_and_named(tmp_path, capsys, kind, damage):
    root = tmp_path / "s"
    store = dl.open(root)
    store.log("m", **batch(1000, 0, ids=True))
    store.close()
    bad = _pending_segment(root, kind)
    damage(bad)

    store = dl.open(root)  # opens; the damaged file is moved aside
    assert store.table("m").count().execute() == 1000
    [damaged] = store.damaged_segments()
    assert (damaged.kind, damaged.model, damaged.id) == (kind, "m", bad.stem)
    assert damaged.path.is_file() and not bad.exists()
    assert damaged.reason
    store.log("m", **batch(10, 1))  # the store goes on
    store.close()

    assert main(["info", str(root)]) == 0
    out = capsys.readouterr().out
    assert "1 damaged segment(s)" in out and bad.stem in out

    from diaglab.store.quarantine import damaged_segments

    assert [d.id for d in damaged_segments(root)] == [bad.stem]

    report = verify(root)  # the evidence is not intact, and verify says why, not just "removed"
    assert [(p.kind, Path(p.path).name) for p in report.problems] == [("quarantined", bad.name)]
    assert "damaged" in str(report)


def test_a_read_only_process_skips_a_damaged_segment(tmp_path):
    root = tmp_path / "s"
    writer = dl.open(root)
    writer.log("m", **batch(1000, 0))
    bad = _pending_segment(root, "predictions")
    _truncate(bad)
    reader = dl.open(root, read_only=True)  # another process holds the file: views
    assert reader.table("m").count().execute() == 1000
    assert [d.id for d in reader.damaged_segments()] == [bad.stem]
    reader.close()
    writer.close()


def test_a_damaged_duckdb_file_is_rebuilt_without_being_read(tmp_path, capsys):
    root = tmp_path / "s"
    store = dl.open(root)
    for k in range(3):
        store.log("m", **batch(1000, k))
    store.set_reference("m", batch(200, 9)["features"])
    store.close()
    db = root / "diaglab.duckdb"
    db.write_bytes(b"this is not a duckdb file" * 1000)

    with pytest.raises(StoreCorruptionError, match="refresh --rebuild"):
        dl.open(root)
    assert main(["refresh", str(root), "--rebuild"]) == 0
    out = capsys.readouterr().out
    assert "3000 predictions" in out and "200 reference rows" in out
    store = dl.open(root)
    assert store.table("m").count().execute() == 3000 == segment_rows(root)
    store.close()

    db.write_bytes(b"\0" * 4096)
    report = rebuild(root)
    assert report.predictions == 3000
    dl.open(root).close()


def test_rebuild_refuses_while_another_process_holds_the_file(tmp_path):
    import subprocess
    import sys

    root = tmp_path / "s"
    dl.open(root).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, diaglab as dl\ns = dl.open(sys.argv[1])\n"
            "print('open', flush=True)\ntime.sleep(60)\n",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert main(["refresh", str(root), "--rebuild"]) == 2
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_findings_load_around_a_damaged_one(tmp_path):
    from diaglab.errors import DamagedFindingWarning

    store = dl.open(tmp_path / "s")
    store.log("m", **batch(100, 0))
    kept = dl.finding("kept", pd.DataFrame({"a": [1]}), store=store, model="m")
    bad = dl.finding("damaged", pd.DataFrame({"a": [2]}), store=store, model="m")
    path = next((store.path / "segments" / "findings" / "m").glob(f"{bad.id}.parquet"))
    _truncate(path)
    with pytest.warns(DamagedFindingWarning, match=bad.id):
        found = dl.findings(store)
    assert [f.id for f in found] == [kept.id]
    assert bad.id in str(found.damaged[0])
    store.close()


def test_a_segment_the_engine_cannot_take_is_set_aside_not_blocking(tmp_path):
    """A readable segment whose columns contradict the schema (written by a faulty producer)
    is quarantined like a damaged one: one batch never leaves the store unopenable."""
    import pyarrow as pa

    from diaglab.store.segments import write_segment

    root = tmp_path / "s"
    store = dl.open(root)
    store.log("m", **batch(100, 0))
    store.close()
    good = dl.open(root, read_only=True)
    table = good.table("m").limit(5).to_pyarrow()
    good.close()
    bad = table.set_column(
        table.column_names.index("f0"), "f0", pa.array(["not a number"] * 5, pa.string())
    ).set_column(0, "prediction_id", pa.array([f"new{i}" for i in range(5)]))
    seg = write_segment(root, "predictions", "m", bad)
    store = dl.open(root)
    assert store.table("m").count().execute() == 100
    assert [d.id for d in store.damaged_segments()] == [seg.id]
    store.close()


def test_a_damaged_span_segment_is_set_aside(tmp_path):
    from diaglab.store.spans import spans_table, write_spans

    root = tmp_path / "s"
    dl.open(root).close()

    def spans(first: int) -> object:
        return spans_table(
            {
                "trace_id": ["a" * 32] * 3,
                "span_id": [f"{first + i:016x}" for i in range(3)],
                "name": ["s"] * 3,
                "start_ns": [1, 2, 3],
                "end_ns": [2, 3, 4],
            }
        )

    write_spans(root, spans(0))
    bad = write_spans(root, spans(10))
    _scramble_middle(bad.path)
    store = dl.open(root)
    assert store.spans().count().execute() == 3
    assert [d.id for d in store.damaged_segments()] == [bad.id]
    store.close()
