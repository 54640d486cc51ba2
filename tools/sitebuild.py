"""Build the site: execute only the chapters without a fresh execution, then render everything strictly.

    python tools/sitebuild.py [--no-execute] [--jobs N]

1. Every chapter whose executed notebook in _build/executed/ does not match its current source and `utils/` (see
   tools/records.py) is executed, N at a time (default 2, one torch thread each), recording its claims, runtime and
   executed notebook. After `make test`, whose nbval run records the same, nothing is executed here.
2. The front-end assets are copied into _build/site-assets (tools/vendor.py), the ledger and the generated tables
   are written (tools/book.py pages).
3. Jupyter Book renders the site into _build/html from a jupyter-cache filled with the executed notebooks, with
   warnings as errors; it never executes a notebook itself (a chapter without an executed copy fails the build).
`make book` runs this; the test suite's build fixture runs it with --no-execute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book  # noqa: E402
import records  # noqa: E402

ROOT = book.ROOT
CACHE = ROOT / "_build" / "site-cache"
CONFIG = ROOT / "_build" / "site-config" / "_config.yml"


def stale_chapters() -> list[Path]:
    utils_hash = records.utils_digest()
    return [md for md in book.chapter_sources() if records.fresh_executed(md, utils_hash) is None]


def _run_one(md: str) -> tuple[str, bool]:
    import run_chapter

    return md, run_chapter.run_once(Path(md))


def execute_stale(jobs: int = 2) -> list[str]:
    """Execute every chapter that has no fresh executed copy; return those that failed."""
    todo = stale_chapters()
    if not todo:
        print("every chapter has a fresh execution: nothing to execute")
        return []
    print(f"executing {len(todo)} chapter(s), {jobs} at a time", flush=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    failed = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for md, ok in pool.map(_run_one, [str(md) for md in todo]):
            if not ok:
                failed.append(str(Path(md).relative_to(ROOT)))
    return failed


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


def cache_executed_notebooks(cache_dir: Path = CACHE) -> list[str]:
    """Put the fresh executed notebooks into a jupyter-cache; return the chapters that have none."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    shutil.rmtree(cache_dir, ignore_errors=True)
    cache, missing, utils_hash = get_cache(str(cache_dir)), [], records.utils_digest()
    for md in book.chapter_sources():
        executed = records.fresh_executed(md, utils_hash)
        notebook = with_outputs(md, executed) if executed is not None else None
        if notebook is None:
            missing.append(str(md.relative_to(ROOT)))
            continue
        cache.cache_notebook_bundle(CacheBundleIn(notebook, uri=str(md)), check_validity=False, overwrite=True)
    return missing


def write_config(missing: list[str]) -> Path:
    """The book's _config.yml pointed at the cache; chapters without an execution are never executed."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["cache"] = str(CACHE)
    config["execute"]["exclude_patterns"] = config["execute"].get("exclude_patterns", []) + missing
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in
                                            config["sphinx"]["local_extensions"].items()}
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config)
    if not CONFIG.exists() or CONFIG.read_text() != text:  # an unchanged config keeps Sphinx's rebuild incremental
        CONFIG.write_text(text)
    return CONFIG


def build(execute: bool = True, jobs: int = 2) -> dict:
    """Execute what is stale (optionally), then build the site strictly. Returns the log and what was missing."""
    failed = execute_stale(jobs) if execute else []
    book.write_ledger()
    book.write_pages()
    subprocess.run([sys.executable, str(ROOT / "tools" / "vendor.py")], check=True)
    missing = cache_executed_notebooks()
    config = write_config(missing)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(config), "--path-output", str(ROOT), "-W",
         "--keep-going"],
        capture_output=True, text=True, env={**os.environ, "REPRO_QUIET": "1"},
    )
    return {"returncode": result.returncode, "log": result.stdout + result.stderr, "missing": missing,
            "failed": failed, "html": ROOT / "_build" / "html"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-execute", action="store_true", help="render only what has been executed already")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    args = parser.parse_args()
    out = build(execute=not args.no_execute, jobs=args.jobs)
    if out["returncode"] != 0:
        print(out["log"][-6000:])
    for md in out["failed"]:
        print(f"FAILED to execute: {md} (run: .venv/bin/python tools/run_chapter.py {md})")
    for md in out["missing"]:
        print(f"not rendered (no execution of its current source): {md}")
    ok = out["returncode"] == 0 and not out["missing"] and not out["failed"]
    print(f"site {'built' if ok else 'FAILED'}: {out['html'] / 'index.html'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
