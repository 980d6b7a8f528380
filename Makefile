# The targets people run are the ones CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench sandbox oas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zdsync demo

sandbox: $(STAMP)
	$(BIN)/zdsync sandbox

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rederive tests/sandbox/zendesk-oas-compact.json when Zendesk's file is beside the repository.
oas: $(STAMP)
	$(BIN)/python -m tests.sandbox.compact_oas

bench: $(STAMP)
	$(BIN)/python -m bench.sandbox_pages
	$(BIN)/python -m bench.extract
	$(BIN)/python -m bench.push

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
