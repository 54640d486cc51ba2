"""The book's own tools: new chapters from the catalog, execution records, seed sweeps and the ablation check."""

import json
import shutil

import book
import pytest
import records
import run_chapter
import scaffold
import speed

ROOT = book.ROOT


def test_new_chapter_skeleton_has_every_section_and_fails_until_written(tmp_path):
    root = tmp_path / "book"
    (root / "chapters" / "01-optimization").mkdir(parents=True)
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    paper = next(p for p in book.papers() if p["id"] == 326)
    md = scaffold.new_chapter(root, paper)
    text = md.read_text()
    assert md.name == "wide-residual-networks.md"
    import re

    assert re.findall(r"^## (.+)$", text, re.M) == [
        "The idea", "What the paper reports", "Setup", "Data", "The method", "Experiment", "Explore",
        "Check the claim", "What changes at small scale", "Scale it up", "Exercises", "References"]
    assert text.count("```{exercise}") == 3 and text.count("```{solution}") == 3
    assert "utils.setup(" in text and "utils.check_claim(" in text and "utils.check_fails(" in text
    assert scaffold.MARK in text
    assert "chapters/01-optimization/wide-residual-networks" in (root / "_toc.yml").read_text()
    with pytest.raises(SystemExit):
        scaffold.new_chapter(root, paper)  # never overwrites


def test_slugs_are_short_and_readable():
    assert scaffold.slugify("Attention Is All You Need") == "attention-all-you-need"
    assert scaffold.slugify("Pointer Networks") == "pointer-networks"


def test_toc_insertion_keeps_the_other_entries(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("parts:\n  - caption: X\n    chapters:\n      - file: chapters/09-e/index\n"
                   "      - file: chapters/10-i/index\n        sections:\n          - file: chapters/10-i/a\n")
    scaffold.add_to_toc(toc, "chapters/09-e/index", "chapters/09-e/new")
    scaffold.add_to_toc(toc, "chapters/10-i/index", "chapters/10-i/b")
    import yaml

    chapters = yaml.safe_load(toc.read_text())["parts"][0]["chapters"]
    assert chapters[0]["sections"] == [{"file": "chapters/09-e/new"}]
    assert chapters[1]["sections"] == [{"file": "chapters/10-i/a"}, {"file": "chapters/10-i/b"}]


def test_seed_lists_parse():
    assert run_chapter.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert run_chapter.parse_seeds("0,2,5") == [0, 2, 5]


def test_sweep_table_shows_margins_per_seed():
    entry = {"kind": "claim", "claim": "gap", "relation": ">", "threshold": 0.5}
    control = {"kind": "control", "claim": "gap (off)", "relation": ">", "threshold": 0.5}
    results = {0: [dict(entry, measured=0.7), dict(control, measured=0.1)],
               1: [dict(entry, measured=0.4), dict(control, measured=0.9)]}
    table = run_chapter.sweep_table(results)
    assert "0.7 (+0.2) ✓" in table and "0.4 (-0.1) ✗" in table
    assert "0.1 (-0.4) ✓" in table and "0.9 (+0.4) ✗ holds" in table


def test_execution_records_are_keyed_by_source_and_utils(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "EXECUTED", tmp_path / "executed")
    monkeypatch.setattr(records, "RUNTIME", tmp_path / "runtime")
    md = book.chapter_sources()[0]
    nb = book.jupytext.read(md)
    records.write_executed(md, nb)
    records.write_runtime(md, 7.25, source="test")
    assert records.fresh_executed(md) is not None
    assert records.runtimes()[str(md.relative_to(ROOT))]["seconds"] == 7.2
    assert records.fresh_executed(md, utils_hash="something else") is None
    assert json.loads(records.runtime_path(md).read_text())["key"] == records.source_key(md)


def test_speed_factor_scales_wall_seconds_to_the_reference_machine(tmp_path, monkeypatch):
    import bench

    monkeypatch.setattr(speed, "calibrate", lambda: 2 * speed.REFERENCE_S)
    result = speed.measure(tmp_path / "speed.json")
    assert result["factor"] == 2.0
    assert speed.load_or_measure(tmp_path / "speed.json") == result  # read back, not calibrated again
    rows = [{"chapter": "a.md", "seconds": 50.0, "source": "nbval", "ok": True},
            {"chapter": "b.md", "seconds": 70.0, "source": "nbval", "ok": True}]
    text = bench.table(rows, factor=2.0)
    assert "| a.md | 50.0 | 25.0 | nbval | ok |" in text
    assert "| b.md | 70.0 | 35.0 | nbval | **over 30 s** |" in text
    assert "Machine speed factor 2.00" in text


def test_headers_to_revisit_compares_each_header_with_the_books_pace():
    import bench

    rows = [{"chapter": f"{c}.md", "seconds": sec} for c, sec in zip("abcde", (15.0, 15.0, 15.0, 45.0, 9.0))]
    stated = {"a.md": 10.0, "b.md": 10.0, "c.md": 10.0, "d.md": 10.0, "e.md": 10.0}
    # The book runs at 1.5 times its headers here: d (30 s at that pace) is off, e (6 s) within 4 s.
    assert bench.headers_to_revisit(rows, stated=stated) == ["d.md: header ≈ 10 s, 30.0 s at the book's pace"]
