"""One request language: :class:`Scope` (what data), a spec per diagnostic (the scope plus the
diagnostic's parameters, in ``diaglab/diagnostics/<name>/spec.py``), the :data:`REGISTRY` that
runs specs by kind, and the ``dl.`` diagnostics built from them (:mod:`diaglab.specs.api`;
``docs/architecture.md``). ``SPECS`` (every spec) loads the catalog on first use, so a
diagnostic's spec module can import this package without a cycle."""

from typing import Any

from diaglab.specs.scope import Scope
from diaglab.specs.spec import REGISTRY, Diagnostic, Spec, runner, spec_class, spec_of

__all__ = [
    "REGISTRY",
    "SPECS",
    "Diagnostic",
    "Scope",
    "Spec",
    "runner",
    "spec_class",
    "spec_of",
]


def __getattr__(name: str) -> Any:
    if name == "SPECS":
        from diaglab.specs.catalog import SPECS

        return SPECS
    raise AttributeError(f"module 'diaglab.specs' has no attribute {name!r}")
