"""Execute a chapter (its .md source) in a fresh kernel: once, or over several seeds with every check recorded.

    python tools/run_chapter.py CHAPTER.md [CHAPTER.md ...]       # default seed and scale; records the runtime
    python tools/run_chapter.py CHAPTER.md --seeds 0-4            # seed sweep: one table of every check's margin
    python tools/run_chapter.py CHAPTER.md --seeds 0-4 --ablate   # the same with the paper's key idea switched off
    options: --seed N, --scale ci|full, --ablate [NAME], --save OUT.ipynb

A plain run (default seed and scale, no ablation) is an execution of the book like any other: it writes the
chapter's claim records to the ledger (_build/ledger/), its wall seconds to _build/runtime/ and the executed notebook
to _build/executed/, where `make book` picks it up instead of executing the chapter again. Sweeps and ablated runs
record checks in a temporary folder instead, print them without raising, and touch nothing in _build/.
The kernel runs in the chapter's folder with REPRO_QUIET=1 and one torch thread, as in the test suite.
Exit status 1 if a cell failed (in a sweep: if a cell failed at any seed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import records  # noqa: E402


def execute(md: Path, seed: int | None = None, scale: str | None = None, timeout: int = 300,
            env: dict | None = None):
    """Execute ``md`` and return ``(notebook, wall_seconds, kernel_cpu_seconds, error_or_None)``.

    ``env`` adds environment variables for the kernel (e.g. ``REPRO_ABLATE``, ``REPRO_LEDGER_DIR``).
    """
    nb = jupytext.read(md)
    env_backup = dict(os.environ)
    os.environ["REPRO_QUIET"] = "1"
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if seed is not None:
        os.environ["REPRO_SEED"] = str(seed)
    if scale is not None:
        os.environ["REPRO_SCALE"] = scale
    os.environ.update(env or {})
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


def is_default_run(seed, scale, ablate) -> bool:
    return (seed in (None, 0) and (scale or "ci") == "ci" and not ablate
            and os.environ.get("REPRO_SEED", "0") in ("", "0") and os.environ.get("REPRO_SCALE", "ci") in ("", "ci")
            and os.environ.get("REPRO_ABLATE", "0") in ("", "0"))


def run_once(md: Path, seed=None, scale=None, ablate=None, save: Path | None = None) -> bool:
    """One execution; a default one is recorded as the book's execution of the chapter."""
    md = md.resolve()
    default = is_default_run(seed, scale, ablate)
    env = {}
    tmp = None
    if not default:
        tmp = tempfile.TemporaryDirectory()
        env.update(REPRO_LEDGER_DIR=tmp.name, REPRO_RECORD_ONLY="1")
        if ablate:
            env["REPRO_ABLATE"] = ablate
    nb, wall, cpu, error = execute(md, seed, scale, env=env)
    print("\n".join(claim_lines(nb)))
    if save:
        nbformat.write(nb, save)
    if default:
        records.write_runtime(md, wall, source="run_chapter", ok=error is None)
        if error is None:
            records.write_executed(md, nb)
    print(f"{md.relative_to(records.ROOT)} wall={wall:.1f}s cpu={cpu:.1f}s seed={seed} "
          f"{'ablate=' + ablate + ' ' if ablate else ''}{'FAILED' if error else 'ok'}")
    if error:
        print(str(error)[-3000:], file=sys.stderr)
    if tmp:
        tmp.cleanup()
    return error is None


PREFIXES = ("claim |", "control |", "reported |", "ABLATED run")


def claim_lines(nb) -> list[str]:
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines += [ln for ln in out["text"].splitlines() if ln.startswith(PREFIXES)]
    return lines


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,2,5"`` -> [0, 2, 5]."""
    seeds = []
    for part in text.split(","):
        if "-" in part.strip()[1:]:
            lo, hi = part.split("-", 1)
            seeds += range(int(lo), int(hi) + 1)
        else:
            seeds.append(int(part))
    return seeds


def sweep(md: Path, seeds: list[int], scale=None, ablate=None, quiet=False) -> tuple[dict, bool]:
    """Run ``md`` at each seed with checks recorded, not raised; return ``({seed: entries}, all_cells_ran)``."""
    results, ok = {}, True
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"REPRO_LEDGER_DIR": tmp, "REPRO_RECORD_ONLY": "1"}
            if ablate:
                env["REPRO_ABLATE"] = ablate
            _, wall, _, error = execute(md, seed, scale, env=env)
            entries = [e for path in sorted(Path(tmp).glob("*.json")) for e in json.loads(path.read_text()).values()]
        results[seed] = entries
        ok &= error is None
        if not quiet:
            print(f"  seed {seed}: {wall:.1f} s{' — a cell FAILED: ' + str(error)[-300:] if error else ''}",
                  flush=True)
    return results, ok


def margin(entry: dict) -> float:
    """How far the measured value is on the passing side of its threshold (negative: the relation fails)."""
    m, t = entry["measured"], entry["threshold"]
    return m - t if entry["relation"] in (">", ">=") else t - m


def sweep_table(results: dict) -> str:
    """One row per check, one column per seed: measured value and margin to the threshold."""
    seeds = list(results)
    names = []
    for entries in results.values():
        for e in entries:
            key = (e["kind"], e["claim"])
            if key not in names:
                names.append(key)
    order = {"claim": 0, "reported": 1, "control": 2}
    names.sort(key=lambda k: order.get(k[0], 3))
    head = "| kind | check | rule | " + " | ".join(f"seed {s}" for s in seeds) + " |"
    rows = [head, "|---|---|---|" + "---|" * len(seeds)]
    for kind, name in names:
        cells, rule = [], ""
        for s in seeds:
            e = next((e for e in results[s] if (e["kind"], e["claim"]) == (kind, name)), None)
            if e is None:
                cells.append("—")
                continue
            rule = f"{e['relation']} {e['threshold']:.4g}"
            holds = margin(e) > 0 or (e["relation"] in (">=", "<=") and margin(e) == 0)
            mark = {"claim": "✓" if holds else "✗", "control": "✓" if not holds else "✗ holds",
                    "reported": "holds" if holds else "no"}[kind]
            cells.append(f"{e['measured']:.4g} ({margin(e):+.3g}) {mark}")
        rows.append(f"| {kind} | {name} | {rule} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", type=Path, nargs="+")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--seeds", help="e.g. 0-4 or 0,2,5: a sweep with every check recorded, not raised")
    parser.add_argument("--scale")
    parser.add_argument("--ablate", nargs="?", const="1", default=None,
                        help="switch the paper's key idea off (REPRO_ABLATE): the chapter's first ablation, or NAME")
    parser.add_argument("--save", type=Path, help="write the executed notebook here (single run)")
    args = parser.parse_args()
    ok = True
    for md in args.chapters:
        if args.seeds:
            print(f"{md}{' ablated (' + args.ablate + ')' if args.ablate else ''}, seeds {args.seeds}:")
            results, ran = sweep(md.resolve(), parse_seeds(args.seeds), args.scale, args.ablate)
            print(sweep_table(results))
            print("margin: measured minus threshold on the passing side; a claim ✓ passes, a control ✓ fails as "
                  "it should\n")
            ok &= ran
        else:
            ok &= run_once(md, args.seed, args.scale, args.ablate, args.save)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
