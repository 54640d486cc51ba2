"""Structure of the book: pairing, table of contents, bibliography, chapter standard, lint."""

import json
import re
import subprocess
import sys
from pathlib import Path

import book
import pytest
import yaml

ROOT = book.ROOT
CHAPTERS = book.chapter_sources()
SECTIONS = ["The idea", "What the paper reports", "Setup", "Data", "The method", "Experiment", "Explore",
            "Check the claim", "What changes at small scale", "Scale it up", "Exercises", "References"]


def chapter_id(md: Path) -> str:
    return str(md.relative_to(ROOT))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return files


def bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M))


def test_there_are_chapters():
    assert len(CHAPTERS) >= 3


def test_generated_files_are_in_sync():
    """Each .md and its .ipynb agree, bootstrap cells match the template, part tables are current."""
    assert book.stale() == [], "run: python tools/book.py sync"


def test_toc_has_every_part_and_chapter_and_nothing_missing():
    """Every page is listed once; the 12 parts, in order, under one caption (the sidebar names each part once, by
    its index page's title "P01 · ..."), each part's chapters as the sections of its index page."""
    files = toc_files()
    for entry in files:
        assert (ROOT / f"{entry}.md").exists(), f"_toc.yml lists {entry}, which does not exist"
    assert len(files) == len(set(files)), "a page is listed twice in _toc.yml"
    for md in CHAPTERS + book.part_indexes():
        assert str(md.relative_to(ROOT).with_suffix("")) in files, f"{chapter_id(md)} is not in _toc.yml"
    parts = yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]
    assert [p["caption"] for p in parts] == ["About the book", "Parts"]
    indexes = [str(p.relative_to(ROOT).with_suffix("")) for p in book.part_indexes()]
    entries = parts[1]["chapters"]
    assert len(indexes) == 12 and [e["file"] for e in entries] == indexes, "the 12 part index pages, in order"
    for entry in entries:
        folder = entry["file"].rsplit("/", 1)[0]
        sections = [s["file"] for s in entry.get("sections", [])]
        assert all(s.startswith(folder + "/") for s in sections), f"{entry['file']} lists another part's chapter"
        assert sorted(sections) == sorted(str(md.relative_to(ROOT).with_suffix("")) for md in CHAPTERS
                                          if str(md.relative_to(ROOT)).startswith(folder + "/"))
    titles = book.part_titles()
    assert list(titles) == [f"P{i:02d}" for i in range(1, 13)]
    assert all(title.startswith(f"{part} · ") for part, title in titles.items()), titles


