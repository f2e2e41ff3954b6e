"""Registered models: saved in the store so explanations and what-if can run later.

LightGBM boosters are saved in LightGBM's own text format and XGBoost models as JSON; loading those
runs no code. Anything else (e.g. a scikit-learn pipeline) is pickled, and because unpickling runs
arbitrary code, :func:`load_model` refuses it unless the caller passes ``trust=True``. A model can
also be registered from an MLflow model URI (:mod:`diaglab.store.mlflow_models`). A SHA-256 of every
model's files is recorded at registration and checked at load, with where the model came from.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diaglab.errors import InputError, StoreCorruptionError, UntrustedModelError, unknown
from diaglab.store import mlflow_models
from diaglab.store.segments import check_model_name


@dataclass(frozen=True)
class ModelInfo:
    """Where a registered model version lives and how it is stored."""

    model: str
    version: str
    format: str  # "lightgbm", "xgboost", "pickle" or "mlflow"
    estimator: str
    task: str
    features: tuple[str, ...]
    classes: tuple[Any, ...]
    registered_at: str
    path: Path
    sha256: str
    needs_trust: bool
    source: dict[str, Any]  # where the version came from: a Python object or an MLflow URI
    flavor: str | None = None  # the MLflow flavor that loads it


class LoadedModel:
    """A uniform ``predict`` / ``predict_proba`` over a loaded model."""

    def __init__(self, info: ModelInfo, impl: Any) -> None:
        self.info = info
        self.impl = impl

    @property
    def feature_names(self) -> list[str]:
        return list(self.info.features)

    @functools.cached_property
    def library(self) -> str:
        """The package of the model object: "lightgbm", "xgboost", "sklearn", ..."""
        return type(self.impl).__module__.split(".")[0]

    @property
    def booster(self) -> Any:
        """The LightGBM ``Booster`` (of a Booster or of a scikit-learn API LightGBM model)."""
        return getattr(self.impl, "booster_", self.impl)

    def model_input(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X``'s model features, in the model's order, with each categorical feature turned
        into the categories the model was trained with (unseen values become missing)."""
        absent = [f for f in self.feature_names if f not in X.columns]
        if absent:
            raise InputError(
                f"model {self.info.model!r} {self.info.version} needs features that are not "
                f"given: {', '.join(absent)}; it was trained on {', '.join(self.feature_names)}"
            )
        frame = X[self.feature_names].copy()
        dtypes = self._categorical_dtypes
        for name in frame.columns:
            if name in dtypes:
                frame[name] = pd.Categorical(frame[name].astype(object), dtype=dtypes[name])
            elif not pd.api.types.is_numeric_dtype(frame[name]):
                try:
                    frame[name] = pd.to_numeric(frame[name])
                except (ValueError, TypeError) as exc:
                    raise InputError(
                        f"feature {name!r} must be numeric for model {self.info.model!r}: {exc}"
                    ) from exc
        return frame

    @functools.cached_property
    def categories(self) -> dict[str, list[Any]]:
        """Categorical feature -> its training categories (LightGBM models trained on pandas)."""
        if self.library != "lightgbm":
            return {}
        trained = getattr(self.booster, "pandas_categorical", None) or []
        indexes = _lightgbm_categorical_indexes(self.booster.model_to_string())
        return {self.feature_names[i]: list(c) for i, c in zip(indexes, trained, strict=False)}

    @functools.cached_property
    def _categorical_dtypes(self) -> dict[str, pd.CategoricalDtype]:
        # one dtype per feature, so pandas builds each categories' lookup table once, not per call
        return {name: pd.CategoricalDtype(cats) for name, cats in self.categories.items()}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        frame = self.model_input(X)
        if self.library == "lightgbm":
            raw = np.asarray(self.booster.predict(frame))
            return raw if raw.ndim == 2 else np.column_stack([1 - raw, raw])
        return np.asarray(self.impl.predict_proba(frame))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.info.task == "regression":
            return np.asarray(self.impl.predict(self.model_input(X)))
        proba = self.predict_proba(X)
        return np.asarray(self.info.classes)[proba.argmax(axis=1)]


