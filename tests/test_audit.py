"""The audit trail: segments chained per stream, and verify() naming every tampering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import diaglab as dl
from conftest import make_batch
from diaglab.cli import main
from diaglab.store.audit import chain_path, read_chain, record_hash, verify
from diaglab.store.audit_key import find_key
from diaglab.store.segments import list_segments, write_segment


@pytest.fixture
def chained(tmp_path: Path):
    """A store with 3 prediction segments, a label segment and a reference segment."""
    store = dl.open(tmp_path / "store")
    ids = []
    for seed in range(3):
        ids += store.log(model="credit", **make_batch(200, seed=seed))
    store.log_labels("credit", ids[:50], [1.0] * 50)
    store.set_reference("credit", make_batch(100, seed=9)["features"])
    yield store
    store.close()


def _preds(store: dl.Store) -> list[Path]:
    return [s.path for s in list_segments(store.path, "predictions", "credit")]


def _rel(store: dl.Store, path: Path) -> str:
    return str(path.relative_to(store.path))


def test_every_segment_kind_is_chained_and_verifies(chained):
    report = chained.verify()
    assert report.ok, str(report)
    assert report.streams == 3 and report.segments == 5
    records = [
        json.loads(line)
        for line in chain_path(chained.path, "predictions", "credit").read_text().splitlines()
    ]
    assert [r["seq"] for r in records] == [0, 1, 2]
    assert records[0]["prev"] is None
    assert [r["prev"] for r in records[1:]] == [r["hash"] for r in records[:-1]]
    key = find_key(chained.path)
    assert all(r["v"] == 2 and r["hash"] == record_hash(r, key) for r in records)
    assert [r["rows"] for r in records] == [200, 200, 200]
    assert [r["segment"] for r in records] == [p.name for p in _preds(chained)]
    assert chain_path(chained.path, "labels", "credit").is_file()
    assert chain_path(chained.path, "reference", "credit").is_file()


def test_tampered_bytes_are_caught_and_named(chained):
    victim = _preds(chained)[1]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    report = chained.verify()
    assert [(p.kind, p.path, p.stream) for p in report.problems] == [
        ("changed", _rel(chained, victim), "predictions/credit")
    ]
    assert _rel(chained, victim) in str(report)


def test_deleted_segment_is_caught_and_named(chained):
    victim = _preds(chained)[0]
    victim.unlink()
    report = chained.verify()
    assert [(p.kind, p.path) for p in report.problems] == [("removed", _rel(chained, victim))]


def test_two_swapped_segments_are_caught_as_reordered(chained):
    a, b = _preds(chained)[:2]
    da, db = a.read_bytes(), b.read_bytes()
    a.write_bytes(db)
    b.write_bytes(da)
    report = chained.verify()
    assert sorted((p.kind, p.path) for p in report.problems) == [
        ("reordered", _rel(chained, a)),
        ("reordered", _rel(chained, b)),
    ]
    assert b.name in next(p.detail for p in report.problems if p.path == _rel(chained, a))


def test_reordered_chain_records_are_caught(chained):
    path = chain_path(chained.path, "predictions", "credit")
    lines = path.read_text().splitlines()
    lines[0], lines[1] = lines[1], lines[0]
    path.write_text("\n".join(lines) + "\n")
    report = chained.verify()
    assert {p.kind for p in report.problems} == {"reordered"}
    assert len(report.problems) == 2  # the two swapped records, not the ones after them


def test_edited_chain_record_is_caught(chained):
    path = chain_path(chained.path, "predictions", "credit")
    lines = path.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["rows"] = 999  # a forger changing a record without re-hashing it
    lines[2] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")
    report = chained.verify()
    # the edited record, and the newest head recorded beside the key, no longer found as written
    assert [p.kind for p in report.problems] == ["broken", "removed"]
    assert rec["segment"] in report.problems[0].path


def test_rehashed_forged_record_still_breaks_the_link(chained):
    """Re-hashing an edited record is not enough: the next record links to the old hash."""
    path = chain_path(chained.path, "predictions", "credit")
    lines = path.read_text().splitlines()
    rec = json.loads(lines[1])
    rec["rows"] = 1
    rec["hash"] = record_hash(rec, find_key(chained.path))
    lines[1] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")
    report = chained.verify()
    assert [p.kind for p in report.problems] == ["broken"]
    assert "does not link" in report.problems[0].detail


def test_dropped_chain_record_leaves_an_unchained_segment(chained):
    path = chain_path(chained.path, "predictions", "credit")
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    report = chained.verify()
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["removed", "unchained"]  # the gap, and the file no record names
    assert _preds(chained)[1].name in str(report)


def test_a_torn_last_line_does_not_stop_the_chain(chained):
    """A writer killed mid-line: the next record links to the last whole one; verify says so."""
    path = chain_path(chained.path, "predictions", "credit")
    with open(path, "a") as fh:
        fh.write('{"seq": 3, "segment": "01')  # no newline: the write was cut
    chained.log(model="credit", **make_batch(50, seed=7))
    records, errors = read_chain(path)
    assert [r["seq"] for r in records] == [0, 1, 2, 3] and len(errors) == 1
    report = chained.verify()
    assert [p.kind for p in report.problems] == ["broken"]
    assert "line 4" in report.problems[0].detail


def test_segment_added_outside_diaglab_is_unchained(chained):
    stray = chained.path / "segments" / "predictions" / "credit" / ("f" * 24 + ".parquet")
    stray.write_bytes(_preds(chained)[0].read_bytes())
    report = chained.verify()
    assert [(p.kind, p.path) for p in report.problems] == [("unchained", _rel(chained, stray))]


@pytest.mark.parametrize("kind", ["reference", "spans", "findings"])
def test_every_kind_written_by_write_segment_is_chained(tmp_path, kind):
    """Spans and findings (written by other parts of diaglab) are chained by the same path."""
    import pyarrow as pa

    import diaglab.store.segments as segments

    if kind not in segments.KINDS:
        pytest.skip(f"no {kind!r} segment kind in this build")
    a = write_segment(tmp_path, kind, "credit", pa.table({"x": [1, 2, 3]}))
    b = write_segment(tmp_path, kind, "credit", pa.table({"x": [4, 5]}))
    report = verify(tmp_path)
    assert report.ok and report.segments == 2
    da, db = a.path.read_bytes(), b.path.read_bytes()
    a.path.write_bytes(db)
    b.path.write_bytes(da)
    problems = verify(tmp_path).problems
    assert {(p.kind, p.stream) for p in problems} == {("reordered", f"{kind}/credit")}
    a.path.unlink()
    problems = verify(tmp_path).problems
    assert ("removed", f"segments/{kind}/credit/{a.path.name}") in {
        (p.kind, p.path) for p in problems
    }


CHILD = """
import sys
import diaglab as dl
import numpy as np
import pandas as pd

