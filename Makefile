# The targets people run are the ones CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions of everything installed, so CI, the benchmark and a new checkout get the same.
CONSTRAINTS := constraints.txt

.PHONY: demo test lint bench sandbox oas clean constraints mutate postgres chromium

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) --upgrade pip
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# After a dependency change in pyproject.toml: resolve it in the venv, then record what it holds.
constraints:
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	{ echo "# Written by \`make constraints\` from a working venv; ranges live in pyproject.toml."; \
	  $(BIN)/pip freeze --all --exclude zdsync; } > $(CONSTRAINTS)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/zdsync demo

sandbox: $(STAMP)
	$(BIN)/zdsync sandbox

test: $(STAMP) postgres chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# The tests start a PostgreSQL server of their own (tests/postgres.py); only its binaries are
# needed. As root on Debian they are installed when missing; nothing is left running.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
	  && { service postgresql stop >/dev/null 2>&1 || true; }; \
	else \
	  echo "make: the tests need a PostgreSQL server: install postgresql, or run make as root"; \
	  exit 1; \
	fi

# The report's test opens it in a headless Chromium, the system's (Playwright drives it; its own
# browser download needs the internet). As root on Debian it is installed when missing.
chromium:
	@if command -v chromium >/dev/null; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "make: the report's test needs Chromium: install chromium, or run make as root"; \
	  exit 1; \
	fi

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

# Mutation testing, too slow for every run: see [tool.mutmut] in pyproject.toml. MUTANTS picks
# some, e.g. make mutate MUTANTS='pipelines.zendesk.gdpr.*'.
mutate: $(STAMP)
	$(BIN)/mutmut run $(MUTANTS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache mutants
