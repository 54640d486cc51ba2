"""Keep the book's generated pieces in step with their sources.

    python tools/book.py sync [CHAPTER.md ...]   # bootstrap cells and paired .ipynb files (all chapters by default)
    python tools/book.py check                   # exit 1 if anything `sync` would change is out of date
    python tools/book.py pages                   # generate the ledger, paper index and part tables (_build/)

The repository URL is read from _config.yml, the one place it is set.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = re.compile(r"(```\{code-cell\} ipython3\n:tags: \[remove-cell\]\n\n?)# Colab bootstrap.*?(\n```)", re.S)


def repo_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def chapter_sources() -> list[Path]:
    """Every chapter source: the .md files under chapters/ that carry a jupytext header."""
    return sorted(p for p in (ROOT / "chapters").rglob("*.md") if "jupytext:" in p.read_text()[:400])


def with_bootstrap(text: str) -> str:
    """``text`` with its bootstrap cell body replaced by the current template."""
    body = (ROOT / "tools" / "bootstrap_cell.txt").read_text().format(repo=repo_url()).rstrip()
    new, count = BOOTSTRAP.subn(lambda m: m.group(1) + body + m.group(2), text, count=1)
    if count != 1:
        raise ValueError("no bootstrap cell found (a remove-cell code cell starting with '# Colab bootstrap')")
    return new


def paired_notebook(md: Path) -> str:
    """The .ipynb text that belongs beside ``md`` (no outputs, cell ids numbered so the file is reproducible)."""
    nb = jupytext.read(md)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    return nbformat.writes(nb) + "\n"


def sync(paths: list[Path]) -> list[str]:
    """Bring bootstrap cells and .ipynb pairs up to date; return the files changed."""
    changed = []
    for md in paths:
        text = md.read_text()
        new = with_bootstrap(text)
        if new != text:
            md.write_text(new)
            changed.append(str(md.relative_to(ROOT)))
        ipynb = md.with_suffix(".ipynb")
        nb_text = paired_notebook(md)
        if not ipynb.exists() or ipynb.read_text() != nb_text:
            ipynb.write_text(nb_text)
            changed.append(str(ipynb.relative_to(ROOT)))
    return changed


def stale() -> list[str]:
    """Files that ``sync`` would change."""
    out = []
    for md in chapter_sources():
        if with_bootstrap(md.read_text()) != md.read_text():
            out.append(f"{md.relative_to(ROOT)}: bootstrap cell differs from tools/bootstrap_cell.txt")
        ipynb = md.with_suffix(".ipynb")
        if not ipynb.exists() or ipynb.read_text() != paired_notebook(md):
            out.append(f"{ipynb.relative_to(ROOT)}: out of sync with its .md")
    return out


def papers() -> list[dict]:
    """The book's catalog of papers (data/papers.csv): id, part, tier, year, title."""
    with open(ROOT / "data" / "papers.csv", newline="") as f:
        return [dict(row, id=int(row["id"])) for row in csv.DictReader(f)]


def front_matter(md: Path) -> dict:
    text = md.read_text()
    return yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else {}


def chapters_by_paper() -> dict[int, Path]:
    """Paper id -> chapter source, from each chapter's front matter (``paper: {id: ...}``)."""
    found = {}
    for md in chapter_sources():
        paper = front_matter(md).get("paper") or {}
        if "id" in paper:
            found[int(paper["id"])] = md
    return found


def part_indexes() -> list[Path]:
    return sorted((ROOT / "chapters").glob("[0-9][0-9]-*/index.md"))


def part_titles() -> dict[str, str]:
    """'P01' -> the part's title, from the first line of its index page."""
    return {"P" + p.parent.name[:2]: p.read_text().splitlines()[0].lstrip("# ") for p in part_indexes()}


def reading_notes() -> dict[int, Path]:
    """Paper id -> the part index page that holds a reading note for it (a ``(note-ID)=`` label)."""
    notes = {}
    for index in part_indexes():
        for pid in re.findall(r"^\(note-(\d+)\)=", index.read_text(), re.M):
            notes[int(pid)] = index
    return notes


