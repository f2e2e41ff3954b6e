# diaglab: `make demo` (HEADLESS=1 to execute the tour without a browser) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SAMPLE := sample_data/credit
HEADLESS ?=

.PHONY: env browser demo test lint typecheck unit bench clean labext-test

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

unit: env browser
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
