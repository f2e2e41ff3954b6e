"""``python -m bench.scale build`` makes the writer's copy of a store written as files only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _build(store: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    cmd = [sys.executable, "-m", "bench.scale", "build", str(store), "--rows", "3000"]
    return subprocess.run(
        [*cmd, "--segment-rows", "1000", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_files_only_store_gets_its_duckdb_copy(tmp_path: Path) -> None:
    store = tmp_path / "store-10x3000"
    files = _build(store, "--no-ingest")
    assert files.returncode == 0, files.stderr
    written = json.loads(files.stdout.splitlines()[-1])
    assert (written["ingested"], written["predictions"], written["labels"]) == (False, 3000, 3000)
    copy = _build(store)
    assert copy.returncode == 0, copy.stderr  # was: "row counts disagree: ... DuckDB 0"
    out = json.loads(copy.stdout.splitlines()[-1])
    assert (out["duckdb_rows"], out["labelled"], out["predictions"]) == (3000, 3000, 3000)
    assert out["last_refresh_rows"] >= 3000  # the writer's first refresh ingested them


def test_a_failed_case_keeps_its_whole_stderr_in_a_log(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.memory import measure

    log = tmp_path / "logs" / "nonsense.stderr.log"
    result = measure("nonsense", tmp_path / "store", ROOT / "src", stderr_log=log, timeout=300)
    assert result["outcome"].startswith("failed: ")
    assert result["stderr_log"] == str(log)
    kept = log.read_text()
    assert "unknown case 'nonsense'" in kept
    assert result["outcome"][len("failed: ") :] in kept