def setup_name(md: Path) -> str | None:
    found = re.search(r"utils\.setup\(\s*[\"']([^\"']+)[\"']", md.read_text())
    return found.group(1) if found else None


def chapter_facts(md: Path, ledger: list[dict], bench: dict) -> dict:
    """Runtime and claims of a chapter, from the last bench run and the ledger."""
    name = setup_name(md)
    claims = [e for e in ledger if e["chapter"] == name and e.get("kind", "claim") == "claim"]
    reported = [e for e in ledger if e["chapter"] == name and e.get("kind") == "reported"]
    seconds = bench.get(str(md.relative_to(ROOT)))
    return {"seconds": seconds, "claims": len(claims), "passed": sum(e["passed"] for e in claims),
            "not_reproduced": len(reported)}


def load_bench() -> dict:
    path = ROOT / "_build" / "bench.json"
    if not path.exists():
        return {}
    return {row["chapter"]: row["seconds"] for row in json.loads(path.read_text())["chapters"]}


def _claims_text(facts: dict) -> str:
    if not facts["claims"]:
        return "not yet run"
    mark = "✅" if facts["passed"] == facts["claims"] else "❌"
    extra = f" · {facts['not_reproduced']} not reproduced" if facts.get("not_reproduced") else ""
    return f"{mark} {facts['passed']}/{facts['claims']}{extra}"


def _seconds_text(facts: dict) -> str:
    return f"{facts['seconds']:.0f} s" if facts["seconds"] is not None else "—"


def paper_rows(part: str, link_from: Path, ledger: list[dict], bench: dict) -> list[str]:
    """Table rows for one part's papers; links are relative to the page ``link_from``."""
    by_paper, notes = chapters_by_paper(), reading_notes()
    rows = ["| id | paper | year | tier | status | runtime | claims |", "|---:|---|---:|:-:|---|---:|:-:|"]
    for p in sorted((p for p in papers() if p["part"] == part), key=lambda p: (p["tier"], p["id"])):
        status, seconds, claims = "planned", "", ""
        if p["id"] in by_paper:
            md = by_paper[p["id"]]
            facts = chapter_facts(md, ledger, bench)
            status = f"[reproduced]({Path(_rel(md, link_from))})"
            seconds, claims = _seconds_text(facts), _claims_text(facts)
        if p["id"] in notes:
            note = f"{{ref}}`reading note <note-{p['id']}>`"
            status = note if status == "planned" else f"{status} · {note}"
        rows.append(f"| {p['id']} | {p['title']} | {p['year']} | {p['tier']} | {status} | {seconds} | {claims} |")
    return rows


def _rel(target: Path, link_from: Path) -> str:
    import os

    return os.path.relpath(target, link_from.parent)


def write_pages() -> list[Path]:
    """Generate the included tables: each part's list of papers, and the book's index of all papers."""
    ledger, bench = load_ledger(), load_bench()
    out_dir = ROOT / "_build" / "pages"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    by_paper, notes = chapters_by_paper(), reading_notes()
    for index in part_indexes():
        part = "P" + index.parent.name[:2]
        path = out_dir / f"{part}.md"
        path.write_text("\n".join(paper_rows(part, index, ledger, bench)) + "\n")
        written.append(path)
    catalog = papers()
    lines = [
        f"**{len(by_paper)} of {len(catalog)} papers reproduced** in a chapter, "
        f"**{len(set(notes) - set(by_paper))}** more covered by a reading note, the rest planned.\n"
    ]
    for part, title in part_titles().items():
        lines += [f"## {title}\n", *paper_rows(part, ROOT / "papers.md", ledger, bench), ""]
    path = out_dir / "papers.md"
    path.write_text("\n".join(lines))
    written.append(path)
    rows = ["| part | chapter | runtime | exercises | claims |", "|---|---|---:|:-:|:-:|"]
    for md in sorted(chapter_sources()):
        facts = chapter_facts(md, ledger, bench)
        title = re.search(r"^# (.+)$", md.read_text(), re.M).group(1)
        exercises = md.read_text().count("```{exercise}")
        rows.append(f"| P{md.parent.name[:2]} | [{title}]({md.relative_to(ROOT)}) | {_seconds_text(facts)} | "
                    f"{exercises} | {_claims_text(facts)} |")
    path = out_dir / "teaching.md"
    path.write_text("\n".join(rows) + "\n")
    written.append(path)
    written.append(write_archive())
    return written


