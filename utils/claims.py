"""Claim checks: compare a measured value with a threshold fixed in advance, print it, record it, raise on failure.

Every check is written to the reproduction ledger, ``_build/ledger/<chapter>.json`` in the book's repository (or
``$REPRO_LEDGER_DIR``), never into the sources. Outside the repository (Colab, say) nothing is written.

In an ablated run (``REPRO_ABLATE``, see :func:`utils.setup`) or a seed sweep (``REPRO_RECORD_ONLY=1``) checks are
printed and recorded but never raise; ablated runs go to ``<chapter>.ablate-<name>.json`` so that they never
overwrite the chapter's own record.
"""

from __future__ import annotations

import json
import math
import operator
import os
import time
from pathlib import Path

RELATIONS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def find_book_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the working directory) holding ``_toc.yml`` and ``utils/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file() and (folder / "utils").is_dir():
            return folder
    return None


def ledger_dir() -> Path | None:
    """Where claim records go: ``$REPRO_LEDGER_DIR``, else ``<book root>/_build/ledger``, else ``None``."""
    if os.environ.get("REPRO_LEDGER_DIR"):
        return Path(os.environ["REPRO_LEDGER_DIR"])
    root = find_book_root()
    return root / "_build" / "ledger" if root else None


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and (abs(value) >= 1e4 or (0 < abs(value) < 1e-3)):
        return f"{value:.3g}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _record(entry: dict) -> None:
    folder = ledger_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    suffix = f".ablate-{entry['ablate']}" if entry.get("ablate") else ""
    path = folder / f"{entry['chapter']}{suffix}.json"
    records = json.loads(path.read_text()) if path.exists() else {}
    records[entry["claim"]] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(records, indent=1, sort_keys=True))
    tmp.replace(path)


def reset_record(chapter: str, ablate: str | None = None) -> None:
    """Start the chapter's record afresh (called by :func:`utils.setup`): a check renamed or removed since the last
    run must not linger in the ledger."""
    folder = ledger_dir()
    if folder is not None:
        suffix = f".ablate-{ablate}" if ablate else ""
        (folder / f"{chapter}{suffix}.json").unlink(missing_ok=True)


def _evaluate(measured, relation: str, threshold: float) -> tuple[float, bool]:
    if relation not in RELATIONS:
        raise ValueError(f"relation {relation!r} is not one of {', '.join(RELATIONS)}")
    measured = float(measured)
    return measured, not math.isnan(measured) and bool(RELATIONS[relation](measured, threshold))


def _raises() -> bool:
    from utils.setup import record_only

    return not record_only()


def _breaks_with(breaks_with) -> list[str]:
    from utils.setup import current_run

    run = current_run()
    declared = list(run.ablations) if run else []
    if breaks_with is None:
        return declared
    names = [breaks_with] if isinstance(breaks_with, str) else list(breaks_with)
    unknown = set(names) - set(declared)
    if run is not None and unknown:
        raise ValueError(f"breaks_with names undeclared ablations {sorted(unknown)}; declared: {declared}")
    return names


def _entry(chapter, name, kind, measured, relation, threshold, paper, passed) -> dict:
    from utils.setup import current_run

    run = current_run()
    return {
        "ablate": run.ablate if run else None,
        "ablations": dict(run.ablations) if run else {},
        "chapter": chapter or (run.chapter if run else "unknown"),
        "claim": name,
        "kind": kind,
        "measured": measured,
        "relation": relation,
        "threshold": threshold,
        "paper": paper,
        "passed": passed,
        "seed": run.seed if run else None,
        "scale": run.scale if run else None,
        "device": str(run.device) if run else None,
        "elapsed_s": round(run.elapsed(), 2) if run else None,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def check_claim(
    name: str,
    measured: float,
    relation: str,
    threshold: float,
    paper: float | str | None = None,
    chapter: str | None = None,
    breaks_with: str | list[str] | None = None,
) -> None:
    """Check ``measured <relation> threshold``; print a table row; record it; raise ``AssertionError`` if it fails.

    ``relation`` is one of ``>``, ``>=``, ``<``, ``<=``. ``paper`` is the paper's own value (a number or a short
    text such as ``"≈ 0 (Fig. 2)"``) shown beside the measurement. ``chapter`` defaults to the one given to
    :func:`utils.setup`. A NaN measurement fails. ``breaks_with`` names the chapter's ablations under which this
    check must fail (default: all it declares); ``make ablate`` verifies it. In an ablated run or a seed sweep the
    check is recorded and printed but does not raise.
    """
    measured, passed = _evaluate(measured, relation, threshold)
    entry = _entry(chapter, name, "claim", measured, relation, threshold, paper, passed)
    entry["breaks_with"] = _breaks_with(breaks_with)
    _record(entry)
    verdict = "PASS" if passed else "FAIL"
    shown = f"measured {_fmt(measured)} {relation} {_fmt(threshold)}"
    print(f"claim | {name} | {shown} | paper {_fmt(paper)} | {verdict}")
    if not passed and _raises():
        raise AssertionError(
            f"claim '{name}' failed: measured {_fmt(measured)} is not {relation} {_fmt(threshold)} "
            f"(paper: {_fmt(paper)})"
        )


def check_fails(name: str, measured: float, relation: str, threshold: float, chapter: str | None = None) -> None:
    """A negative control: the same check with the key idea switched off must *fail*.

    Prints and records the control; raises ``AssertionError`` if ``measured <relation> threshold`` holds, because
    then the claim check could not tell the method from its ablation.
    """
    measured, holds = _evaluate(measured, relation, threshold)
    _record(_entry(chapter, name, "control", measured, relation, threshold, None, not holds))
    verdict = "fails as it should" if not holds else "PASSES: the check cannot tell"
    print(f"control | {name} | measured {_fmt(measured)} {relation} {_fmt(threshold)}? | {verdict}")
    if holds and _raises():
        raise AssertionError(
            f"control '{name}': with the key idea switched off the check still holds "
            f"({_fmt(measured)} {relation} {_fmt(threshold)}), so it cannot fail"
        )


def report_claim(
    name: str,
    measured: float,
    relation: str,
    threshold: float,
    paper: float | str | None = None,
    chapter: str | None = None,
) -> bool:
    """A claim measured and recorded but never asserted: one that did not reproduce, or that cannot separate the idea.

    Use it, with the threshold fixed in advance as for :func:`check_claim`, for a claim the chapter reports as not
    reproduced, so that the ledger shows it next to the checks that pass instead of hiding it. Prints a row,
    records it with kind ``"reported"`` and returns whether the relation happens to hold at this seed.
    """
    measured, holds = _evaluate(measured, relation, threshold)
    _record(_entry(chapter, name, "reported", measured, relation, threshold, paper, holds))
    verdict = "holds at this seed" if holds else "does not hold"
    shown = f"measured {_fmt(measured)} {relation} {_fmt(threshold)}"
    print(f"reported | {name} | {shown} | paper {_fmt(paper)} | {verdict} (reported, not asserted)")
    return holds
