# diaglab: `make demo` (HEADLESS=1 to execute the tour without a browser) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SAMPLE := sample_data/credit
HEADLESS ?=

.PHONY: env browser emulators demo test lint typecheck unit bench clean labext-test gallery

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

env: $(STAMP)

$(SAMPLE)/segments: | $(STAMP)
	$(BIN)/diaglab sample $(SAMPLE)

demo: env $(SAMPLE)/segments
ifeq ($(HEADLESS),)
	$(BIN)/diaglab demo --store $(SAMPLE) --notebooks notebooks
else
	$(BIN)/diaglab demo --headless --store $(SAMPLE) --notebooks notebooks
endif

lint: env
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: env
	$(BIN)/mypy

# The UI tests drive Debian's chromium (never `playwright install`, which downloads a browser).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# Azurite, the Azure Blob server the abfs:// tests start (tests/cloud_servers.py): npm ci when
# its lockfile changed. (The GCS server is a PyPI package of the dev extra.)
EMULATORS := tests/emulators
$(EMULATORS)/node_modules/.package-lock.json: $(EMULATORS)/package-lock.json
	cd $(EMULATORS) && npm ci --no-audit --no-fund

emulators: $(EMULATORS)/node_modules/.package-lock.json

unit: env browser emulators
	$(BIN)/pytest

# The JupyterLab extension (labextension/README.md): npm ci when the lockfile changed, production
# build, eslint + tsc + jest, then link the build into the venv's JupyterLab (pip install -e . copies
# it) and check that JupyterLab sees it. The UI tests in `unit` drive this build.
LABEXT := labextension
$(LABEXT)/node_modules/.package-lock.json: $(LABEXT)/package-lock.json
	cd $(LABEXT) && npm ci --no-audit --no-fund

labext-test: env $(LABEXT)/node_modules/.package-lock.json
	cd $(LABEXT) && PATH="$(CURDIR)/$(BIN):$$PATH" npm run build:prod
	cd $(LABEXT) && npm run check
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter-builder develop --overwrite .
	$(BIN)/jupyter labextension list 2>&1 | grep -E "diaglab v[0-9.]+.*enabled.*OK"

test: lint typecheck labext-test unit

bench: env
	$(BIN)/python -m bench $(BENCH_ARGS)

# Screenshots of every explorer, the panel, the findings viewer and output, and a page of the PDF
# export (rendered to PNG by pypdfium2) from a real-browser run (the UI
# tests write them to test-artifacts/ui/), copied into docs/gallery/ under stable names.
GALLERY := docs/gallery
gallery: env browser
	$(BIN)/pytest -q -p no:cacheprovider tests/ui/test_panel_ui.py tests/ui/test_drift_ui.py \
		tests/ui/test_traces_ui.py tests/ui/test_geometry_ui.py tests/ui/test_saved_notebook_ui.py \
		tests/ui/test_extension_geometry_ui.py tests/ui/test_pdf_page_ui.py
	mkdir -p $(GALLERY)
	cp test-artifacts/ui/panel-1-drift.png $(GALLERY)/panel.png
	cp test-artifacts/ui/panel-4-prediction.png $(GALLERY)/panel-prediction.png
	cp test-artifacts/ui/drift-2-income.png $(GALLERY)/drift.png
	cp test-artifacts/ui/geometry-slices-1280.png $(GALLERY)/slices.png
	cp test-artifacts/ui/geometry-inspector-1280.png $(GALLERY)/inspector.png
	cp test-artifacts/ui/geometry-metrics-1280.png $(GALLERY)/metrics.png
	cp test-artifacts/ui/geometry-metrics-600.png $(GALLERY)/metrics-600px.png
	cp test-artifacts/ui/traces-2-span.png $(GALLERY)/traces.png
	cp test-artifacts/ui/saved-slices.png $(GALLERY)/saved-notebook.png
	cp test-artifacts/ui/geometry-fairness-1280.png $(GALLERY)/fairness.png
	cp test-artifacts/ui/geometry-change-1280.png $(GALLERY)/change.png
	cp test-artifacts/ui/geometry-slices-600.png $(GALLERY)/slices-600px.png
	cp test-artifacts/ui/findings-viewer-1280.png $(GALLERY)/findings-viewer.png
	cp test-artifacts/ui/findings-output-1280.png $(GALLERY)/findings-output.png
	cp test-artifacts/ui/export-pdf-page-1.png $(GALLERY)/export-pdf-page.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
