# One entry point for the chores. `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup system demo test test-quick check bench clean lock golden

setup: $(VENV)/.installed public_site/node_modules/.package-lock.json system

# Every Python package at the version and hash in requirements.lock (made by `make lock`),
# then the project itself without resolving anything: a fresh install today gets what the
# suite was run with.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve the lock (after a change to the dependencies in pyproject.toml, or to take
# newer versions on purpose), with uv at a fixed version; then `make test` and commit both.
UV_VERSION := 0.13.8
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet uv==$(UV_VERSION)
	.venv-lock/bin/uv pip compile pyproject.toml scripts/costruzione.in --extra dev \
	  --universal --generate-hashes --python-version 3.11 --quiet -o requirements.lock
	rm -rf .venv-lock

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
	$(BIN)/lint-imports
	$(BIN)/pytest

# The quick set: SQLite only, no slow tests, nothing that needs the npm assets or a
# browser; it needs the Python packages only (no PostgreSQL, no npm, no apt).
test-quick: $(VENV)/.installed
	$(BIN)/pytest -m "not postgres and not slow and not browser and not npm"

# Lint, types and the floors (docs/sviluppo.md): an upward import or a circle fails here.
check: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The golden site (tests/golden/sito/): regenerated only here, after a deliberate change to
# the site; review the diff before committing it.
golden: setup
	REGISTRO_RIGENERA_GOLDEN=1 $(BIN)/pytest -q -p no:cacheprovider -m "not postgres" \
	  tests/integration/public_site/test_site_golden.py

bench: setup
	$(BIN)/pytest benchmarks --benchmark-only

clean:
	rm -rf $(VENV) demo registro_dati public_site/node_modules .pytest_cache .mypy_cache .ruff_cache