def _lightgbm_categorical_indexes(model_text: str) -> list[int]:
    """Positions of the categorical features, from the ``[categorical_feature: ...]`` line
    LightGBM writes among a model's parameters."""
    for line in model_text.splitlines():
        if line.startswith("[categorical_feature:"):
            body = line.split(":", 1)[1].strip(" ]")
            return [int(i) for i in body.split(",") if i.strip()]
    return []


def _lightgbm_task(booster: Any) -> str:
    objective = (
        str(booster.params.get("objective", ""))
        or booster.model_to_string().split("objective=", 1)[-1].split(maxsplit=1)[0]
    )
    if objective.startswith(("binary", "cross_entropy")):
        return "binary"
    if objective.startswith(("multiclass", "softmax", "multiclassova")):
        return "multiclass"
    return "regression"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version_dir(root: Path, model: str, version: str) -> Path:
    check_model_name(model)
    try:
        check_model_name(version)
    except InputError:
        raise InputError(
            f"invalid model version {version!r}: use 1-64 letters, digits, '_', '-' or '.'"
        ) from None
    return root / "models" / model / "versions" / version


def _describe(estimator: Any) -> tuple[str, tuple[Any, ...], tuple[str, ...]]:
    """A fitted model's task ("binary", "multiclass" or "regression"), classes and features."""
    classes = tuple(np.asarray(getattr(estimator, "classes_", ())).tolist())
    task = (
        "regression"
        if not classes and not hasattr(estimator, "predict_proba")
        else ("binary" if len(classes) <= 2 else "multiclass")
    )
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = getattr(estimator, "feature_name_", None)
    features = tuple(str(f) for f in (names if names is not None else ()))
    if type(estimator).__module__.split(".")[0] == "lightgbm":
        booster = getattr(estimator, "booster_", estimator)
        features = features or tuple(booster.feature_name())
        task = _lightgbm_task(booster)
        if task == "binary" and not classes:
            classes = (0, 1)
    return task, classes, features


def _write_info(d: Path, info: dict[str, Any]) -> None:
    info["registered_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    tmp = d / ".model.json.tmp"
    tmp.write_text(json.dumps(info, indent=1, default=str))
    os.replace(tmp, d / "model.json")


def register_model(
    root: Path, model: str, estimator: Any, version: str, *, trust: bool = False
) -> ModelInfo:
    """Save ``estimator`` (a fitted model, or an MLflow model URI) as ``version`` of ``model``;
    an existing version is replaced. ``trust`` is needed only for MLflow models whose loading
    runs code (see :mod:`diaglab.store.mlflow_models`)."""
    if isinstance(estimator, str):
        return _register_mlflow(root, model, estimator, version, trust=trust)
    d = _version_dir(root, model, version)
    d.mkdir(parents=True, exist_ok=True)
    kind = type(estimator).__module__.split(".")[0]
    task, classes, features = _describe(estimator)
    if kind == "lightgbm":
        fmt, path = "lightgbm", d / "model.lgb.txt"
        getattr(estimator, "booster_", estimator).save_model(str(path))
    elif kind == "xgboost":
        fmt, path = "xgboost", d / "model.xgb.json"
        estimator.save_model(str(path))
    else:
        fmt, path = "pickle", d / "model.pkl"
        path.write_bytes(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))
    if not features:
        raise InputError(
            f"cannot tell which features {type(estimator).__name__} uses: fit it on a pandas "
            "DataFrame so it records feature names"
        )
    estimator_name = f"{type(estimator).__module__}.{type(estimator).__name__}"
    _write_info(
        d,
        {
            "model": model,
            "version": version,
            "format": fmt,
            "estimator": estimator_name,
            "task": task,
            "features": list(features),
            "classes": list(classes),
            "file": path.name,
            "sha256": _sha256(path),
            "needs_trust": fmt == "pickle",
            "source": {"type": "python", "class": estimator_name},
        },
    )
    return model_info(root, model, version)


