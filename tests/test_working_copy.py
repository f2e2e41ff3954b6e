"""diaglab.sample.working_copy: a scratch store sharing the sample's files, gone at exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import diaglab as dl
from conftest import copy_sample
from diaglab.sample import working_copy


def test_a_working_copy_shares_segments_and_leaves_the_source_as_it_was(tmp_path: Path) -> None:
    source = copy_sample(tmp_path)
    before = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    copy = working_copy(source)
    segments = sorted(copy.rglob("*.parquet"))
    assert segments and all(p.stat().st_nlink >= 2 for p in segments)  # linked, not copied
    store = dl.open(copy)
    try:
        dl.finding("a note", store.table("credit").limit(3).to_pandas(), store=store)
    finally:
        store.close()
    after = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert after == before  # no finding, no DuckDB file: the source is as it was


def test_a_working_copy_is_removed_when_the_process_exits(tmp_path: Path) -> None:
    source = copy_sample(tmp_path)
    code = f"from diaglab.sample import working_copy; print(working_copy({str(source)!r}).parent)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    root = Path(done.stdout.strip())
    assert root.name.startswith("diaglab-work-") and not root.exists()


def test_no_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no store at"):
        working_copy(tmp_path / "missing")
