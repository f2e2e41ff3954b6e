"""Findings: what a person concluded, with its evidence, stored, exported and rechecked.

>>> f = explorer.capture("income drifted", note="new partner channel")   # doctest: +SKIP
>>> dl.findings(store)                                                   # doctest: +SKIP
>>> dl.export(dl.findings(store), "report.html")                         # doctest: +SKIP

See ``docs/findings.md`` for the JSON bundle (``application/vnd.diaglab.findings+json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from diaglab.errors import InputError
from diaglab.findings.capture import default_author, finding
from diaglab.findings.export import MissingExtraError, export
from diaglab.findings.finding import MIME, Finding, bundle, read_bundle
from diaglab.findings.replay import Check, recheck
from diaglab.findings.stored import Findings, load


def findings(store: Any, model: str | None = None) -> Findings:
    """The findings stored in ``store`` (a Store or its path), oldest first.

    ``.frame()`` is a DataFrame view; displayed in a notebook they render with the findings
    MIME type (HTML fallback); :func:`diaglab.export` writes them.
    """
    return load(store, model)


def read(path: str | Path) -> Findings:
    """The findings of a ``.json`` export (a findings bundle); a damaged one names the finding."""
    p = Path(path)
    try:
        obj = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"no such findings file: {p}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{p} is not JSON: {exc}") from exc
    return Findings(read_bundle(obj, where=str(p)))


__all__ = [
    "MIME",
    "Check",
    "Finding",
    "Findings",
    "MissingExtraError",
    "bundle",
    "default_author",
    "export",
    "finding",
    "findings",
    "read",
    "recheck",
]
