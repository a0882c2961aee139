# The two commands: `make demo` and `make test`. Everything else is set-up they do themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean serve

# Set-up is idempotent: it reruns only when the lock file or pyproject.toml changes.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "casetrail needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(BIN)/python -m compileall -q tooling  # byte-code even where PYTHONDONTWRITEBYTECODE is set
	@touch $(STAMP)

# The demo office: three months of a fictional records office, made by the real commands (the
# second run finds it up to date); then check, audit and its site.
demo: $(STAMP)
	@$(BIN)/casetrail demo build/demo

serve: demo
	@CASETRAIL_NOW=2026-11-23T10:00:00+01:00 CASETRAIL_SITE_ROOT=build/demo/records NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: $(STAMP)
	@$(BIN)/ruff check tooling tests
	@$(BIN)/ruff format --check tooling tests
	@$(BIN)/mypy

test: $(STAMP) lint
	@$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	@$(BIN)/python tests/bench/run.py

clean:
	rm -rf $(VENV) .cache build
