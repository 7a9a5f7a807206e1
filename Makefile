# ShareFab — `make run` sets everything up and serves; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
TRANSLATIONS := core/translations

.PHONY: help setup run serve test test-unit test-integration test-e2e lint format translations \
        extract-messages browser bench clean

help:
	@echo "make run          set up (venv, npm, translations, migrate, seed) and serve on :5000"
	@echo "make test         run unit, integration and browser tests"
	@echo "make lint         ruff (lint + format check) and mypy"
	@echo "make format       ruff format and autofix"
	@echo "make translations compile the message catalogues"
	@echo "make extract-messages  re-extract strings and update the catalogues"
	@echo "make bench        run the benchmarks under bench/"

$(BIN)/.requirements: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

translations: $(BIN)/.requirements
	$(BIN)/pybabel compile --use-fuzzy -d $(TRANSLATIONS) --statistics 2>&1 | tail -n 1

extract-messages: $(BIN)/.requirements
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k NP_:1,2 -k lazy_gettext -o $(TRANSLATIONS)/messages.pot \
	  --no-location --sort-output --project ShareFab app.py config core frontend marketplace \
	  matching finance ledger
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching \
	  --ignore-obsolete

setup: $(BIN)/.requirements node_modules/.installed translations

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	$(FLASK) serve

serve:
	$(FLASK) serve

# Debian's Chromium (and CJK fonts, or Chinese renders as boxes) for the browser tests.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: setup browser
	$(BIN)/python -m pytest tests

test-unit: setup
	$(BIN)/python -m pytest tests/unit

test-integration: setup
	$(BIN)/python -m pytest tests/integration

test-e2e: setup browser
	$(BIN)/python -m pytest tests/e2e

lint: $(BIN)/.requirements
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.requirements
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache .mypy_cache
