"""One request language: :class:`Scope` (what data), a spec per diagnostic (the scope plus the
diagnostic's parameters), the :data:`REGISTRY` that runs specs by kind, and the ``dl.``
diagnostics built from them (:mod:`diaglab.specs.api`; ``docs/architecture.md``)."""

from diaglab.specs.catalog import SPECS
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
