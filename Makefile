# Deep Learning in Miniature: `make book` builds the site with every chapter executed; `make test` runs every test.
# Both create .venv when it is missing and install the pinned requirements plus the book's `utils` package.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JOBS ?= 2
export REPRO_QUIET := 1

CHAPTERS ?=
SEEDS ?= 0-4

.PHONY: help setup test book bench lint clean lab chapter ablate

help:
	@echo "make book     build the site (_build/html); executes only chapters not executed since they last changed"
	@echo "make test     run every test: notebooks (nbval), utils, pairing, toc, bibliography, lint, strict build"
	@echo "make chapter CHAPTERS=\"chapters/02-theory/rank-collapse.md ...\"   test only these chapters (seconds)"
	@echo "make ablate CHAPTERS=\"...\" [SEEDS=0-4]   every asserted check must fail with the key idea off"
	@echo "make bench    seconds per chapter, from the last recorded executions (_build/bench.md)"
	@echo "make lab      JupyterLab on the book, with live sliders and progress bars"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

# Notebooks and fast tests in parallel (one notebook per worker; each execution is recorded: outputs, runtime,
# claims), the per-chapter timing table from those recordings, then the strict build of _build/html (the same site
# `make book` builds), which renders the recorded executions and executes nothing, and the browser tests over it.
# One torch thread per worker: two workers with two threads each on two cores spend their time spin-waiting.
test: $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax \
	  --nbval-cell-timeout=300 -m "not build" chapters tests
	$(PY) tools/bench.py
	$(PY) -m pytest -m build tests

# Executes only the chapters whose source or utils/ changed since their last recorded execution (none after
# `make test`), then renders the site strictly with the offline assets.
book: $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) tools/sitebuild.py --jobs $(JOBS)

# A few chapters, fast: their notebooks through nbval plus the structural tests that concern them.
chapter: $(STAMP)
	@test -n "$(CHAPTERS)" || { echo 'usage: make chapter CHAPTERS="chapters/02-theory/rank-collapse.md ..."'; exit 2; }
	$(PY) tools/book.py sync $(CHAPTERS)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) -m pytest -n $(JOBS) --dist loadfile --nbval-lax \
	  --nbval-cell-timeout=300 $(patsubst %.md,%.ipynb,$(CHAPTERS)) tests/test_book.py \
	  -k "$(shell $(PY) tools/book.py keyword $(CHAPTERS))"

ablate: $(STAMP)
	@test -n "$(CHAPTERS)" || { echo 'usage: make ablate CHAPTERS="chapters/...md ..." [SEEDS=0-4]'; exit 2; }
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) tools/ablate.py $(CHAPTERS) --seeds $(SEEDS)

bench: $(STAMP)
	$(PY) tools/bench.py $(CHAPTERS)

# JupyterLab is not needed to build or test the book, so it is installed into .venv on first use only.
lab: $(STAMP)
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install -q jupyterlab
	cd chapters && REPRO_QUIET=0 ../$(VENV)/bin/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build
