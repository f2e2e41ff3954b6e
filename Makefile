# diaglab: `make demo` (HEADLESS=1 to execute the tour without a browser) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SAMPLE := sample_data/credit
HEADLESS ?=

.PHONY: env browser demo test lint typecheck unit bench clean

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

test: lint typecheck unit

bench: env
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
