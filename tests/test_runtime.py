"""Runtimes, after the notebooks ran: every chapter's execution was recorded, within the budget, and the runtime its
header states is the one measured."""

import re

import book
import pytest
import records

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
    measured, stated = record["seconds"], header_seconds(md)
    assert measured <= BUDGET_S, f"{measured:.1f} s is over the {BUDGET_S:.0f} s budget"
    # Within reason: wall times vary with the machine's load by a few seconds.
    assert abs(measured - stated) <= max(4.0, 0.5 * stated), (
        f"header says ≈ {stated:.0f} s, measured {measured:.1f} s: update the header")