def _register_mlflow(root: Path, model: str, uri: str, version: str, *, trust: bool) -> ModelInfo:
    if not mlflow_models.is_mlflow_uri(uri):
        raise InputError(
            f"register_model got the text {uri!r}: pass a fitted model, or an MLflow model URI "
            f"starting with {' or '.join(mlflow_models.URI_SCHEMES)}"
        )
    d = _version_dir(root, model, version)
    d.mkdir(parents=True, exist_ok=True)
    staging = d / f".mlflow-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        described = mlflow_models.describe(mlflow_models.download(uri, staging), uri)
        mlflow_models.check_trust(described, f"MLflow model {uri!r}", trust)
        task, classes, features = _describe(described.load())
        features = features or described.features
        if not features:
            raise InputError(
                f"cannot tell which features MLflow model {uri!r} uses: log it with a signature "
                "(mlflow.<flavor>.log_model(..., input_example=X)) or fit it on a DataFrame"
            )
        final = d / "mlflow"
        shutil.rmtree(final, ignore_errors=True)
        os.replace(described.path, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _write_info(
        d,
        {
            "model": model,
            "version": version,
            "format": "mlflow",
            "flavor": described.flavor,
            "estimator": described.model_class,
            "task": task,
            "features": list(features),
            "classes": list(classes),
            "file": final.name,
            "sha256": mlflow_models.tree_sha256(final),
            "needs_trust": described.needs_trust,
            "source": {
                "type": "mlflow",
                "uri": uri,
                "tracking_uri": mlflow_models.tracking_uri(),
                "run_id": described.run_id,
                "model_uuid": described.model_uuid,
                "mlflow_version": described.mlflow_version,
            },
        },
    )
    return model_info(root, model, version)


def model_versions(root: Path, model: str) -> list[str]:
    base = root / "models" / model / "versions"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "model.json").is_file())


def model_info(root: Path, model: str, version: str | None = None) -> ModelInfo:
    versions = model_versions(root, model)
    if not versions:
        raise unknown(
            "registered model",
            model,
            [p.parent.parent.name for p in (root / "models").glob("*/versions/*/model.json")],
        )
    version = version or versions[-1]
    if version not in versions:
        raise unknown(f"version of registered model {model!r}:", version, versions)
    d = _version_dir(root, model, version)
    data = json.loads((d / "model.json").read_text())
    return ModelInfo(
        model,
        version,
        data["format"],
        data["estimator"],
        data["task"],
        tuple(data["features"]),
        tuple(data["classes"]),
        data["registered_at"],
        d / data["file"],
        data["sha256"],
        bool(data.get("needs_trust", data["format"] == "pickle")),
        data.get("source") or {"type": "python", "class": data["estimator"]},
        data.get("flavor"),
    )


def load_model(
    root: Path, model: str, version: str | None = None, *, trust: bool = False
) -> LoadedModel:
    """Load a registered model; pickles need ``trust=True`` because unpickling runs code."""
    info = model_info(root, model, version)
    if info.format == "mlflow":
        return _load_mlflow(info, trust=trust)
    if info.needs_trust and not trust:
        raise UntrustedModelError(
            f"model {model!r} version {info.version!r} is a pickle ({info.estimator}); loading "
            "it runs code from the store. Pass trust=True only if you trust whoever wrote this "
            "store, or register a LightGBM/XGBoost model, which loads without running code."
        )
    if _sha256(info.path) != info.sha256:
        raise StoreCorruptionError(
            f"{info.path} does not match the SHA-256 recorded when it was registered"
        )
    if info.format == "lightgbm":
        import lightgbm

        impl: Any = lightgbm.Booster(model_file=str(info.path))
    elif info.format == "xgboost":
        import xgboost

        impl = xgboost.XGBClassifier() if info.task != "regression" else xgboost.XGBRegressor()
        impl.load_model(str(info.path))
    else:
        impl = pickle.loads(info.path.read_bytes())
    return LoadedModel(info, impl)


def _load_mlflow(info: ModelInfo, *, trust: bool) -> LoadedModel:
    if mlflow_models.tree_sha256(info.path) != info.sha256:
        raise StoreCorruptionError(
            f"{info.path} does not match the SHA-256 recorded when it was registered"
        )
    described = mlflow_models.describe(info.path, str(info.source.get("uri")))
    who = f"model {info.model!r} version {info.version!r} (from {info.source.get('uri')})"
    mlflow_models.check_trust(described, who, trust)
    return LoadedModel(info, described.load())
