"""Findings into experiment trackers: an MLflow run, a Weights & Biases run.

Per finding (``<n>-<title slug>`` names its artifacts): the claimed numbers as metrics
(``<slug>.<key>.<column>``), its model, version, explorer and query as params, the evidence
table, the chart (Vega-Lite JSON and the static SVG) and the whole finding as JSON. Both
packages are optional extras; a missing one raises an error naming the extra to install.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from diaglab.errors import InputError
from diaglab.findings.export import MissingExtraError, file_names
from diaglab.findings.finding import Finding, bundle, svg_image

PARAM_CHARS = 500


def _require(package: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise MissingExtraError(
            f"exporting findings to {extra} needs the {package!r} package: "
            f"pip install 'diaglab[{extra}]'"
        ) from exc


def _metric_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_./ -]+", "_", text)[:250]


def claimed_metrics(f: Finding, name: str) -> Iterator[tuple[str, float]]:
    """``(metric name, value)`` for each number in the finding's claim."""
    claim = f.claim or {}
    key = list(claim.get("key", []))
    for row in claim.get("rows", []):
        label = "_".join(str(row.get(c)) for c in key)
        for col in claim.get("approx", []):
            v = row.get(col)
            if isinstance(v, int | float) and not isinstance(v, bool):
                yield _metric_name(f"{name}.{label}.{col}"), float(v)


def _params(f: Finding) -> dict[str, str]:
    out = {
        "title": f.title,
        "model": f.model or "",
        "model_version": f.model_version or "",
        "explorer": f.explorer or "",
        "function": str(f.query.get("function") or ""),
        "call": str(f.query.get("call") or ""),
        "id": f.id,
        "hash": f.hash,
    }
    return {k: v[:PARAM_CHARS] for k, v in out.items() if v}


# -- MLflow -----------------------------------------------------------------------------------


def to_mlflow(findings: Sequence[Finding], target: Any) -> str:
    """Log ``findings`` to an MLflow run; returns its run id.

    ``target``: a run id (text of 32 hex digits), an ``mlflow`` Run/ActiveRun, a tracking URI
    (``"sqlite:///…"``, ``"file:…"``, ``"http…"``: a new run in experiment "diaglab-findings"),
    a dict ``{"tracking_uri", "experiment", "run_id", "artifact_location"}`` (the last for a new
    experiment), or True (the active run,
    else a new run with the current tracking URI).
    """
    mlflow = _require("mlflow", "mlflow")
    from mlflow.tracking import MlflowClient

    uri, experiment, run_id, artifacts = None, "diaglab-findings", None, None
    if target is True:
        active = mlflow.active_run()
        run_id = active.info.run_id if active else None
    elif isinstance(target, str):
        if re.fullmatch(r"[0-9a-f]{32}", target):
            run_id = target
        else:
            uri = target
    elif isinstance(target, Mapping):
        uri = target.get("tracking_uri")
        experiment = str(target.get("experiment", experiment))
        run_id = target.get("run_id")
        artifacts = target.get("artifact_location")
    elif hasattr(target, "info") and hasattr(target.info, "run_id"):
        run_id = target.info.run_id
    else:
        raise InputError(
            "mlflow= takes a run id, an mlflow run, a tracking URI, a dict "
            "{'tracking_uri', 'experiment', 'run_id'} or True"
        )
    client = MlflowClient(tracking_uri=uri)
    created = run_id is None
    if run_id is None:
        exp = client.get_experiment_by_name(experiment)
        exp_id = (
            exp.experiment_id
            if exp
            else client.create_experiment(experiment, artifact_location=artifacts)
        )
        run_id = client.create_run(exp_id, run_name="diaglab findings").info.run_id
    run_id = str(run_id)
    try:
        client.set_tag(run_id, "diaglab.findings", str(len(findings)))
        for f, name in zip(findings, file_names(findings), strict=True):
            base = f"findings/{name}"
            for key, text in _params(f).items():
                client.log_param(run_id, _metric_name(f"{name}.{key}"), text)
            for metric, value in claimed_metrics(f, name):
                client.log_metric(run_id, metric, value)
            df = f.frame()
            if len(df.columns):
                client.log_table(run_id, data=_flat(df), artifact_file=f"{base}/table.json")
            if f.chart:
                client.log_dict(run_id, dict(f.chart), f"{base}/chart.vl.json")
            if f.chart_svg:
                client.log_text(run_id, f.chart_svg, f"{base}/chart.svg")
            client.log_dict(run_id, f.to_json(), f"{base}/finding.json")
    except BaseException:
        if created:
            client.set_terminated(run_id, status="FAILED")
        raise
    if created:
        client.set_terminated(run_id)
    return run_id


def _flat(df: Any) -> Any:
    """Nested values (lists, dicts) as JSON text: trackers' tables take scalars."""
    return df.map(lambda v: json.dumps(v) if isinstance(v, list | dict) else v)


# -- Weights & Biases -------------------------------------------------------------------------


def to_wandb(findings: Sequence[Finding], target: Any) -> str:
    """Log ``findings`` to a W&B run; returns its run id.

    ``target``: a ``wandb`` Run (logged into, left open), a dict of ``wandb.init`` arguments
    (a new run, finished here), or True (the current ``wandb.run``, else a new run in project
    "diaglab-findings"). Run files: ``diaglab-findings.json`` (the bundle) and
    ``diaglab/<n>-<slug>/finding.json``. With ``WANDB_MODE=offline`` everything stays in
    ``WANDB_DIR``.
    """
    wandb = _require("wandb", "wandb")
    created = False
    if target is True:
        run = wandb.run
        if run is None:
            run, created = wandb.init(project="diaglab-findings", job_type="findings"), True
    elif isinstance(target, Mapping):
        args = {"project": "diaglab-findings", "job_type": "findings", **dict(target)}
        run, created = wandb.init(**args), True
    elif hasattr(target, "log") and hasattr(target, "summary"):
        run = target
    else:
        raise InputError("wandb= takes a wandb run, a dict of wandb.init arguments, or True")
    try:
        run.config.update({"diaglab_findings": len(findings)}, allow_val_change=True)
        for f, name in zip(findings, file_names(findings), strict=True):
            run.config.update(
                {f"{name}.{k}": v for k, v in _params(f).items()}, allow_val_change=True
            )
            logged: dict[str, Any] = {}
            for metric, value in claimed_metrics(f, name):
                run.summary[metric] = value
            df = f.frame()
            if len(df.columns):
                logged[f"{name}/table"] = wandb.Table(dataframe=_flat(df))
            if f.chart_svg:
                # as an image: W&B shows Html as a page, where an SVG's script would run
                logged[f"{name}/chart"] = wandb.Html(svg_image(f.chart_svg), inject=False)
            if logged:
                run.log(logged)
            # Run files (synced with the run; in offline mode kept under WANDB_DIR).
            folder = Path(run.dir) / "diaglab" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "finding.json").write_text(json.dumps(f.to_json()), encoding="utf-8")
            if f.chart:
                (folder / "chart.vl.json").write_text(json.dumps(f.chart), encoding="utf-8")
        (Path(run.dir) / "diaglab-findings.json").write_text(
            json.dumps(bundle(findings)), encoding="utf-8"
        )
    finally:
        if created:
            run.finish()
    return str(run.id)
