"""Models registered from an MLflow model URI (``models:/credit/1``, ``runs:/<run>/model``, ...).

The model's MLflow directory is downloaded into the store, so the store stays self-contained: the
version loads later through the MLflow flavor that saved it, without the tracking server. Only
flavors whose files are data (LightGBM's text model, XGBoost's JSON/UBJ) load without running code;
pickle, cloudpickle and skops files, and custom pyfunc code, run code chosen by whoever wrote the
model, so those need ``trust=True`` to register (registration loads the model once, to learn its
features and classes) and to load.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diaglab.errors import InputError, UntrustedModelError

URI_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")
# Flavors diaglab explains, in the order it prefers them when a model has several.
FLAVORS = ("lightgbm", "xgboost", "sklearn")
_DATA_FILES = {"lightgbm": (".lgb", ".txt"), "xgboost": (".json", ".ubj", ".xgb")}


def is_mlflow_uri(value: object) -> bool:
    return isinstance(value, str) and value.startswith(URI_SCHEMES)


@dataclass(frozen=True)
class MlflowModel:
    """An MLflow model directory and what its ``MLmodel`` file says about it."""

    path: Path
    flavor: str
    model_class: str
    needs_trust: bool
    features: tuple[str, ...]
    run_id: str | None
    model_uuid: str | None
    mlflow_version: str | None

    def load(self) -> Any:
        """The native model object, through ``mlflow.<flavor>.load_model``."""
        module = importlib.import_module(f"mlflow.{self.flavor}")
        return module.load_model(str(self.path))


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError as exc:
        raise InputError(
            "registering a model from an MLflow URI needs MLflow: pip install 'diaglab[mlflow]'"
        ) from exc
    return mlflow


def download(uri: str, destination: Path) -> Path:
    """Copy the model at ``uri`` (resolved against MLflow's current tracking and registry URIs)
    into ``destination``, which must not exist yet; returns the model directory."""
    mlflow = _mlflow()
    destination.mkdir(parents=True)
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=destination))
    except Exception as exc:  # MLflow raises MlflowException, OSError, ... for a bad URI
        raise InputError(
            f"cannot fetch MLflow model {uri!r} from tracking store "
            f"{mlflow.get_tracking_uri()!r}: {exc}"
        ) from exc
    if not (local / "MLmodel").is_file():
        raise InputError(f"{uri!r} is not an MLflow model: it has no MLmodel file")
    return local


def describe(path: Path, uri: str) -> MlflowModel:
    """Read the ``MLmodel`` file of a downloaded model: its flavor, and whether loading it runs
    code from the model's author."""
    import yaml

    meta = yaml.safe_load((path / "MLmodel").read_text()) or {}
    flavors: dict[str, Any] = meta.get("flavors") or {}
    flavor = next((f for f in FLAVORS if f in flavors), None)
    if flavor is None:
        raise InputError(
            f"MLflow model {uri!r} has flavors {', '.join(sorted(flavors)) or '(none)'}; diaglab "
            f"explains models saved with one of: {', '.join(FLAVORS)}"
        )
    conf: dict[str, Any] = flavors[flavor] or {}
    data = str(conf.get("data") or conf.get("pickled_model") or "")
    native = data.endswith(_DATA_FILES.get(flavor, ())) and not conf.get("code")
    return MlflowModel(
        path=path,
        flavor=flavor,
        model_class=str(conf.get("model_class") or flavor),
        needs_trust=not native,
        features=_signature_inputs(meta),
        run_id=meta.get("run_id"),
        model_uuid=meta.get("model_uuid"),
        mlflow_version=meta.get("mlflow_version"),
    )


def _signature_inputs(meta: dict[str, Any]) -> tuple[str, ...]:
    inputs = (meta.get("signature") or {}).get("inputs")
    if not inputs:
        return ()
    columns = json.loads(inputs) if isinstance(inputs, str) else inputs
    return tuple(str(c["name"]) for c in columns if isinstance(c, dict) and "name" in c)


def check_trust(described: MlflowModel, who: str, trust: bool) -> None:
    if described.needs_trust and not trust:
        raise UntrustedModelError(
            f"{who} is saved by MLflow's {described.flavor} flavor as {described.model_class} "
            "in a format whose loading runs code (pickle, cloudpickle or skops). Pass "
            "trust=True only if you trust whoever logged this model, or log a LightGBM Booster or "
            "an XGBoost model, which load without running code."
        )


def tree_sha256(path: Path) -> str:
    """One SHA-256 over a directory: every file's relative path and contents, in sorted order."""
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def tracking_uri() -> str:
    return str(_mlflow().get_tracking_uri())
