"""A strict build of the site (warnings are errors) that reuses nothing and executes no notebook.

The notebooks are executed once, by nbval, in the same `make test` run; their claim checks are rendered into the
reproduction ledger page here. Marked `build` so that `make test` runs it after the notebooks.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import book
import pytest
import yaml

ROOT = book.ROOT


@pytest.mark.build
def test_strict_build_without_execution(tmp_path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
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
    html = out / "_build" / "html"
    for md in book.chapter_sources():
        page = html / md.relative_to(ROOT).with_suffix(".html")
        assert page.exists(), f"{page} was not built"
    assert "claims pass" in (html / "ledger.html").read_text() or "No chapter" in (html / "ledger.html").read_text()
