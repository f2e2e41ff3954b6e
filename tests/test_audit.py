"""The audit trail: segments chained per stream, and verify() naming every tampering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import diaglab as dl
from conftest import SAMPLE, copy_sample, make_batch
from diaglab.cli import main
from diaglab.store.audit import chain_path, file_sha256, read_chain, record_hash, verify
from diaglab.store.audit.key import find_key
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
    assert main(["verify", str(tmp_path)]) == 2
    assert "not a diaglab store" in capsys.readouterr().err


def test_cli_verify_runs_as_a_command(chained):
    out = subprocess.run(
        [sys.executable, "-m", "diaglab.cli", "verify", str(chained.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


# -- forged evidence (issue 16): a keyed chain, heads kept outside the store, --deep -----------


def _unkeyed_rewrite(path: Path) -> None:
    """What a forger without the key can do: rewrite every record as an unkeyed (plain SHA-256)
    record, consistent with the segments as they are now."""
    records = read_chain(path)[0]
    prev = None
    lines = []
    for rec in records:
        rec.pop("v", None)
        rec["prev"] = prev
        rec["hash"] = record_hash(rec)
        prev = rec["hash"]
        lines.append(json.dumps(rec, sort_keys=True, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n")


def test_deleting_the_newest_segment_with_its_chain_line_is_caught(chained):
    victim = _preds(chained)[-1]
    path = chain_path(chained.path, "predictions", "credit")
    lines = path.read_text().splitlines()
    victim.unlink()
    path.write_text("\n".join(lines[:-1]) + "\n")
    report = chained.verify()
    assert [p.kind for p in report.problems] == ["removed"]
    assert "seq 2" in report.problems[0].detail


def test_an_edited_segment_with_a_recomputed_unkeyed_chain_is_caught(chained):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    victim = _preds(chained)[1]
    table = pq.read_table(victim)
    table = table.set_column(
        table.schema.get_field_index("score"), "score", pc.multiply(table["score"], 0.0)
    )
    pq.write_table(table, victim)
    path = chain_path(chained.path, "predictions", "credit")
    records = read_chain(path)[0]
    records[1]["sha256"] = file_sha256(victim)
    records[1]["bytes"] = victim.stat().st_size
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    _unkeyed_rewrite(path)
    report = chained.verify()
    assert not report.ok
    assert any("unkeyed record in a keyed store" in p.detail for p in report.problems)


def test_a_chain_rewritten_under_another_key_is_caught(chained, monkeypatch):
    path = chain_path(chained.path, "predictions", "credit")
    records = read_chain(path)[0]
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY", "ab" * 32)
    forged_key = find_key(chained.path)
    monkeypatch.delenv("DIAGLAB_AUDIT_KEY")
    prev = None
    for rec in records:
        rec["prev"] = prev
        rec["hash"] = record_hash(rec, forged_key)
        prev = rec["hash"]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert not chained.verify().ok


def test_the_key_lives_outside_the_store(chained):
    key = find_key(chained.path)
    assert key is not None and key.heads is not None
    assert not Path(key.where).resolve().is_relative_to(chained.path.resolve())
    assert oct(Path(key.where).stat().st_mode & 0o777) == "0o600"
    copied = [
        p
        for p in chained.path.rglob("*")
        if p.is_file() and key.secret.hex() in p.read_text(errors="replace")
    ]
    assert copied == []


def test_an_anchor_catches_a_cut_chain_where_no_head_log_is_kept(tmp_path, monkeypatch, capsys):
    """A server whose key comes from the environment keeps no head log: the anchor the user
    printed and kept is what catches the newest segment removed with its record."""
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY", "cd" * 32)
    store = dl.open(tmp_path / "s")
    for seed in range(2):
        store.log(model="credit", **make_batch(50, seed=seed))
    store.close()
    assert main(["verify", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    anchor = next(line.split(": ")[1] for line in out.splitlines() if line.startswith("head "))
    victim = _preds(store)[-1]
    path = chain_path(store.path, "predictions", "credit")
    victim.unlink()
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert main(["verify", str(tmp_path / "s")]) == 0  # the chain alone cannot tell
    assert main(["verify", str(tmp_path / "s"), "--anchor", anchor]) == 1
    assert "anchor" in capsys.readouterr().out


def test_verify_fails_without_the_key_of_a_keyed_store(chained, monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY_DIR", str(tmp_path / "elsewhere"))
    report = chained.verify()
    assert not report.ok and {p.kind for p in report.problems} == {"unkeyed"}


def test_deep_verify_catches_an_edited_duckdb_copy(chained, capsys):
    import duckdb

    db = chained.path / "diaglab.duckdb"
    chained.close()
    assert main(["verify", "--deep", str(chained.path)]) == 0
    assert "5 ingested segment(s) compared" in capsys.readouterr().out
    con = duckdb.connect(str(db))
    con.execute("UPDATE main.credit SET score = 0.0")
    con.close()
    assert main(["verify", "--deep", str(chained.path)]) == 1
    out = capsys.readouterr().out
    assert "diaglab.duckdb" in out and "the rows of segment" in out
    assert main(["verify", str(chained.path)]) == 0  # the segments themselves are intact


@pytest.mark.parametrize(
    "edit",
    [
        "DELETE FROM main.credit WHERE score = (SELECT min(score) FROM main.credit)",
        "UPDATE labels.credit SET label = 0.0",
        "UPDATE reference.credit SET age = age + 1",
        "DELETE FROM meta.ledger",
    ],
)
def test_deep_verify_catches_each_kind_of_edit(chained, edit):
    import duckdb

    from diaglab.store.audit.duckdb_copy import verify_copy

    chained.close()
    con = duckdb.connect(str(chained.path / "diaglab.duckdb"))
    con.execute(edit)
    con.close()
    assert verify_copy(chained.path)[1], edit


def test_the_committed_sample_store_still_verifies_and_migrates(tmp_path):

    out = subprocess.run(
        [sys.executable, "-m", "diaglab.cli", "verify", str(SAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "unkeyed" in out.stdout
    store = dl.open(copy_sample(tmp_path))
    store.log(model="credit", **_sample_batch(store))
    report = store.verify()
    assert report.ok and report.keyed, str(report)
    path = chain_path(store.path, "predictions", "credit")
    _unkeyed_rewrite(path)  # legacy records stay, the new keyed one is forged unkeyed
    assert not store.verify().ok
    store.close()


def _sample_batch(store: dl.Store) -> dict:
    ref = store.table("credit").limit(20).to_pandas()
    features = ref[list(store.schema("credit").features)]
    return {"features": features, "predictions": ref["score"].to_numpy(), "model_version": "v2"}


def test_rows_are_stored_even_when_no_key_can_be_made(tmp_path, monkeypatch, caplog):
    """A producer whose key directory cannot be written (a read-only home in a container) still
    stores its rows, chained unkeyed, and says so; verify does not call that chain keyed."""
    (tmp_path / "not-a-dir").write_text("")
    monkeypatch.setenv("DIAGLAB_AUDIT_KEY_DIR", str(tmp_path / "not-a-dir" / "keys"))
    store = dl.open(tmp_path / "s")
    ids = store.log(model="credit", **make_batch(30))
    assert len(ids) == 30 and store.table("credit").count().execute() == 30
    assert "chained unkeyed" in caplog.text
    report = store.verify()
    assert report.ok and not report.keyed and "unkeyed" in str(report)
    store.close()
