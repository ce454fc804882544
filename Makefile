# Gallery: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test lint install install-test install-lint translations messages assets browser migrate demo serve bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lint: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[lint]'
	touch $@

install: $(VENV)/.installed translations assets
install-test: $(VENV)/.installed-test translations assets browser
install-lint: $(VENV)/.installed-lint

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d gallery/translations -f >/dev/null

# After changing user-visible strings: refresh the catalogue, then translate the new entries.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o gallery/translations/messages.pot .
	$(BIN)/pybabel update -i gallery/translations/messages.pot -d gallery/translations -l pl --no-fuzzy-matching

# Front-end libraries come from npm at install time and are never committed.
assets:
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then npm install --no-audit --no-fund --silent && touch node_modules; fi; \
	  node scripts/copy-vendor.mjs; \
	fi

# Debian's Chromium drives the browser tests (never a Playwright-downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; browser tests will be skipped"; \
	fi

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) gallery demo --if-empty

serve:
	@echo "Gallery is starting at http://$(HOST):$(PORT)/"
	$(FLASK) run --host $(HOST) --port $(PORT)

run: install migrate demo serve

# The gates, configured in pyproject.toml (also run by .pre-commit-config.yaml): lint, format, types.
lint: install-lint
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

# The gates first, then the suite.
test: lint install-test
	@set -e; \
	if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(2); sys.exit(s.connect_ex(('127.0.0.1',5432)))"; then \
	  export GALLERY_TEST_DATABASE_URL="$${GALLERY_TEST_DATABASE_URL:-$(PG_URL)}"; \
	  echo "PostgreSQL answers on 127.0.0.1:5432: the suite runs on SQLite and on PostgreSQL"; \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI=true but PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; \
	else \
	  echo "PostgreSQL not reachable: running on SQLite only"; \
	fi; \
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The wheel, with the templates, the npm-built vendor files, the compiled catalogues and the
# migrations inside (scripts/hatch_build.py stops the build when the vendor files are missing).
dist: $(VENV)/.installed translations assets
	rm -rf dist
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) node_modules gallery/static/vendor instance test-artifacts dist
