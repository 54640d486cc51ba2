"""Structure of the book: pairing, table of contents, bibliography, chapter standard, lint."""

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
    files = toc_files()
    for entry in files:
        assert (ROOT / f"{entry}.md").exists(), f"_toc.yml lists {entry}, which does not exist"
    for md in CHAPTERS + book.part_indexes():
        assert str(md.relative_to(ROOT).with_suffix("")) in files, f"{chapter_id(md)} is not in _toc.yml"
    parts = yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]
    captions = [p["caption"] for p in parts]
    assert [c for c in captions if c.startswith("P")] == [f"P{i:02d} · " + c.split(" · ", 1)[1]
                                                         for i, c in enumerate(captions[1:], 1)]
    assert len(book.part_indexes()) == 12


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
