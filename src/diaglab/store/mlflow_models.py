"""Models registered from an MLflow model URI (``models:/credit/1``, ``runs:/<run>/model``, ...).

The model's MLflow directory is downloaded into the store, so the store stays self-contained: the
version loads later through the MLflow flavor that saved it, without the tracking server. Only
models whose files are data load without running code: a LightGBM ``Booster`` saved as LightGBM's
text model, an XGBoost model saved as JSON/UBJ, both with a plain ``model_class``, a data file that
really holds that format (read from its bytes), and no ``code`` directory; diaglab then loads the
file itself, with LightGBM or XGBoost, not through MLflow's loader. Everything else MLflow would
load by unpickling (the scikit-learn API LightGBM classes, the sklearn flavor's pickle, cloudpickle
and skops files) or by importing code shipped with the model (``code`` paths, pyfunc loader
modules) runs code chosen by whoever logged the model: it needs ``trust=True`` to register and to
load. Registering reads only the ``MLmodel`` file: without ``trust=True`` nothing of the model is
executed; with it, the model is loaded once to learn its features and classes.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diaglab.errors import InputError, UntrustedModelError

URI_SCHEMES = ("models:/", "runs:/", "mlflow-artifacts:/")
# Flavors diaglab explains, in the order it prefers them when a model has several.
FLAVORS = ("lightgbm", "xgboost", "sklearn")
# model_class values MLflow's LightGBM/XGBoost loaders build without unpickling; any other class
# makes MLflow's LightGBM loader unpickle, and its XGBoost loader import whatever the text names.
_NATIVE_CLASSES = {
    "lightgbm": {"lightgbm.basic.Booster"},
    "xgboost": {
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
    },
}


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

    data: str = ""  # the flavor's data file, relative to ``path``

    def load(self) -> Any:
        """The native model object: read by LightGBM or XGBoost themselves when the model is
        code-free, through ``mlflow.<flavor>.load_model`` otherwise (callers check trust)."""
        if not self.needs_trust and self.flavor == "lightgbm":
            import lightgbm

            return lightgbm.Booster(model_file=str(self.path / self.data))
        if not self.needs_trust and self.flavor == "xgboost":
            import xgboost

            cls = {"XGBClassifier": xgboost.XGBClassifier, "XGBRegressor": xgboost.XGBRegressor}
            model = cls.get(self.model_class.rsplit(".", 1)[-1], xgboost.Booster)()
            model.load_model(str(self.path / self.data))
            return model
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

    try:
        meta = yaml.safe_load((path / "MLmodel").read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"MLflow model {uri!r} has an unreadable MLmodel file: {exc}") from exc
    if not isinstance(meta, dict):
        raise InputError(f"MLflow model {uri!r} has an MLmodel file that is not a mapping")
    flavors: dict[str, Any] = meta.get("flavors") or {}
    flavor = next((f for f in FLAVORS if f in flavors), None)
    if flavor is None:
        raise InputError(
            f"MLflow model {uri!r} has flavors {', '.join(sorted(flavors)) or '(none)'}; diaglab "
            f"explains models saved with one of: {', '.join(FLAVORS)}"
        )
    conf: dict[str, Any] = flavors[flavor] or {}
    data = str(conf.get("data") or conf.get("pickled_model") or "")
    model_class = str(conf.get("model_class") or "")
    return MlflowModel(
        path=path,
        flavor=flavor,
        model_class=model_class or flavor,
        needs_trust=_runs_code(path, meta, flavor, conf),
        features=_signature_inputs(meta),
        run_id=meta.get("run_id"),
        model_uuid=meta.get("model_uuid"),
        mlflow_version=meta.get("mlflow_version"),
        data=data,
    )


def _runs_code(path: Path, meta: dict[str, Any], flavor: str, conf: dict[str, Any]) -> bool:
    """Whether loading this model (by diaglab, or by MLflow for a trusted one) may run code
    chosen by whoever logged it. Decided from the files, never from a model's own claim."""
    from diaglab.store.models import file_format

    if flavor not in _NATIVE_CLASSES:
        return True
    default = "lightgbm.basic.Booster" if flavor == "lightgbm" else "xgboost.core.Booster"
    if str(conf.get("model_class") or default) not in _NATIVE_CLASSES[flavor]:
        return True
    pyfunc = (meta.get("flavors") or {}).get("python_function") or {}
    if conf.get("code") or pyfunc.get("code") or (path / "code").exists():
        return True
    if pyfunc.get("loader_module") not in (None, f"mlflow.{flavor}"):
        return True
    data = str(conf.get("data") or "")
    target = (path / data).resolve()
    if not data or not target.is_relative_to(path.resolve()) or not target.is_file():
        return True
    return file_format(target) != flavor


def needs_trust_at(path: Path) -> bool:
    """Whether loading the MLflow model directory at ``path`` runs code (True when unreadable)."""
    try:
        return describe(path, str(path)).needs_trust
    except (OSError, ValueError):
        return True


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
            "in a form whose loading runs code (a pickle, cloudpickle or skops file, a data file "
            "that is not a LightGBM/XGBoost model, or code shipped with the model). Pass "
            "trust=True only if you trust whoever logged this model, or log a LightGBM Booster or "
            "an XGBoost model, which load without running code."
        )


def tracking_uri() -> str:
    return str(_mlflow().get_tracking_uri())
