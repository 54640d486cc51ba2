"""Shared test set-up (at the root, so that its hooks also see the notebooks under chapters/).

Notebooks are executed once, by nbval. As each notebook finishes with every cell passing, the outputs nbval
collected are kept as the chapter's execution (tools/records.py: _build/executed/ and _build/runtime/), so that the
site build renders them instead of executing the chapters a second time. The runtime is the notebook's wall time
from the start of its kernel to its shutdown.
"""

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))

import records  # noqa: E402

_failed_notebooks: set[str] = set()
_started: dict[str, float] = {}


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    # The first cell's setup starts the notebook's kernel (nbval sets up the file node then): start the clock.
    if _is_nbval_cell(item):
        _started.setdefault(str(item.parent.fspath), time.perf_counter())
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _is_nbval_cell(item) and report.failed:
        _failed_notebooks.add(str(item.parent.fspath))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if _is_nbval_cell(item):
        item.cell.outputs = list(item.test_outputs or [])
    yield  # the last cell's teardown also shuts the kernel down
    if not _is_nbval_cell(item):
        return
    notebook = item.parent
    if nextitem is not None and nextitem.parent is notebook:
        return
    key = str(notebook.fspath)
    seconds = time.perf_counter() - _started.pop(key, time.perf_counter())
    md = Path(key).resolve().with_suffix(".md")
    if not md.exists():
        return
    ok = key not in _failed_notebooks
    records.write_runtime(md, seconds, source="nbval", ok=ok)
    if ok:
        records.write_executed(md, notebook.nb)
    else:
        records.drop_executed(md)


_failures: dict[str, str] = {}


def pytest_runtest_logreport(report):
    # Runs where the reports arrive (the xdist controller too): keep each failing notebook cell's error text.
    if report.failed and ".ipynb::" in report.nodeid:
        _failures.setdefault(report.nodeid.split("::")[0], report.longreprtext[-2500:])


def pytest_terminal_summary(terminalreporter):
    # Repeat each failing notebook's error at the very end of the output, the part a CI log always keeps.
    for notebook, text in sorted(_failures.items()):
        terminalreporter.write_sep("=", f"first failing cell of {notebook}")
        terminalreporter.write_line(text)


from site_fixture import built_site  # noqa: E402,F401  (the built site, shared by the build and browser tests)
