"""What an execution of a chapter leaves behind, whoever ran it (nbval in `make test`, `make book`, run_chapter.py).

    _build/executed/<chapter>.ipynb   the executed notebook, stamped with the key of the sources it ran
    _build/runtime/<chapter>.json     wall seconds of that execution, kernel start and shutdown included
    _build/ledger/<name>.json         the chapter's claim records (written by utils from inside the kernel)

A record is *fresh* when its key matches the chapter's current source and the current `utils/`: the book build
renders fresh executed notebooks and executes only the chapters that have none.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
EXECUTED = BUILD / "executed"
RUNTIME = BUILD / "runtime"
KEY = "dlm_source_key"


def _rel(md: Path) -> Path:
    return Path(md).resolve().relative_to(ROOT).with_suffix("")


def utils_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "utils").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_key(md: Path, utils_hash: str | None = None) -> str:
    """A digest of the chapter's source (the .md, or its paired .ipynb) and of `utils/`."""
    md = Path(md).resolve().with_suffix(".md")
    digest = hashlib.sha256(md.read_bytes())
    digest.update((utils_hash or utils_digest()).encode())
    return digest.hexdigest()[:16]


def runtime_path(md: Path) -> Path:
    return RUNTIME / f"{_rel(md)}.json"


def executed_path(md: Path) -> Path:
    return EXECUTED / f"{_rel(md)}.ipynb"


def write_runtime(md: Path, seconds: float, source: str, ok: bool = True) -> Path:
    path = runtime_path(md)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"chapter": str(_rel(md)) + ".md", "seconds": round(seconds, 1), "source": source, "ok": ok,
              "key": source_key(md), "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)
    return path


def write_executed(md: Path, nb) -> Path:
    """Keep an executed notebook for the site build, stamped with the source key it was executed from."""
    path = executed_path(md)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    nb.metadata[KEY] = source_key(md)
    tmp = path.with_suffix(".tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(path)
    return path


def drop_executed(md: Path) -> None:
    executed_path(md).unlink(missing_ok=True)


def fresh_executed(md: Path, utils_hash: str | None = None):
    """The executed notebook of ``md`` if it was executed from the current sources, else ``None``."""
    path = executed_path(md)
    if not path.exists():
        return None
    nb = nbformat.read(str(path), as_version=4)
    return nb if nb.metadata.get(KEY) == source_key(md, utils_hash) else None


def runtimes() -> dict[str, dict]:
    """Chapter path (relative, with .md) -> its last runtime record (successful executions only)."""
    found = {}
    for path in sorted(RUNTIME.rglob("*.json")):
        record = json.loads(path.read_text())
        if record.get("ok"):
            found[record["chapter"]] = record
    return found
