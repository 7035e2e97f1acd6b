# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    create .venv, install, index corpus/ into index/ if needed, serve on :5000
#   make test   create .venv, install the test dependencies, run lint, types and the suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test index lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# Incremental: a no-op when nothing changed, a full build when there is no index yet.
# Exit status 1 means some files failed (listed) and the rest are indexed: serve anyway.
index: $(VENV)/.installed
	$(BIN)/govsearch reindex --corpus corpus --index index --quiet || [ $$? -eq 1 ]

run: index
	$(BIN)/govsearch serve --index index --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/index.py
	$(BIN)/python bench/relevance.py

clean:
	rm -rf $(VENV) index/current index/build-* index/.lock bench/.index