def test_papers_data_file():
    papers = book.papers()
    assert len(papers) == 336 and len({p["id"] for p in papers}) == 336
    assert {p["tier"] for p in papers} == {"A", "B", "C"}


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_chapter_front_matter_names_a_catalog_paper(md):
    paper = book.front_matter(md)["paper"]
    catalog = {p["id"]: p for p in book.papers()}
    assert paper["id"] in catalog, f"unknown catalog id {paper['id']}"
    assert paper["title"] == catalog[paper["id"]]["title"]
    assert paper["tier"] == catalog[paper["id"]]["tier"]
    assert "P" + md.parent.name[:2] == catalog[paper["id"]]["part"], "chapter is in the wrong part's folder"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_chapter_follows_the_standard(md):
    text = md.read_text()
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == SECTIONS, f"sections must be, in order: {SECTIONS}"
    assert ":::{admonition} At a glance" in text and "**Claim under test**" in text and "**Runtime**" in text
    assert text.count("```{exercise}") >= 3 and text.count("```{solution}") >= text.count("```{exercise}")
    assert "utils.explore(" in text


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_chapter_records_claim_checks_and_a_negative_control(md):
    text = md.read_text()
    assert "utils.check_claim(" in text, "no claim check"
    assert "utils.check_fails(" in text, "no negative control (the check with the key idea switched off)"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_chapter_cites_an_existing_entry(md):
    text = md.read_text()
    cited = {k.strip() for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", text) for k in group.split(",")}
    assert cited, "the chapter cites nothing"
    assert cited <= bib_keys(), f"missing from references.bib: {cited - bib_keys()}"
    assert "```{bibliography}" in text


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_setup_cell_comes_first(md):
    cells = [c for c in book.jupytext.read(md).cells if c.cell_type == "code"]
    assert cells[0].metadata.get("tags") == ["remove-cell"] and "Colab bootstrap" in cells[0].source
    assert "utils.setup(" in cells[1].source


def test_offline_only():
    """No chapter downloads data: no fetch_* datasets, no mnist1d get_dataset, no hub loaders."""
    banned = re.compile(r"fetch_\w+\(|get_dataset\(|from_pretrained\(|torch\.hub|urlopen|requests\.get")
    for md in CHAPTERS:
        assert not banned.search(md.read_text()), f"{chapter_id(md)} reaches for the network"


def test_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_chapter_has_nothing_left_to_write(md):
    """`tools/book.py new` marks what the author must write; a skeleton never passes as a chapter."""
    import scaffold

    left = [i for i, line in enumerate(md.read_text().splitlines(), 1) if scaffold.MARK in line]
    assert not left, f"{scaffold.MARK} left on lines {left}"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_code_lines_fit_the_page(md):
    """Code lines over 100 characters scroll sideways on the site."""
    long = [(i, len(line)) for cell in book.jupytext.read(md).cells if cell.cell_type == "code"
            for i, line in enumerate(cell.source.splitlines(), 1) if len(line) > 100]
    assert not long, f"code lines over 100 characters (line in cell, length): {long}"


def unbalanced_fences(text):
    """Lines where a fenced directive ends too early or never: a nested fence as long as its opener, or EOF."""
    problems, opener = [], None  # opener: (backtick count, line number) of the open directive fence
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^(`{3,})(.*)$", line)
        if not m:
            continue
        ticks, info = len(m.group(1)), m.group(2).strip()
        if opener is None:
            opener = (ticks, n) if info.startswith("{") else (ticks, -n)  # negative: a plain code fence
        elif ticks >= opener[0] and not info:
            opener = None
        elif ticks >= opener[0] and opener[1] > 0:
            problems.append(n)  # MyST would close the directive at this fence's closing line
    if opener is not None:
        problems.append(abs(opener[1]))
    return problems


def test_unbalanced_fences_are_found():
    ok = "```{exercise} t\n:label: a\n```\n\n````{solution} a\n```python\nx = 1\n```\n````\n"
    nested = "```{solution} a\n```python\nx = 1\n```\n```\n"
    unclosed = "```{solution} a\ntext\n\n## References\n"
    assert unbalanced_fences(ok) == []
    assert unbalanced_fences(nested) == [2, 5]  # the stray closer opens a code block to the end
    assert unbalanced_fences(unclosed) == [1]


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_directive_fences_are_balanced(md):
    """A fence inside a directive needs fewer backticks than the directive's own (use ```` outside)."""
    assert not unbalanced_fences(md.read_text()), f"unbalanced fences at lines {unbalanced_fences(md.read_text())}"


@pytest.mark.parametrize("md", CHAPTERS, ids=chapter_id)
def test_switch_off_is_recorded_and_current(md):
    """A chapter that declares ablations has run `make ablate` on its current source, and every asserted check
    failed there. (Chapters written before the switch existed may not declare one yet: the ledger says so.)"""
    import ablate

    text = md.read_text()
    if "ablations=" not in text:
        pytest.skip("declares no ablation yet (the ledger shows the switch-off as not machine-checked)")
    results = json.loads(ablate.RESULTS.read_text()) if ablate.RESULTS.exists() else {}
    record = results.get(chapter_id(md))
    assert record, f"no switch-off recorded: run make ablate CHAPTERS={chapter_id(md)}"
    assert record["source_sha"] == ablate.source_sha(md), f"stale: rerun make ablate CHAPTERS={chapter_id(md)}"
    survivors = [(name, claim) for name, a in record["ablations"].items() for claim, c in a["claims"].items()
                 if c["must_break"] and any(c["passed"])]
    assert not survivors, f"asserted checks that still pass with the key idea switched off: {survivors}"


def test_student_archive_has_every_chapter_and_exercise_and_no_solution(tmp_path):
    import zipfile

    path = book.write_archive(student=True, path=tmp_path / "notebooks-student.zip")
    archive = zipfile.ZipFile(path)
    names = archive.namelist()
    assert "dl-in-miniature/requirements.txt" in names
    for md in CHAPTERS:
        name = f"dl-in-miniature/{md.relative_to(ROOT).with_suffix('.ipynb')}"
        assert name in names, f"{name} is missing from the student archive"
        student, full = archive.read(name).decode(), md.with_suffix(".ipynb").read_text()
        book.nbformat.validate(book.nbformat.reads(student, as_version=4))
        assert student.count("{exercise") == full.count("{exercise") >= 3, f"{name}: an exercise was lost"
        assert student.count("*Hint:*") == full.count("*Hint:*"), f"{name}: a hint was lost"
    for name in names:
        assert "{solution" not in archive.read(name).decode(), f"{name} still holds a solution"


def test_solutions_are_removed_from_fences_nested_directives_and_gated_cells():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Exercises\n\n```{exercise} One\n:label: ex1\nDo it.\n*Hint:* look.\n```\n\n"
                                      "````{solution} ex1\n:class: dropdown\nAnswer.\n```python\nx = 1\n```\n````\n"
                                      "\nAfter."),
        nbformat.v4.new_markdown_cell("::::{note}\nKeep this.\n:::{solution} ex2\nHidden.\n:::\n::::"),
        nbformat.v4.new_markdown_cell("```{exercise} Two\n:label: ex3\n```\n```{solution-start} ex3\n```\nGated."),
        nbformat.v4.new_code_cell("answer = 42"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```\nTail."),
        nbformat.v4.new_code_cell("kept = 1"),
    ]
    out = nbformat.reads(book.without_solutions(nbformat.writes(nb)), as_version=4)
    text = "\n".join(c.source for c in out.cells)
    assert "solution" not in text and "Answer" not in text and "Hidden" not in text and "Gated" not in text
    assert "answer = 42" not in text and "x = 1" not in text
    for kept in ["{exercise} One", "*Hint:* look.", "After.", "Keep this.", "{exercise} Two", "Tail.", "kept = 1"]:
        assert kept in text, kept


def test_ablation_status_reads_the_switch_off_record(tmp_path):
    md = CHAPTERS[0]
    key = str(md.relative_to(ROOT))
    claim = {"must_break": True, "passed": [False] * 5, "measured": [0.0] * 5, "relation": ">", "threshold": 0.5}
    record = {"source_sha": book.source_sha(md), "seeds": [0, 1, 2, 3, 4],
              "ablations": {"no-idea": {"description": "off", "claims": {"a": claim, "b": {**claim, "passed": [
                  False, True, False, False, True]}, "c": {**claim, "must_break": False}}}}}
    records = {key: record}
    assert book.ablation_status(md, "a", records) == "fails without the idea (no-idea, seeds 0–4)"
    assert book.ablation_status(key, "b", records).startswith("STILL PASSES without the idea (no-idea, seeds 1, 4")
    assert book.ablation_status(md, "c", records) == "not machine-checked yet"
    assert book.ablation_status(md, "a", {}) == "not machine-checked yet"
    assert book.ablation_status(md, "a", {key: {**record, "source_sha": "0" * 16}}) == "stale (source changed since)"
    assert book.load_ablations(tmp_path / "absent.json") == {}


def test_ledger_groups_checks_by_part_and_keeps_only_the_latest_run():
    md = CHAPTERS[0]
    name = book.setup_name(md)

    def entry(claim, kind, passed, at, elapsed=10.0):
        return {"chapter": name, "claim": claim, "kind": kind, "measured": 0.5, "relation": ">=", "threshold": 0.1,
                "paper": "a $ | * value", "passed": passed, "seed": 0, "scale": "ci", "recorded_at": at,
                "elapsed_s": elapsed}

    entries = [entry("renamed since", "claim", False, "2026-01-01T10:00:00"),
               entry("kept claim", "claim", True, "2026-01-02T10:00:05", 5.0),
               entry("kept control", "control", True, "2026-01-02T10:00:10", 10.0),
               entry("kept report", "reported", False, "2026-01-02T10:00:12", 12.0),
               {**entry("ablated run", "claim", True, "2026-01-03T10:00:00"), "ablate": "off"}]
    assert [e["claim"] for e in book.book_entries(entries)] == ["kept claim", "kept control", "kept report"]
    page = book.ledger_table(entries)
    assert page.startswith("**1 of 1 claims pass**") and "renamed since" not in page and "ablated run" not in page
    for title in book.part_titles().values():
        assert f"\n## {title}\n" in page
    assert "1/1 claims pass" in page and "1 not reproduced" in page and "1/1 controls fail as they should" in page
    assert "switch-off: " in page and ":::{dropdown}" in page and r"a \$ \| \* value" in page
    assert book.ledger_table([]).startswith("*No chapter")


def test_tried_notes_are_for_catalog_papers_without_a_chapter_and_show_in_the_index():
    tried, chapters = book.tried_notes(), book.chapters_by_paper()
    catalog = {p["id"]: p for p in book.papers()}
    assert set(tried) <= set(catalog)
    assert not set(tried) & set(chapters), "a paper with a chapter keeps no 'tried' note"
    for pid, index in tried.items():
        assert catalog[pid]["part"] == "P" + index.parent.name[:2], f"tried-{pid} is on another part's page"
        rows = book.paper_rows(catalog[pid]["part"], index, [], {})
        assert any(f"| {pid} |" in row and f"<tried-{pid}>" in row for row in rows)
    stats = book.part_stats([])
    assert sum(s["tried"] for s in stats.values()) == len(tried)
