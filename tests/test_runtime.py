"""Runtimes, after the notebooks ran: every chapter's execution was recorded, within the budget, and the runtime its
header states is the one measured. Budget and headers are seconds on the reference machine: measured wall seconds
are divided by this machine's speed factor (tools/speed.py), which `tools/bench.py` calibrated in this build."""

import re

import book
import pytest
import records
import speed

ROOT = book.ROOT
CHAPTERS = book.chapter_sources()
BUDGET_S = 30.0

pytestmark = pytest.mark.build


def header_seconds(md) -> float:
    found = re.search(r"\*\*Runtime\*\* ≈ (\d+(?:\.\d+)?) s", md.read_text())
    assert found, "the header must state '**Runtime** ≈ N s'"
    return float(found.group(1))


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda md: md.stem)
def test_runtime_recorded_within_budget_and_stated_in_the_header(md):
    record = records.runtimes().get(str(md.relative_to(ROOT)))
    assert record, "no recorded execution: the notebook did not run (or failed) in this test run"
    factor = speed.load_or_measure(ROOT / "_build" / "speed.json")["factor"]
    wall, stated = record["seconds"], header_seconds(md)
    measured = wall / factor
    assert measured <= BUDGET_S, (
        f"{measured:.1f} s at reference speed ({wall:.1f} s here, speed factor {factor:.2f}) is over the "
        f"{BUDGET_S:.0f} s budget")
    # Within reason: wall times vary with the machine's load by a few seconds, and chapters differ in how much a
    # slower machine slows them (the factor is one number for all).
    assert abs(measured - stated) <= max(4.0, 0.5 * stated), (
        f"header says ≈ {stated:.0f} s, measured {measured:.1f} s at reference speed ({wall:.1f} s here, speed "
        f"factor {factor:.2f}): update the header")
