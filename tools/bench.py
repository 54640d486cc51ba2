"""Seconds per chapter at the default scale, and what they project for the whole book in CI.

    python tools/bench.py                 # table from the runtimes recorded by the last executions (no execution)
    python tools/bench.py CHAPTER.md ...  # execute these chapters now, one after another, then tabulate them

Every execution of a chapter (nbval in `make test`, the site build, tools/run_chapter.py) records its wall seconds,
kernel start and shutdown included (tools/records.py); in CI the table therefore comes from the test run itself and
no chapter is executed twice. Writes _build/bench.md and _build/bench.json; a chapter over the budget is marked.

The budget is in seconds on the reference machine (tools/speed.py): the machine's speed factor is calibrated first
(about 35 s, written to _build/speed.json) and every wall time is divided by it; both are printed.
Exits 1 if a chapter given on the command line failed, or if a recorded chapter is over the 30 s budget at
reference speed.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import records  # noqa: E402
import speed  # noqa: E402
from book import ROOT, chapter_sources, papers  # noqa: E402

BUDGET_S = 30.0
MEDIAN_AIM_S = 12.0
WORKERS = 2


def projection(seconds: list[float], chapters: int, workers: int = WORKERS) -> float:
    """Minutes of notebook execution for ``chapters`` chapters at the median of ``seconds``, ``workers`` at once."""
    return chapters * statistics.median(seconds) / workers / 60


def at_reference(seconds: float, factor: float) -> float:
    """Wall seconds measured on a machine with speed ``factor`` (tools/speed.py), as seconds on the reference one."""
    return seconds / factor


RUNTIME_HEADER = re.compile(r"\*\*Runtime\*\* ≈ (\d+(?:\.\d+)?) s")


def stated_seconds(chapter: str) -> float | None:
    """The seconds a chapter's header states ('**Runtime** ≈ N s'), or None."""
    path = ROOT / chapter
    found = path.is_file() and RUNTIME_HEADER.search(path.read_text())
    return float(found.group(1)) if found else None


def book_pace(seconds: dict, stated: dict) -> float:
    """Median over chapters of wall seconds / the seconds their headers state (chapter -> seconds, both)."""
    return statistics.median(seconds[c] / stated[c] for c in seconds if stated.get(c))


def headers_to_revisit(rows: list[dict], slack: float = 0.5, stated: dict | None = None) -> list[str]:
    """Chapters whose wall seconds, at the book's pace on this run (wall / the median over chapters of wall / stated),
    differ from their header by more than ``slack`` of it and 4 s: a hint to re-measure, not a failure (the test in
    tests/test_runtime.py fails only beyond twice or half, because a chapter's pace varies with the machine)."""
    stated = stated or {r["chapter"]: stated_seconds(r["chapter"]) for r in rows}
    if not any(stated.values()):
        return []
    pace = book_pace({r["chapter"]: r["seconds"] for r in rows}, stated)
    return [f"{r['chapter']}: header ≈ {stated[r['chapter']]:.0f} s, {r['seconds'] / pace:.1f} s at the book's pace"
            for r in rows if stated[r["chapter"]]
            and abs(r["seconds"] / pace - stated[r["chapter"]]) > max(4.0, slack * stated[r["chapter"]])]


def table(rows: list[dict], factor: float = 1.0) -> str:
    lines = ["| chapter | wall s | at reference speed s | recorded by | status |", "|---|---:|---:|---|---|"]
    for r in rows:
        ref = at_reference(r["seconds"], factor)
        status = "failed" if not r["ok"] else ("**over 30 s**" if ref > BUDGET_S else "ok")
        lines.append(f"| {r['chapter']} | {r['seconds']:.1f} | {ref:.1f} | {r['source']} | {status} |")
    secs = [r["seconds"] for r in rows if r["ok"]]
    if secs:
        total = len(papers())
        refs = [at_reference(x, factor) for x in secs]
        lines += [
            "",
            f"Machine speed factor {factor:.2f} (tools/speed.py: 1.00 on the reference machine, higher is slower).",
            f"{len(secs)} chapters at reference speed: median {statistics.median(refs):.1f} s, "
            f"max {max(refs):.1f} s, sum {sum(refs):.0f} s (budget: median ≤ {MEDIAN_AIM_S:.0f} s, "
            f"none over {BUDGET_S:.0f} s).",
            f"Wall seconds on this machine: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s, "
            f"sum {sum(secs):.0f} s.",
            f"Projected notebook phase of `make test` for all {total} papers with {WORKERS} workers: "
            f"{projection(refs, total):.1f} min at reference speed, {projection(secs, total):.1f} min here.",
        ]
        revisit = headers_to_revisit([r for r in rows if r["ok"]])
        if revisit:
            lines += ["", "Headers more than half off at the book's pace on this run (re-measure them on a quiet "
                      "machine):"] + [f"- {x}" for x in revisit]
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
    factor = speed.measure(ROOT / "_build" / "speed.json")["factor"]
    text = table(rows, factor) + "".join(f"\nnot executed yet: {m}" for m in missing)
    out = ROOT / "_build"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(text)
    secs = [r["seconds"] for r in rows]
    refs = [at_reference(x, factor) for x in secs]
    (out / "bench.json").write_text(json.dumps(
        {"budget_s": BUDGET_S, "speed_factor": factor, "chapters": rows,
         "median_s": statistics.median(secs) if secs else None, "max_s": max(secs) if secs else None,
         "median_at_reference_s": statistics.median(refs) if refs else None,
         "max_at_reference_s": max(refs) if refs else None}, indent=1))
    print("\nSeconds per chapter at the default scale (wall, kernel start included):\n")
    print(text)
    over = [r for r in rows if at_reference(r["seconds"], factor) > BUDGET_S]
    return 1 if failed or over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
