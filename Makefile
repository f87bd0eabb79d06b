# One entry point for the chores. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup system demo test test-quick check bench clean

setup: $(VENV)/.installed public_site/node_modules/.package-lock.json system

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Bootstrap Italia (copied into the site) and axe-core (browser tests), pinned in the lock.
public_site/node_modules/.package-lock.json: public_site/package.json public_site/package-lock.json
	cd public_site && npm ci --no-audit --no-fund

# Debian packages (Chromium for the browser tests — no browser download —, Pango for the
# PDFs, pdftotext, pg_dump): installed only when missing.
system:
	scripts/pacchetti-sistema.sh

demo: setup
	$(BIN)/registro demo

test: setup
	scripts/postgres-avvia.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

test-quick: setup
	$(BIN)/pytest -m "not postgres and not slow and not browser"

check: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/pytest benchmarks --benchmark-only

clean:
	rm -rf $(VENV) demo registro_dati public_site/node_modules .pytest_cache .mypy_cache .ruff_cache
