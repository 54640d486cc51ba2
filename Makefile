# Deep Learning in Miniature: `make book` builds the site with every chapter executed; `make test` runs every test.
# Both create .venv when it is missing and install the pinned requirements plus the book's `utils` package.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2
export REPRO_QUIET := 1

.PHONY: help setup test book bench lint clean

help:
	@echo "make book   build the site (_build/html) with every chapter executed"
	@echo "make test   run every test: notebooks (nbval), utils, pairing, toc, bibliography, lint, strict build"
	@echo "make bench  seconds per chapter at the default scale (table in _build/bench.md)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

# Notebooks and fast tests in parallel (one notebook per worker), then the strict build, which renders the ledger
# recorded by the notebooks' claim checks and executes nothing.
# One torch thread per worker: two workers with two threads each on two cores spend their time spin-waiting.
test: $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax --nbval-cell-timeout=300 -m "not build" chapters tests
	$(PY) -m pytest -m build tests

# jupyter-cache keys on code cells only, so a change to utils/ clears the cache; the build runs twice so that the
# ledger page shows the claim checks recorded while executing the chapters (the second pass rebuilds only that page).
book: $(STAMP)
	@mkdir -p _build
	@hash=$$(cat utils/*.py | sha256sum | cut -c1-16); \
	  if [ "$$(cat _build/.utils-hash 2>/dev/null)" != "$$hash" ]; then rm -rf _build/.jupyter_cache; fi; \
	  echo $$hash > _build/.utils-hash
	$(PY) tools/book.py pages
	$(VENV)/bin/jupyter-book build . -W --keep-going
	$(PY) tools/book.py pages
	$(VENV)/bin/jupyter-book build . -W --keep-going

bench: $(STAMP)
	$(PY) tools/bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build
