"""Execute one chapter (its .md source) in a fresh kernel and report wall and CPU seconds.

    python tools/run_chapter.py chapters/02-theory/rank-collapse.md [--seed 1] [--scale ci] [--save OUT.ipynb]

Prints every claim line the chapter printed, then ``<chapter> wall=..s cpu=..s``; exits 1 if a cell failed.
The kernel runs in the chapter's folder with REPRO_QUIET=1, as in the test suite and the book build.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute(md: Path, seed: int | None = None, scale: str | None = None, timeout: int = 300):
    """Execute ``md`` and return ``(notebook, wall_seconds, kernel_cpu_seconds, error_or_None)``."""
    nb = jupytext.read(md)
    env_backup = dict(os.environ)
    os.environ["REPRO_QUIET"] = "1"
    if seed is not None:
        os.environ["REPRO_SEED"] = str(seed)
    if scale is not None:
        os.environ["REPRO_SCALE"] = scale
    resources = {"metadata": {"path": str(md.parent)}}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, error = time.perf_counter(), None
    try:
        client.execute()
    except CellExecutionError as exc:
        error = exc
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return nb, wall, cpu, error


PREFIXES = ("claim |", "control |", "not reproduced |")


def claim_lines(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines += [ln for ln in out["text"].splitlines() if ln.startswith(PREFIXES)]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--scale")
    parser.add_argument("--save", type=Path, help="write the executed notebook here")
    args = parser.parse_args()
    nb, wall, cpu, error = execute(args.chapter, args.seed, args.scale)
    print("\n".join(claim_lines(nb)))
    if args.save:
        nbformat.write(nb, args.save)
    print(f"{args.chapter} wall={wall:.1f}s cpu={cpu:.1f}s seed={args.seed} {'FAILED' if error else 'ok'}")
    if error:
        print(str(error)[-3000:], file=sys.stderr)
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
