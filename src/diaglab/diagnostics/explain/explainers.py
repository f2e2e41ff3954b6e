"""Loaded models with their SHAP explainer, and the explanation cache kept in the store directory.

A tree model (LightGBM, XGBoost, scikit-learn trees) gets ``shap.TreeExplainer`` (exact TreeSHAP,
path-dependent, in the model's margin space: log-odds for classifiers); anything else gets
``shap.PermutationExplainer`` over the probability (or value) with a background sample of the
reference. Both are additive: base value + sum of the values = the model output in that space.

Cached explanations are diaglab-owned files, ``<store>/cache/explanations/<model>/<key>/*.parquet``
(one file per batch, written to a temporary name and renamed into place), where ``key`` names the
model version, the SHA-256 of its registered file and the explainer, so a re-registered version
never reads stale values. Each file is sealed with an HMAC under the store's audit key
(``<file>.mac``, :func:`diaglab.store.audit.seal`) and read back only while the seal holds: an
edited cache file is ignored and its explanations computed again, never returned as cached. A
small in-process map in front of the files makes a repeated card instant.
"""

from __future__ import annotations

import os
import threading
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from diaglab.errors import SchemaError
from diaglab.store import audit
from diaglab.store.audit.key import find_key
from diaglab.store.models import LoadedModel, model_info
from diaglab.store.schema import columns_for, feature_column

BACKGROUND_ROWS = 100
_MODELS: OrderedDict[tuple[Any, ...], Explained] = OrderedDict()
_MODELS_MAX = 8
_LOCK = threading.RLock()


