"""Seconds per chapter at the default scale, and what they project for the whole book in CI.

    python tools/bench.py                 # table from the runtimes recorded by the last executions (no execution)
    python tools/bench.py CHAPTER.md ...  # execute these chapters now, one after another, then tabulate them

Every execution of a chapter (nbval in `make test`, the site build, tools/run_chapter.py) records its wall seconds,
kernel start and shutdown included (tools/records.py); in CI the table therefore comes from the test run itself and
no chapter is executed twice. Writes _build/bench.md and _build/bench.json; a chapter over the budget is marked.
Exits 1 if a chapter given on the command line failed, or if a recorded chapter is over the 30 s budget.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import records  # noqa: E402
from book import ROOT, chapter_sources, papers  # noqa: E402

BUDGET_S = 30.0
MEDIAN_AIM_S = 12.0
WORKERS = 2


def projection(seconds: list[float], chapters: int, workers: int = WORKERS) -> float:
    """Minutes of notebook execution for ``chapters`` chapters at the median of ``seconds``, ``workers`` at once."""
    return chapters * statistics.median(seconds) / workers / 60


def table(rows: list[dict]) -> str:
    lines = ["| chapter | wall s | recorded by | status |", "|---|---:|---|---|"]
    for r in rows:
        status = "failed" if not r["ok"] else ("**over 30 s**" if r["seconds"] > BUDGET_S else "ok")
        lines.append(f"| {r['chapter']} | {r['seconds']:.1f} | {r['source']} | {status} |")
    secs = [r["seconds"] for r in rows if r["ok"]]
    if secs:
        total = len(papers())
        lines += [
            "",
            f"{len(secs)} chapters: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s, "
            f"sum {sum(secs):.0f} s (budget: median ≤ {MEDIAN_AIM_S:.0f} s, none over {BUDGET_S:.0f} s).",
            f"Projected notebook phase of `make test` for all {total} papers at this median with {WORKERS} "
            f"workers: {projection(secs, total):.1f} min.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    failed = 0
    if argv:
        from run_chapter import run_once

        paths = [Path(p).resolve() for p in argv]
        for md in paths:
            failed += not run_once(md)
        wanted = {str(md.relative_to(ROOT)) for md in paths}
    else:
        wanted = {str(md.relative_to(ROOT)) for md in chapter_sources()}
    recorded = records.runtimes()
    rows = [dict(recorded[c], ok=True) for c in sorted(wanted) if c in recorded]
    missing = sorted(wanted - set(recorded))
    text = table(rows) + "".join(f"\nnot executed yet: {m}" for m in missing)
    out = ROOT / "_build"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(text)
    secs = [r["seconds"] for r in rows]
    (out / "bench.json").write_text(json.dumps(
        {"budget_s": BUDGET_S, "chapters": rows, "median_s": statistics.median(secs) if secs else None,
         "max_s": max(secs) if secs else None}, indent=1))
    print("\nSeconds per chapter at the default scale (wall, kernel start included):\n")
    print(text)
    over = [r for r in rows if r["seconds"] > BUDGET_S]
    return 1 if failed or over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
