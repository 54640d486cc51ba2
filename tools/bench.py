"""Run every chapter once at the default scale, one after another, and tabulate the seconds each takes.

    python tools/bench.py [CHAPTER.md ...]

Writes _build/bench.md and _build/bench.json and prints the table; a chapter over the budget is marked.
Exits 1 if a chapter failed to run (a slow chapter is reported, not failed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import ROOT, chapter_sources  # noqa: E402
from run_chapter import execute  # noqa: E402

BUDGET_S = 30.0


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or chapter_sources()
    rows, failed = [], 0
    for md in paths:
        _, wall, cpu, error = execute(md)
        name = str(md.relative_to(ROOT))
        rows.append({"chapter": name, "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "ok": error is None})
        failed += error is not None
        print(f"{wall:6.1f} s  {name}{'  FAILED' if error else ''}", flush=True)
    total = sum(r["seconds"] for r in rows)
    lines = ["| chapter | seconds | kernel CPU s | status |", "|---|---:|---:|---|"]
    for r in rows:
        status = "failed" if not r["ok"] else ("**over 30 s**" if r["seconds"] > BUDGET_S else "ok")
        lines.append(f"| {r['chapter']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {status} |")
    lines.append(f"| **total ({len(rows)} chapters)** | **{total:.1f}** | | |")
    table = "\n".join(lines) + "\n"
    out = ROOT / "_build"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(table)
    (out / "bench.json").write_text(json.dumps({"budget_s": BUDGET_S, "chapters": rows, "total_s": total}, indent=1))
    print("\nSeconds per chapter at the default scale (kernel start included):\n")
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
