"""What ``import diaglab`` costs a service, and that lazily loaded names behave like eager ones."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["duckdb", "ibis", "scipy", "sklearn", "shap", "lightgbm", "ipywidgets", "altair"]


def _modules_after(code: str) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.splitlines()[-1])


def test_a_producer_imports_neither_the_query_engine_nor_the_notebook_stack():
    loaded = _modules_after("import diaglab as dl\ndl.Logger, dl.instrument")
    assert [m for m in HEAVY if m in loaded] == []


def test_import_diaglab_alone_loads_only_the_errors():
    loaded = _modules_after("import diaglab")
    assert [m for m in (*HEAVY, "pandas", "pyarrow") if m in loaded] == []


def test_findings_stays_the_function_after_its_subpackage_loads():
    import diaglab as dl
    import diaglab.findings.capture  # loading the subpackage must not rebind dl.findings

    assert callable(dl.findings) and dl.findings.__module__ == "diaglab.findings"
    from diaglab import findings

    assert findings is dl.findings


def test_every_public_name_resolves_and_tab_completes():
    import diaglab as dl

    for name in dl.__all__:
        assert getattr(dl, name) is not None, name
    assert set(dl.__all__) <= set(dir(dl))
    assert "DriftExplorer" in dir(dl) and "otel" in dir(dl)
