from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import diaglab as dl

START = pd.Timestamp("2026-01-01", tz="UTC")


def make_batch(n: int, *, seed: int = 0, start: pd.Timestamp = START) -> dict:
    """A small deterministic batch: features, scores, timestamps."""
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.lognormal(10, 0.5, n).round(2),
            "region": rng.choice(["north", "south", "east", "west"], n),
        }
    )
    return {
        "features": features,
        "predictions": rng.random(n),
        "timestamps": start + pd.to_timedelta(np.arange(n), unit="min"),
    }


@pytest.fixture
def store(tmp_path: Path):
    s = dl.open(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def logged(store):
    """A store with 1,000 credit predictions; returns (store, ids, batch)."""
    b = make_batch(1000)
    ids = store.log(model="credit", **b)
    return store, ids, b