@dataclass
class Explained:
    """A loaded model version, its explainer and what its SHAP values mean."""

    model: str
    version: str
    loaded: LoadedModel
    explainer: Any
    kind: str  # "tree" or "permutation"
    output_space: str  # "log_odds", "probability" or "value"
    task: str
    categorical: tuple[str, ...]
    categories: dict[str, list[Any]]  # the categories the generic explainer encodes

    @property
    def features(self) -> list[str]:
        return self.loaded.feature_names

    @property
    def cache_key(self) -> str:
        return f"{self.version}-{self.loaded.info.sha256[:12]}-{self.kind}"

    def proba(self, X: pd.DataFrame) -> np.ndarray | None:
        if self.task == "regression":
            return None
        return self.loaded.predict_proba(X)

    def output(self, X: pd.DataFrame) -> np.ndarray:
        """The model output in the space its SHAP values add up to, one per row."""
        impl, library = self.loaded.impl, self.loaded.library
        if self.output_space == "log_odds" and library == "lightgbm":
            raw = np.asarray(
                self.loaded.booster.predict(self.loaded.model_input(X), raw_score=True)
            )
            return raw if raw.ndim == 1 else raw[np.arange(len(raw)), self.classes_of(X)]
        if self.output_space == "log_odds" and library == "xgboost":
            raw = np.asarray(impl.predict(self.loaded.model_input(X), output_margin=True))
            return raw if raw.ndim == 1 else raw[np.arange(len(raw)), self.classes_of(X)]
        if self.task == "regression":
            return np.asarray(self.loaded.predict(X), dtype=float)
        proba = self.loaded.predict_proba(X)
        return proba[np.arange(len(proba)), self.classes_of(X, proba)]

    def classes_of(self, X: pd.DataFrame, proba: np.ndarray | None = None) -> np.ndarray:
        """The class each row's explanation is for: the positive class of a binary model, the
        predicted class of a multiclass one."""
        if self.task == "binary":
            return np.ones(len(X), dtype=int)
        if self.task == "regression":
            return np.zeros(len(X), dtype=int)
        p = self.loaded.predict_proba(X) if proba is None else proba
        return np.asarray(p.argmax(axis=1), dtype=int)

    def shap(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values (rows x features) and base values (rows) of the explained class."""
        return shap_values(self, X)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        frame = X[columns_for(self.features, X.columns)].set_axis(self.features, axis=1)
        for c in self.categorical:
            lookup = {v: i for i, v in enumerate(self.categories[c])}
            frame[c] = [lookup.get(v, np.nan) for v in frame[c].astype(object)]
        return frame.to_numpy(dtype=float)

    def decode(self, A: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame(A, columns=self.features)
        for c in self.categorical:
            cats = np.asarray(self.categories[c], dtype=object)
            codes = frame[c].to_numpy()
            ok = ~np.isnan(codes)
            col = np.full(len(codes), None, dtype=object)
            col[ok] = cats[codes[ok].astype(int)]
            frame[c] = col
        return frame


def shap_values(ex: Explained, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values and base values of ``X``'s rows (tests monkeypatch this to count calls)."""
    n = len(X)
    classes = ex.classes_of(X)
    if ex.kind == "tree":
        with warnings.catch_warnings():
            # shap warns that LightGBM's binary output format changed; the shape is checked below
            warnings.simplefilter("ignore", UserWarning)
            raw = ex.explainer.shap_values(ex.loaded.model_input(X))
        expected = np.asarray(ex.explainer.expected_value, dtype=float).reshape(-1)
        values = np.stack(raw, axis=-1) if isinstance(raw, list) else np.asarray(raw, dtype=float)
        if values.ndim == 3:  # rows x features x classes
            values = values[np.arange(n), :, classes]
            base = expected[classes] if expected.size > 1 else np.repeat(expected[0], n)
        else:
            base = np.repeat(expected[-1], n)
        return np.asarray(values, dtype=float), np.asarray(base, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ex.explainer(ex.encode(X), silent=True)
    vals = np.asarray(result.values, dtype=float)
    base = np.asarray(result.base_values, dtype=float).reshape(n, -1)[:, 0]
    return vals, base


def explained(store: Any, model: str, version: str, *, trust: bool) -> Explained:
    """The model version with its explainer, loaded once per process and file contents."""
    schema = store.schema(model)
    info = model_info(store.path, model, version)
    if info.needs_trust and not trust:
        store.load_model(model, version, trust=False)  # raises UntrustedModelError
    key = (str(store.path), model, version, info.sha256)
    with _LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
    loaded = store.load_model(model, version, trust=trust)
    logged = set(schema.features)
    absent = [f for f in loaded.feature_names if f not in logged]
    if absent:
        raise SchemaError(
            f"model {model!r} {version} uses features the store never logged for it: "
            f"{', '.join(absent)}; logged features: {', '.join(schema.features)}"
        )
    categorical = tuple(f for f in loaded.feature_names if f in schema.categorical)
    task = info.task
    explainer: Any
    try:
        import shap

        explainer = shap.TreeExplainer(loaded.impl)
        kind = "tree"
        if task == "regression":
            space = "value"
        elif loaded.library in ("lightgbm", "xgboost"):
            space = "log_odds"
        else:
            space = "probability"
        categories: dict[str, list[Any]] = {}
    except Exception:  # shap raises several types for models it has no tree parser for
        kind = "permutation"
        space = "value" if task == "regression" else "probability"
        explainer, categories = None, {}
    ex = Explained(model, version, loaded, explainer, kind, space, task, categorical, categories)
    if kind == "permutation":
        _generic_explainer(store, ex)
    with _LOCK:
        _MODELS[key] = ex
        while len(_MODELS) > _MODELS_MAX:
            _MODELS.popitem(last=False)
    return ex


def _generic_explainer(store: Any, ex: Explained) -> None:
    import shap

    ref = store.reference(ex.model, ex.version)
    if int(ref.count().to_pyarrow().as_py()) == 0:
        ref = store.reference(ex.model)
    background = (
        ref.order_by(ref.model_version, ref[feature_column(ex.features[0])])
        .select(*(ref[feature_column(f)].name(f) for f in ex.features))
        .limit(BACKGROUND_ROWS)
        .to_pandas()
    )
    if background.empty:
        raise SchemaError(
            f"model {ex.model!r} {ex.version} is not a tree model, so SHAP needs a background "
            "sample from its reference, and none is registered: call store.set_reference(...)"
        )
    for c in ex.categorical:
        ex.categories[c] = sorted(background[c].dropna().astype(str).unique().tolist())

    def f(A: np.ndarray) -> np.ndarray:
        X = ex.decode(A)
        return ex.output(X)

    masker = shap.maskers.Independent(ex.encode(background), max_samples=BACKGROUND_ROWS)
    ex.explainer = shap.PermutationExplainer(f, masker)


# -- cache ------------------------------------------------------------------------------------

_MEMORY: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
_MEMORY_MAX = 50_000


def cache_dir(store: Any, model: str, key: str) -> Path:
    return Path(store.path) / "cache" / "explanations" / model / key


def clear_memory_cache() -> None:
    """Forget the in-process copies (the files stay): what a restart does."""
    with _LOCK:
        _MEMORY.clear()
        _MODELS.clear()
        _SEALED.clear()


def cached(store: Any, model: str, key: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Cached rows by prediction id: base, output, and ``shap:<feature>`` values."""
    root = str(store.path)
    found: dict[str, dict[str, Any]] = {}
    with _LOCK:
        for i in ids:
            hit = _MEMORY.get((root, model, key, i))
            if hit is not None:
                found[i] = hit
    missing = [i for i in ids if i not in found]
    d = cache_dir(store, model, key)
    files = _sealed_files(Path(store.path), d) if missing and d.is_dir() else []
    if files:
        dataset = pads.dataset(files, format="parquet")
        table = dataset.to_table(filter=pads.field("prediction_id").isin(missing))
        recs = table.to_pylist()
        found.update((rec["prediction_id"], rec) for rec in recs)
        _remember(root, model, key, recs)
    return found


_SEALED: set[tuple[str, int, int]] = set()  # (path, size, mtime_ns) whose seal held


def _sealed_files(root: Path, d: Path) -> list[Path]:
    """The cache files of ``d`` whose seal holds (each checked once per size and mtime)."""
    key = find_key(root)
    out = []
    for path in sorted(d.glob("*.parquet")):
        try:
            st = path.stat()
        except OSError:
            continue
        ident = (str(path), st.st_size, st.st_mtime_ns)
        if ident not in _SEALED and audit.is_sealed(root, path, key):
            with _LOCK:
                _SEALED.add(ident)
        if ident in _SEALED:
            out.append(path)
    return out


def _remember(root: str, model: str, key: str, recs: Iterable[dict[str, Any]]) -> None:
    with _LOCK:
        for rec in recs:
            _MEMORY[(root, model, key, rec["prediction_id"])] = rec
        while len(_MEMORY) > _MEMORY_MAX:
            _MEMORY.popitem(last=False)


def write_cache(store: Any, model: str, key: str, rows: pd.DataFrame) -> None:
    """Append one batch of explanations (a Parquet file, temp + rename)."""
    if rows.empty:
        return
    d = cache_dir(store, model, key)
    d.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    tmp = d / f".{name}.tmp"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    final = d / f"{name}.parquet"
    os.replace(tmp, final)
    audit.seal(Path(store.path), final)  # until sealed, readers skip the file: a cache miss
    root = str(store.path)
    names = [str(c) for c in rows.columns]
    columns = [rows[c].tolist() for c in rows.columns]  # plain Python values, column at a time
    recs = (dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))
    _remember(root, model, key, recs)
