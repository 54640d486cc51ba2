"""Switch each chapter's key idea off and require every asserted check to fail: the machine-checked switch-off.

    python tools/ablate.py CHAPTER.md [...] [--seeds 0-4]     # `make ablate CHAPTERS="..." SEEDS=0-4`

A chapter declares its ablations in `utils.setup(..., ablations={"name": "what it switches off"})`; with
REPRO_ABLATE=name it runs its *main* experiment without the paper's idea and records its checks without raising.
For every declared ablation and every seed this runs the chapter ablated, and fails (exit 1) if a `check_claim`
that names the ablation in `breaks_with` (by default all of them) still passes. The outcome is kept in
data/ablations.json, committed with the chapter, keyed by a digest of the chapter's source so the ledger can tell a
current result from a stale one. A chapter that declares no ablation fails.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import source_sha  # noqa: E402
from run_chapter import parse_seeds, sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "ablations.json"


def ablate_chapter(md: Path, seeds: list[int]) -> tuple[dict, list[str]]:
    """Run every declared ablation of ``md`` at ``seeds``; return the record and a list of problems."""
    md = md.resolve()
    first, ran = sweep(md, seeds[:1], ablate="1", quiet=True)
    entries = first[seeds[0]]
    if not ran:
        return {}, [f"{md.name}: a cell failed in the ablated run (seed {seeds[0]})"]
    declared = next((e.get("ablations") for e in entries if e.get("ablations")), [])
    if not declared:
        return {}, [f"{md.name}: declares no ablation (utils.setup(..., ablations={{...}}))"]
    record = {"source_sha": source_sha(md), "seeds": seeds, "ran_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "ablations": {}}
    problems = []
    for name in declared:
        results, ran = sweep(md, seeds, ablate=name, quiet=True)
        if not ran:
            problems.append(f"{md.name}: a cell failed with ablation {name}")
        description = declared[name] if isinstance(declared, dict) else ""
        claims = {}
        for seed in seeds:
            for e in results[seed]:
                if e["kind"] != "claim":
                    continue
                c = claims.setdefault(e["claim"], {"must_break": name in e.get("breaks_with", declared),
                                                   "passed": [], "measured": [], "relation": e["relation"],
                                                   "threshold": e["threshold"]})
                c["passed"].append(bool(e["passed"]))
                c["measured"].append(e["measured"])
        for claim, c in claims.items():
            shown = ", ".join(f"{m:.4g}" for m in c["measured"])
            verdict = "still PASSES" if c["must_break"] and any(c["passed"]) else (
                "fails as it should" if c["must_break"] else "not required to fail")
            print(f"  {md.name} | {name} | {claim} | measured {shown} {c['relation']} {c['threshold']:.4g} | "
                  f"{verdict}")
            if c["must_break"] and any(c["passed"]):
                seeds_passed = [s for s, p in zip(seeds, c["passed"]) if p]
                problems.append(f"{md.name}: '{claim}' still passes with '{name}' at seeds {seeds_passed}")
        if not any(c["must_break"] for c in claims.values()):
            problems.append(f"{md.name}: no asserted check is required to fail with '{name}'")
        record["ablations"][name] = {"description": description, "claims": claims}
    return record, problems


def save(md: Path, record: dict) -> None:
    """Merge one chapter's record into data/ablations.json (locked: several authors may run this at once)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        data[str(md.resolve().relative_to(ROOT))] = record
        RESULTS.write_text(json.dumps(dict(sorted(data.items())), indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", type=Path, nargs="+")
    parser.add_argument("--seeds", default="0-4")
    args = parser.parse_args(argv)
    seeds, problems = parse_seeds(args.seeds), []
    for md in args.chapters:
        print(f"{md}: ablated at seeds {seeds}", flush=True)
        record, found = ablate_chapter(md, seeds)
        problems += found
        if record:
            save(md, record)
    print("\n".join(problems) if problems else "every asserted check fails with the key idea switched off")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
