"""Runtimes, after the notebooks ran: every chapter's execution was recorded, within the budget, and the runtime its
header states is the one measured. Budget and headers are seconds on the reference machine.

- The budget: wall seconds divided by this machine's speed factor, calibrated by `tools/bench.py` in this build with
  a fixed workload (tools/speed.py), independent of the chapters: a book that got slower everywhere still fails.
- The headers: a calibration is good to about 10 %, and chapters differ in how much a slow CPU slows them, so each
  header is compared with the chapter's wall seconds divided by the book's own ratio on this run (the median over
  all chapters of wall seconds / stated seconds): a header is wrong when its chapter is slower or faster than the
  header says *relative to the rest of the book*. How far is wrong: on the slow CI machines single chapters ran
  0.6 to 1.65 times the book's pace (measured in three full runs of 2026-12-06/07; transformer 2.2 and rgcn 2.4
  times their headers where the book's median was 1.45), so a header is wrong when the chapter runs more than
  twice or less than half as long as it states, at the book's pace, and by more than 4 s. Tighter than that, the
  check failed with the machine drawn, not with the header.
"""

import functools

import bench
import book
import pytest
import records
import speed

ROOT = book.ROOT
CHAPTERS = book.chapter_sources()
BUDGET_S = 30.0

pytestmark = pytest.mark.build


def header_seconds(md) -> float:
    found = bench.RUNTIME_HEADER.search(md.read_text())
    assert found, "the header must state '**Runtime** ≈ N s'"
    return float(found.group(1))


@functools.cache
def book_ratio() -> float:
    """Median over the recorded chapters of wall seconds / the seconds their headers state."""
    recorded = records.runtimes()
    keys = {str(md.relative_to(ROOT)): md for md in CHAPTERS}
    seconds = {key: recorded[key]["seconds"] for key in keys if key in recorded}
    return bench.book_pace(seconds, {key: header_seconds(keys[key]) for key in seconds})


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda md: md.stem)
def test_runtime_recorded_within_budget_and_stated_in_the_header(md):
    record = records.runtimes().get(str(md.relative_to(ROOT)))
    assert record, "no recorded execution: the notebook did not run (or failed) in this test run"
    factor = speed.load_or_measure(ROOT / "_build" / "speed.json")["factor"]
    wall, stated = record["seconds"], header_seconds(md)
    assert wall / factor <= BUDGET_S, (
        f"{wall / factor:.1f} s at reference speed ({wall:.1f} s here, speed factor {factor:.2f}) is over the "
        f"{BUDGET_S:.0f} s budget")
    # Within reason: a chapter's pace relative to the book's varies with the machine (see the module docstring).
    ratio = book_ratio()
    paced = wall / ratio
    assert abs(paced - stated) <= 4.0 or stated / 2 <= paced <= 2 * stated, (
        f"header says ≈ {stated:.0f} s; measured {wall:.1f} s here, where the book's chapters ran {ratio:.2f} "
        f"times as long as their headers state: {paced:.1f} s at the book's pace. Update the header")
