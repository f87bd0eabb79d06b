# One entry point for the chores. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test test-quick check bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/registro demo

test: setup
	scripts/postgres-avvia.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

test-quick: setup
	$(BIN)/pytest -m "not postgres and not slow"

check: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/pytest benchmarks --benchmark-only

clean:
	rm -rf $(VENV) demo registro_dati .pytest_cache .mypy_cache .ruff_cache
