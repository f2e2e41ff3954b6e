"""A read-only store's id check holds within the engine's memory limit (seen at 100M ids)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from diaglab.store.lru import LRUCache
from diaglab.store.views import ReadOnlyViews

ROWS = 3_000_000


def _segments(tmp_path: Path, con: duckdb.DuckDBPyConnection, *, repeat: bool) -> list[Path]:
    files = []
    for k in range(2):
        path = tmp_path / f"part{k}.parquet"
        first = 0 if (k == 1 and repeat) else k * ROWS
        con.execute(
            f"COPY (SELECT 'p-' || lpad(CAST(i AS VARCHAR), 24, '0') AS prediction_id "
            f"FROM range({first}, {first + ROWS}) t(i)) TO '{path}' (FORMAT parquet)"
        )
        files.append(path)
    return files


@pytest.fixture
def views(tmp_path: Path) -> SimpleNamespace:
    con = duckdb.connect(config={"threads": 1})
    return SimpleNamespace(con=con, _unique_ids=LRUCache(4))


@pytest.mark.parametrize("repeat", [False, True])
def test_ids_beyond_the_memory_limit_are_checked_in_buckets(tmp_path, views, repeat) -> None:
    files = _segments(tmp_path, views.con, repeat=repeat)
    views.con.execute("SET memory_limit = '64MB'")
    views.con.execute("SET temp_directory = ''")  # nowhere to spill, as at 100M ids in 1.2 GB
    with pytest.raises(duckdb.OutOfMemoryException):  # what one DISTINCT over all ids does
        views.con.execute(
            f"SELECT count(DISTINCT prediction_id) FROM read_parquet({[str(f) for f in files]})"
        ).fetchall()
    assert ReadOnlyViews._ids_unique(views, files) is not repeat  # type: ignore[arg-type]