seed = int(sys.argv[2])
rng = np.random.default_rng(seed)
features = pd.DataFrame({"age": rng.integers(18, 80, 200).astype(float)})
with dl.Logger(sys.argv[1], model="credit", flush_rows=50) as logger:
    logger.log(features, rng.random(200))
"""


def test_concurrent_writers_keep_one_chain(tmp_path):
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(s)]) for s in range(3)
    ]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    report = verify(tmp_path)
    assert report.ok, str(report)
    records = chain_path(tmp_path, "predictions", "credit").read_text().splitlines()
    assert len(records) == report.segments == len(list(list_segments(tmp_path)))
    assert sorted(json.loads(r)["seq"] for r in records) == list(range(len(records)))
    assert sum(json.loads(r)["rows"] for r in records) == 600


def test_cli_verify_exit_codes(chained, capsys):
    assert main(["verify", str(chained.path)]) == 0
    assert "intact" in capsys.readouterr().out
    victim = _preds(chained)[2]
    victim.unlink()
    assert main(["verify", str(chained.path)]) == 1
    out = capsys.readouterr().out
    assert "removed" in out and _rel(chained, victim) in out and "predictions/credit" in out


def test_cli_verify_refuses_a_non_store(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 1
    assert "not a diaglab store" in capsys.readouterr().err


def test_cli_verify_runs_as_a_command(chained):
    out = subprocess.run(
        [sys.executable, "-m", "diaglab.cli", "verify", str(chained.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
