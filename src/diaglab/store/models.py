"""Registered models: saved in the store so explanations and what-if can run later.

LightGBM boosters are saved in LightGBM's own text format and XGBoost models as JSON; loading those
runs no code. Anything else (e.g. a scikit-learn pipeline) is pickled, and because unpickling runs
arbitrary code, :func:`load_model` refuses it unless the caller passes ``trust=True``. A model can
also be registered from an MLflow model URI (:mod:`diaglab.store.mlflow_models`).

Whether loading runs code is decided from the file itself, when loading (:func:`file_format`
reads its bytes: only a LightGBM text model or an XGBoost JSON/UBJSON model is code-free), never
from ``model.json``, which anyone who can write the store can edit. The SHA-256 of every model's
files is chained in the store's keyed audit trail at registration
(:func:`diaglab.store.audit.append_registration`) and checked against it at every load.
"""

from __future__ import annotations

import functools
import json
import logging
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
from diaglab.store import audit, layout, mlflow_models
from diaglab.store.audit.key import find_key
from diaglab.store.audit.key import store_id as audit_key_id
from diaglab.store.schema import columns_for
from diaglab.store.segments import check_model_name

log = logging.getLogger(__name__)


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
    needs_trust: bool  # from the file's bytes (or an MLflow model's MLmodel), not model.json
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
        stored = columns_for(self.feature_names, X.columns)
        absent = [f for f, c in zip(self.feature_names, stored, strict=True) if c not in X.columns]
        if absent:
            raise InputError(
                f"model {self.info.model!r} {self.info.version} needs features that are not "
                f"given: {', '.join(absent)}; it was trained on {', '.join(self.feature_names)}"
            )
        frame = X[stored].set_axis(self.feature_names, axis=1)
        dtypes = self._categorical_dtypes
        for name in frame.columns:
            if name in dtypes:  # by codes: an unseen value's code is -1, i.e. missing
                codes = dtypes[name].categories.get_indexer(pd.Index(frame[name], dtype=object))
                frame[name] = pd.Categorical.from_codes(codes, dtype=dtypes[name])
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


CODE = "code"  # what file_format calls anything that is not a known code-free model format


def file_format(path: Path) -> str:
    """What a model file holds, judged from its bytes: ``"lightgbm"`` (LightGBM's text model),
    ``"xgboost"`` (an XGBoost JSON or UBJSON model), or ``"code"`` for anything else (a pickle,
    joblib or cloudpickle file, or unknown bytes), whose loading may run code."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return CODE
    if head.startswith(b"tree\nversion=v") or head.startswith(b"tree\r\nversion=v"):
        return "lightgbm"
    stripped = head.lstrip()
    if stripped.startswith(b"{") and b"learner" in head:
        # JSON ({"learner": ...) or UBJSON ({L\x00...\x07learner...): xgboost parses either in
        # C++, and neither can name a Python object to build.
        return "xgboost"
    return CODE


def _version_dir(root: Path, model: str, version: str) -> Path:
    check_model_name(model)
    try:
        check_model_name(version)
    except InputError:
        raise InputError(
            f"invalid model version {version!r}: use 1-64 letters, digits, '_', '-' or '.'"
        ) from None
    return layout.version_dir(root, model, version)


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
            "sha256": audit.path_sha256(path),
            "needs_trust": fmt == "pickle",
            "source": {"type": "python", "class": estimator_name},
        },
    )
    audit.append_registration(root, model, version, path)
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
            "sha256": audit.path_sha256(final),
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
    audit.append_registration(root, model, version, final)
    return model_info(root, model, version)


def model_versions(root: Path, model: str) -> list[str]:
    base = layout.versions_dir(root, model)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "model.json").is_file())


def model_info(root: Path, model: str, version: str | None = None) -> ModelInfo:
    versions = model_versions(root, model)
    if not versions:
        raise unknown(
            "registered model",
            model,
            [p.parent.parent.name for p in (root / layout.MODELS).glob("*/versions/*/model.json")],
        )
    version = version or versions[-1]
    if version not in versions:
        raise unknown(f"version of registered model {model!r}:", version, versions)
    d = _version_dir(root, model, version)
    data = json.loads((d / "model.json").read_text())
    path = d / Path(str(data["file"])).name
    if data["format"] == "mlflow":
        needs_trust = mlflow_models.needs_trust_at(path)
    else:
        needs_trust = file_format(path) == CODE
    return ModelInfo(
        model,
        version,
        data["format"],
        data["estimator"],
        data["task"],
        tuple(data["features"]),
        tuple(data["classes"]),
        data["registered_at"],
        path,
        data["sha256"],
        needs_trust,
        data.get("source") or {"type": "python", "class": data["estimator"]},
        data.get("flavor"),
    )


def load_model(
    root: Path, model: str, version: str | None = None, *, trust: bool = False
) -> LoadedModel:
    """Load a registered model; a file whose loading runs code needs ``trust=True``.

    The file's bytes decide (:func:`file_format`), whatever ``model.json`` says, and they must
    match the SHA-256 chained in the store's audit trail when the version was registered.
    """
    info = model_info(root, model, version)
    _check_digest(root, info)
    if info.format == "mlflow":
        return _load_mlflow(info, trust=trust)
    actual = file_format(info.path)
    if actual == CODE and not trust:
        raise UntrustedModelError(
            f"model {model!r} version {info.version!r} is stored as {info.path.name}, a file "
            f"whose loading runs code (a pickle or unknown bytes; model.json says "
            f"{info.format}). Pass trust=True only if you trust whoever wrote this store, or "
            "register a LightGBM/XGBoost model, which loads without running code."
        )
    if actual != CODE and info.format != "pickle" and actual != info.format:
        raise StoreCorruptionError(
            f"{info.path} holds a {actual} model but model.json says {info.format}"
        )
    if actual == "lightgbm":
        import lightgbm

        impl: Any = lightgbm.Booster(model_file=str(info.path))
    elif actual == "xgboost":
        import xgboost

        impl = xgboost.XGBClassifier() if info.task != "regression" else xgboost.XGBRegressor()
        impl.load_model(str(info.path))
    else:
        impl = pickle.loads(info.path.read_bytes())
    return LoadedModel(info, impl)


def _check_digest(root: Path, info: ModelInfo) -> None:
    """The files must have the SHA-256 the keyed audit trail vouches for (``model.json``'s own
    copy is evidence only where no key is at hand: see
    :func:`diaglab.store.audit.registered_digest`)."""
    key = find_key(root)
    expected = audit.registered_digest(root, info.model, info.version, key)
    if expected is None:
        raise StoreCorruptionError(
            f"model {info.model!r} version {info.version!r} has no registration that the store's "
            f"audit key ({key.where if key else 'not found'}) vouches for in "
            f"{audit.chain_path(root, audit.REGISTRY, info.model)}; register it again"
        )
    if key is None and audit_key_id(root) is not None:
        log.warning(
            "diaglab: the audit key of store %s is not here (see docs/security.md); model %r %s "
            "is checked against its model.json only",
            root,
            info.model,
            info.version,
        )
    if audit.path_sha256(info.path) != expected:
        raise StoreCorruptionError(
            f"{info.path} does not match the SHA-256 recorded when it was registered"
        )


def _load_mlflow(info: ModelInfo, *, trust: bool) -> LoadedModel:
    described = mlflow_models.describe(info.path, str(info.source.get("uri")))
    who = f"model {info.model!r} version {info.version!r} (from {info.source.get('uri')})"
    mlflow_models.check_trust(described, who, trust)
    return LoadedModel(info, described.load())
