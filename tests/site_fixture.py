"""The site built once, strictly (warnings are errors), for the build and browser tests, executing no notebook.

The notebooks are executed once, by nbval, earlier in the same `make test` run (tests/conftest.py keeps their
outputs); their claim checks are rendered into the reproduction ledger page here.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import book
import nbformat
import pytest
import yaml

ROOT = book.ROOT
EXECUTED = ROOT / "_build" / "executed"


def cache_executed_notebooks(cache_dir: Path) -> list[str]:
    """Put the notebooks nbval executed into a jupyter-cache; return the chapters that have no executed copy."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    shutil.rmtree(cache_dir, ignore_errors=True)
    cache, missing = get_cache(str(cache_dir)), []
    for md in book.chapter_sources():
        executed = EXECUTED / md.relative_to(ROOT).with_suffix(".ipynb")
        if not executed.exists() or executed.stat().st_mtime < md.stat().st_mtime:
            missing.append(str(md.relative_to(ROOT)))
            continue
        notebook = with_outputs(md, nbformat.read(executed, as_version=4))
        if notebook is None:
            missing.append(str(md.relative_to(ROOT)))
            continue
        cache.cache_notebook_bundle(CacheBundleIn(notebook, uri=str(md)), check_validity=False, overwrite=True)
    return missing


def with_outputs(md: Path, executed):
    """The notebook exactly as the build reads ``md``, carrying the outputs of ``executed`` (None if they differ).

    jupyter-cache keys a notebook on its code and metadata, so the cached copy must be the build's own reading of
    the source, not the executed file with its execution timestamps.
    """
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(md.read_text())
    if [c.source for c in notebook.cells] != [c.source for c in executed.cells]:
        return None
    for cell, done in zip(notebook.cells, executed.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
    return notebook


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """Build the site once for the build and browser tests; returns the folder of its HTML.

    Chapters are rendered with the outputs nbval produced (through a jupyter-cache); a chapter without them is
    excluded from execution, never executed here, and makes test_strict_build_without_execution fail.
    """
    tmp_path = tmp_path_factory.mktemp("config")
    cache_dir = ROOT / "_build" / "test-cache"
    missing = cache_executed_notebooks(cache_dir)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["cache"] = str(cache_dir)
    config["execute"]["exclude_patterns"] = config["execute"].get("exclude_patterns", []) + missing
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in
                                            config["sphinx"]["local_extensions"].items()}
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    book.write_ledger()
    book.write_pages()
    subprocess.run([sys.executable, str(ROOT / "tools" / "vendor.py")], check=True)
    out = ROOT / "_build" / "test-site"
    shutil.rmtree(out, ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(tmp_path / "_config.yml"), "--path-output", str(out),
         "-W", "--keep-going"],
        capture_output=True, text=True, env={**os.environ, "REPRO_QUIET": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return {"html": out / "_build" / "html", "log": result.stdout, "missing": missing}