def write_archive() -> Path:
    """A zip of every chapter notebook (no outputs) plus requirements.txt, for the teaching page's download."""
    import zipfile

    path = ROOT / "_build" / "site-extra" / "notebooks.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for md in chapter_sources():
            ipynb = md.with_suffix(".ipynb")
            info = zipfile.ZipInfo(f"dl-in-miniature/{ipynb.relative_to(ROOT)}", date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, ipynb.read_text(), zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("dl-in-miniature/requirements.txt", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, (ROOT / "requirements.txt").read_text(), zipfile.ZIP_DEFLATED)
    return path


def load_ledger(folder: Path | None = None) -> list[dict]:
    folder = folder or ROOT / "_build" / "ledger"
    entries = []
    for path in sorted(folder.glob("*.json")):
        entries += json.loads(path.read_text()).values()
    return entries


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def chapter_titles() -> dict[str, tuple[str, str]]:
    """chapter name given to utils.setup -> (doc path without suffix, page title)."""
    found = {}
    for md in chapter_sources():
        title = re.search(r"^# (.+)$", md.read_text(), re.M)
        if setup_name(md):
            found[setup_name(md)] = (str(md.relative_to(ROOT).with_suffix("")), title.group(1) if title else md.stem)
    return found


LABELS = {"control": " (control)", "reported": " (reported)"}


def ledger_table(entries: list[dict]) -> str:
    """A MyST table of every recorded check, grouped by chapter."""
    if not entries:
        return "*No chapter has been executed yet: run `make book` or `make test`.*\n"
    titles = chapter_titles()
    rows = [
        "| chapter | check | measured | threshold | paper | result | seed | scale | at (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in sorted(entries, key=lambda e: (e["chapter"], e.get("kind", "claim") != "claim", e["claim"])):
        doc, title = titles.get(e["chapter"], (None, e["chapter"]))
        link = f"{{doc}}`{title} </{doc}>`" if doc else title
        kind = e.get("kind", "claim")
        if kind == "control":
            result = "✅ fails when ablated" if e["passed"] else "❌ holds when ablated"
        elif kind == "reported":
            result = "➖ not reproduced" + (" (holds at this seed)" if e["passed"] else "")
        else:
            result = "✅ pass" if e["passed"] else "❌ fail"
        rows.append(
            f"| {link} | {_fmt(e['claim'])}{LABELS.get(kind, '')} | {_fmt(e['measured'])} | "
            f"{e['relation']} {_fmt(e['threshold'])} | {_fmt(e.get('paper'))} | {result} | {e.get('seed')} | "
            f"{e.get('scale')} | {_fmt(e.get('elapsed_s'))} |"
        )
    claims = [e for e in entries if e.get("kind", "claim") == "claim"]
    passed = sum(e["passed"] for e in claims)
    reported = sum(e.get("kind") == "reported" for e in entries)
    summary = f"**{passed} of {len(claims)} claims pass** across {len({e['chapter'] for e in entries})} chapters"
    summary += f"; {reported} did not reproduce and are reported, not asserted.\n\n" if reported else ".\n\n"
    return summary + "\n".join(rows) + "\n"


def write_ledger() -> Path:
    out = ROOT / "_build" / "ledger" / "table.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(ledger_table(load_ledger()))
    return out


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"sync", "check", "pages"}:
        print(__doc__)
        return 2
    if argv[0] == "sync":
        paths = [Path(p).resolve() for p in argv[1:]] or chapter_sources()
        for name in sync(paths):
            print("updated", name)
    elif argv[0] == "check":
        problems = stale()
        print("\n".join(problems) or "all generated files are up to date")
        return 1 if problems else 0
    else:
        for path in [write_ledger(), *write_pages()]:
            print("wrote", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
