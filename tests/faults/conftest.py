"""Fixtures of the fault-injection suite: a small real file system that fills up, and a
subprocess that kills itself at a named step of a write (diaglab.store.faults)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from diaglab.store import faults

SRC = Path(__file__).parents[2] / "src"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 40 MB tmpfs mounted for the test (root only; skipped where mounting is refused)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mnt)],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc}); the injected-fault tests cover it")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, timeout=30)


@pytest.fixture
def hooks() -> Iterator[dict]:
    """The fault hooks (step -> callable), emptied after the test."""
    yield faults.hooks
    faults.hooks.clear()


def batch(n: int, seed: int, *, width: int = 8, ids: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    out = {
        "features": pd.DataFrame({f"f{i}": rng.random(n) for i in range(width)}),
        "predictions": rng.random(n),
    }
    if ids:
        out["prediction_ids"] = [f"r{seed}-{i}" for i in range(n)]
    return out


def segment_rows(root: Path, kind: str = "predictions", model: str = "m") -> int:
    folder = root / "segments" / kind / model
    return sum(pq.read_metadata(p).num_rows for p in folder.glob("*.parquet"))


def run_until_killed(script: str, root: Path, step: str, timeout: float = 120) -> list[str]:
    """Run ``script`` (with ``root`` as argv[1]) in a subprocess told to SIGKILL itself at
    ``step``; returns the lines it printed. Fails unless it was killed there."""
    env = dict(os.environ, **{faults.KILL_ENV: step, "PYTHONPATH": str(SRC)})
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(root)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert out.returncode == -9, f"not killed at {step}: rc={out.returncode}\n{out.stderr[-2000:]}"
    return out.stdout.splitlines()


def unique_name() -> str:
    return uuid.uuid4().hex[:8]
