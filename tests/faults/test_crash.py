"""SIGKILL at each step of log, refresh and rebuild: every acknowledged row survives, every
durable segment is ingested exactly once, and nothing half-written is ever read."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaglab as dl
from faults.conftest import batch, run_until_killed, segment_rows

LOG = """
import sys, numpy as np, pandas as pd, diaglab as dl
store = dl.open(sys.argv[1])
for k in range(50):
    rng = np.random.default_rng(k)
    n = 1000
    store.log("m", pd.DataFrame({"x": rng.random(n), "y": rng.random(n)}), rng.random(n),
              prediction_ids=[f"{k}-{i}" for i in range(n)])
    print(f"acked {k}", flush=True)
"""

LABELS = """
import sys, diaglab as dl
store = dl.open(sys.argv[1])
for k in range(20):
    store.log_labels("m", [f"r0-{i}" for i in range(k * 10, k * 10 + 10)], [1] * 10)
    print(f"acked {k}", flush=True)
"""


def _seed(root: Path, batches: int = 3) -> None:
    store = dl.open(root)
    for k in range(batches):
        store.log("m", **batch(1000, 100 + k))
    store.close()


def _check_consistent(root: Path) -> dl.Store:
    """Open after a crash: what is stored equals what the segments hold, once each."""
    store = dl.open(root)
    t = store.table("m")
    assert t.count().execute() == segment_rows(root) == t.prediction_id.nunique().execute()
    assert store.damaged_segments() == []
    return store


@pytest.mark.parametrize("step", ["segment-written", "segment-renamed", "log-inserted"])
def test_log_killed_at_each_step(tmp_path, step):
    root = tmp_path / "s"
    _seed(root)
    printed = run_until_killed(LOG, root, step)
    acked = sum(1 for line in printed if line.startswith("acked"))
    store = _check_consistent(root)
    # the seed, every acknowledged batch, and the killed one only if its segment got in place
    got = store.table("m").count().execute()
    assert got - 3000 in (acked * 1000, (acked + 1) * 1000)
    if step == "segment-written":  # killed before the rename: the batch is not stored
        assert got == 3000 + acked * 1000
    else:  # killed after it: the segment is the truth, ingested now
        assert got == 3000 + (acked + 1) * 1000
    store.log("m", **batch(10, 7))  # the store takes writes again
    store.close()


def test_labels_killed_after_the_segment_is_in_place(tmp_path):
    root = tmp_path / "s"
    store = dl.open(root)
    store.log("m", **batch(1000, 0, ids=True))
    store.close()
    run_until_killed(LABELS, root, "log-inserted")
    store = dl.open(root)
    assert store.table("m").label.notnull().sum().execute() == 10
    store.close()


def test_refresh_killed_before_commit(tmp_path):
    root = tmp_path / "s"
    _seed(root)
    # segments written by a process that does not hold the DuckDB file, as a Logger's are
    ro = dl.open(root, read_only=True)
    for k in range(4):
        ro.log("m", **batch(500, 200 + k))
    ro.close()
    run_until_killed("import sys, diaglab as dl\ndl.open(sys.argv[1])\n", root, "ingest-inserted")
    store = _check_consistent(root)
    assert store.table("m").count().execute() == 3000 + 4 * 500
    store.close()


def test_rebuild_killed_before_the_swap_keeps_the_old_file(tmp_path):
    root = tmp_path / "s"
    _seed(root)
    code = "import sys, diaglab as dl\ndl.open(sys.argv[1]).rebuild()\n"
    run_until_killed(code, root, "rebuild-built")
    store = _check_consistent(root)  # the old file, untouched
    assert store.table("m").count().execute() == 3000
    report = store.rebuild()  # a leftover half-built file is replaced, never read
    assert report.predictions == 3000
    store.close()
    code = "import sys\nfrom diaglab.store.store import rebuild\nrebuild(sys.argv[1])\n"
    run_until_killed(code, root, "rebuild-built")
    _check_consistent(root).close()
