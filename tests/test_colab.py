"""Run a chapter the way Colab would: a fresh virtual environment with only what Colab preinstalls, a faked
`google.colab` module, the notebook copied outside the repository, and the bootstrap cell installing `utils`
from a wheel built from this checkout (through REPRO_UTILS_SPEC, which the bootstrap honours).

It runs as a reader's live kernel does (no REPRO_QUIET, no CI variable): the explore slider and the progress bars
are real ipywidgets, so the live path is tested here while every other execution of the book takes the quiet one."""

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import book
import pytest

ROOT = book.ROOT
WORK = ROOT / "_build" / "colab"
# Colab's preinstalled packages that matter here, at the versions this book pins (torch from this machine's disk).
PREINSTALLED = ["torch==2.13.0", "numpy==2.4.6", "matplotlib==3.11.2", "scikit-learn==1.9.1", "ipywidgets==8.1.9",
                "tqdm==4.70.1", "ipykernel==7.4.0", "nbclient==0.11.0", "nbformat"]
CHAPTER = ROOT / "chapters" / "02-theory" / "rank-collapse.ipynb"

RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
outputs = [o for c in nb.cells for o in c.get("outputs", [])]
print("\\n".join(o.get("text", "") for o in outputs if o.get("name") == "stdout"))
views = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
errors = [o for o in outputs if o.get("output_type") == "error"]
print(f"widget views: {views}; error outputs: {len(errors)}")
"""


def colab_env() -> Path:
    env_dir = WORK / "venv"
    python = env_dir / "bin" / "python"
    marker = env_dir / ".preinstalled"
    if not marker.exists() or marker.read_text() != "\n".join(PREINSTALLED):
        shutil.rmtree(env_dir, ignore_errors=True)
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PREINSTALLED], check=True)
        marker.write_text("\n".join(PREINSTALLED))
    return python


def test_chapter_runs_in_a_colab_like_environment(tmp_path):
    python = colab_env()
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], check=True)
    wheel = next(wheels.glob("*.whl"))
    # Colab imports google.colab before any cell runs: an IPython startup file does the same here.
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("IN_FAKE_COLAB = True\n")
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401\n")
    workdir = tmp_path / "content"  # outside the repository, like Colab's /content
    workdir.mkdir()
    notebook = workdir / CHAPTER.name
    shutil.copy(CHAPTER, notebook)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REPRO_", "PYTHONPATH", "VIRTUAL_ENV")) and k != "CI"}
    env.update(PYTHONPATH=str(fake), IPYTHONDIR=str(tmp_path / "ipython"), REPRO_UTILS_SPEC=str(wheel),
               PATH=f"{python.parent}:{env['PATH']}")
    result = subprocess.run([str(python), "-c", RUNNER, str(notebook), str(workdir)], capture_output=True,
                            text=True, env=env, cwd=workdir, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout and "FAIL" not in result.stdout
    views = int(re.search(r"widget views: (\d+); error outputs: (\d+)", result.stdout).group(1))
    assert views >= 1, "the live explore slider did not show as a widget"
    assert "error outputs: 0" in result.stdout
    installed = subprocess.run([str(python), "-c", "import utils; print(utils.__file__)"], capture_output=True,
                               text=True, env=env, cwd=workdir)
    assert "site-packages" in installed.stdout, "utils should have come from the wheel, not from the repository"


@pytest.mark.parametrize("missing", [True])
def test_bootstrap_outside_colab_and_repository_explains_how_to_install(tmp_path, missing):
    python = colab_env()
    source = [c.source for c in book.jupytext.read(CHAPTER.with_suffix(".md")).cells if c.cell_type == "code"][0]
    subprocess.run([str(python), "-m", "pip", "uninstall", "-q", "-y", "dlmini-utils"], capture_output=True)
    result = subprocess.run([str(python), "-c", source], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": os.environ["PATH"]})
    assert result.returncode != 0 and "pip install" in result.stderr and book.repo_url() in result.stderr
