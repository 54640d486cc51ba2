"""Shared test set-up (at the root, so that its hooks also see the notebooks under chapters/).

Notebooks are executed once, by nbval. As each notebook finishes with every cell passing, the outputs nbval
collected are written to _build/executed/<path>.ipynb, so that the strict site build (tests/test_build.py) renders
them from a jupyter-cache instead of executing the chapters a second time.
"""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent
EXECUTED = ROOT / "_build" / "executed"
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))

_failed_notebooks: set[str] = set()


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _is_nbval_cell(item) and report.failed:
        _failed_notebooks.add(str(item.parent.fspath))


def pytest_runtest_teardown(item, nextitem):
    if not _is_nbval_cell(item):
        return
    item.cell.outputs = list(item.test_outputs or [])
    notebook = item.parent
    if nextitem is not None and nextitem.parent is notebook:
        return
    path = Path(str(notebook.fspath)).resolve()
    target = EXECUTED / path.relative_to(ROOT)
    if str(notebook.fspath) in _failed_notebooks:
        target.unlink(missing_ok=True)
        return
    count = 0
    for cell in notebook.nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook.nb, str(target))
from site_fixture import built_site  # noqa: E402,F401  (the built site, shared by the build and browser tests)
