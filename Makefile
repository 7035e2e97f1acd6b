# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    create .venv, install, index corpus/ into index/ if needed (and embed its
#               sections for questions), serve on :5000
#   make test   create .venv, install the test dependencies, run lint, types and the suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test index lint browser axe loadgen screenshots bench scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

# The cluster extra (Ray) too: the cluster's tests run in the suite.
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,cluster]'
	touch $@

# Incremental: a no-op when nothing changed, a full build when there is no index yet.
# Exit status 1 means some files failed (listed) and the rest are indexed: serve anyway.
# `embed` then computes vectors for new sections only (seconds for corpus/).
index: $(VENV)/.installed
	$(BIN)/govsearch reindex --corpus corpus --index index --quiet || [ $$? -eq 1 ]
	$(BIN)/govsearch embed --index index --quiet

run: index
	$(BIN)/govsearch serve --index index --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser tests drive Debian's chromium (Playwright's own browser download is not used);
# fonts-wqy-microhei renders Chinese text in screenshots. Installed when missing, as root.
browser:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi wqy || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	  else \
	    echo "the browser tests need chromium and fonts-wqy-microhei: sudo apt-get install chromium fonts-wqy-microhei" >&2; \
	  fi; }

# axe-core checks the pages' accessibility in the browser tests; fetched from the npm
# registry into the venv (pinned: a new release may add rules).
AXE_VERSION := 4.14.1
AXE_FETCHED := $(VENV)/axe/.axe-core-$(AXE_VERSION)

$(AXE_FETCHED): | $(BIN)/python
	npm install --prefix $(VENV)/axe --no-audit --no-fund --no-save --silent axe-core@$(AXE_VERSION)
	test -f $(VENV)/axe/node_modules/axe-core/axe.min.js
	touch $@

axe: $(AXE_FETCHED)

test: lint browser axe
	$(BIN)/pytest

# The README's screenshots: the home page with hot searches, the suggestion list, results
# with a kind tab and a date range, the advanced search and the widget on a portal.
screenshots: $(VENV)/.installed-test browser axe
	GOVSEARCH_SCREENSHOT_DIR=docs $(BIN)/pytest -q tests/test_browser.py

# bench/load.py drives the server with Debian's wrk.
loadgen:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else echo "bench/load.py needs wrk: sudo apt-get install wrk" >&2; fi; }

bench: $(VENV)/.installed-test loadgen
	$(BIN)/python bench/index.py
	$(BIN)/python bench/embed.py
	$(BIN)/python bench/relevance.py --embed-candidates
	$(BIN)/python bench/query.py
	$(BIN)/python bench/load.py

# An hour or more: builds of 10k to 1.5M sections; draws docs/scale.png.
scale: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/scale.py --plot docs/scale.png

clean:
	rm -rf $(VENV) index/current index/build-* index/.lock bench/.index bench/.naive
