# MarketLounge Workbench — the two commands are `make run` and `make test`.
# Everything installs into .venv with the system python3 (3.11). torch comes pinned to the
# CPU wheel (torch==2.13.0) by pyproject.toml.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false


.PHONY: setup setup-dev run demo test lint check lab bench clean-data help

help:  ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip wheel

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(VENV)/.installed  ## Install the project into .venv (what `make run` does first).

setup-dev: $(VENV)/.installed-dev  ## Install the project and its test tools.

run: setup  ## Install, import + build the demo tenant, then serve the API and the workbench.
	$(BIN)/marketlounge demo
	$(BIN)/marketlounge build all --tenant tenant_demo
	$(BIN)/marketlounge demo --serve --skip-import

demo: setup  ## Like `make run` without serving (import + build the demo tenant, then exit).
	$(BIN)/marketlounge demo
	$(BIN)/marketlounge build all --tenant tenant_demo

test: setup-dev  ## Install test tools (and Chromium, redis-server) if missing, run the suite.
	bash scripts/ensure_system_deps.sh
	$(BIN)/python -m pytest

lint: setup-dev  ## ruff + mypy (the gate before committing, with `make test`).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check core api workbench tests benchmarks
	$(BIN)/mypy

check: lint test  ## Everything CI checks.

$(VENV)/.installed-lab: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q -e ".[lab]"
	touch $@

lab: $(VENV)/.installed-lab  ## JupyterLab on notebooks/ with the project kernel "marketlounge".
	$(BIN)/python -m ipykernel install --sys-prefix --name marketlounge \
		--display-name "MarketLounge (.venv)"
	$(BIN)/nbstripout --install
	$(BIN)/jupyter lab --notebook-dir=notebooks

clean-data:  ## Delete the embedded database, runs and indexes (your local data!).
	rm -rf data/pgdata runs faiss_index/tenant_*
