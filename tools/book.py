"""Keep the book's generated pieces in step with their sources.

    python tools/book.py sync [CHAPTER.md ...]   # bootstrap cells and paired .ipynb files (all chapters by default)
    python tools/book.py check                   # exit 1 if anything `sync` would change is out of date
    python tools/book.py pages                   # generate the ledger, paper index and part tables (_build/)
    python tools/book.py new ID [--slug SLUG]    # start the chapter for catalog id ID (data/papers.csv)

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
sys.path.insert(0, str(ROOT / "tools"))
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


def _labelled_notes(prefix: str) -> dict[int, Path]:
    """Paper id -> the part index page that holds a ``(PREFIX-ID)=`` label for it."""
    notes = {}
    for index in part_indexes():
        for pid in re.findall(rf"^\({prefix}-(\d+)\)=", index.read_text(), re.M):
            notes[int(pid)] = index
    return notes


def reading_notes() -> dict[int, Path]:
    """Paper id -> the part index page that holds a reading note for it (a ``(note-ID)=`` label)."""
    return _labelled_notes("note")


def tried_notes() -> dict[int, Path]:
    """Paper id -> the part index page that says what was tried for it and why it is not a chapter yet (a
    ``(tried-ID)=`` label): a paper attempted at toy scale whose claim did not reproduce there."""
    return _labelled_notes("tried")


def setup_name(md: Path) -> str | None:
    found = re.search(r"utils\.setup\(\s*[\"']([^\"']+)[\"']", md.read_text())
    return found.group(1) if found else None


def chapter_facts(md: Path, ledger: list[dict], bench: dict) -> dict:
    """Runtime and claims of a chapter, from its last recorded execution and the ledger."""
    name = setup_name(md)
    ledger = [e for e in book_entries(ledger) if e["chapter"] == name]  # the latest plain run only
    claims = [e for e in ledger if e.get("kind", "claim") == "claim"]
    reported = [e for e in ledger if e.get("kind") == "reported"]
    seconds = bench.get(str(md.relative_to(ROOT)))
    return {"seconds": seconds, "claims": len(claims), "passed": sum(e["passed"] for e in claims),
            "not_reproduced": len(reported)}


def load_bench() -> dict:
    """Chapter path -> seconds of its last successful execution (nbval, run_chapter or the site build), at reference
    speed (the unit of the headers and the budget) when this build has calibrated the machine (_build/speed.json,
    written by tools/bench.py in `make test`), else wall seconds."""
    import json

    import records

    calibration = ROOT / "_build" / "speed.json"
    factor = json.loads(calibration.read_text())["factor"] if calibration.is_file() else 1.0
    return {chapter: record["seconds"] / factor for chapter, record in records.runtimes().items()}


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
    by_paper, notes, tried = chapters_by_paper(), reading_notes(), tried_notes()
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
        if p["id"] in tried and p["id"] not in by_paper:
            status = f"tried, not reproduced ({{ref}}`note <tried-{p['id']}>`)"
        rows.append(f"| {p['id']} | {p['title']} | {p['year']} | {p['tier']} | {status} | {seconds} | {claims} |")
    return rows


def _rel(target: Path, link_from: Path) -> str:
    import os

    return os.path.relpath(target, link_from.parent)


def write_pages() -> list[Path]:
    """Generate the included pieces: each part's list of papers, the book's index of all papers, the teaching
    page's table and its two notebook archives (with solutions, and for students), and the ledger's figure."""
    ledger, bench = book_entries(load_ledger()), load_bench()
    out_dir = ROOT / "_build" / "pages"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    by_paper, notes, tried = chapters_by_paper(), reading_notes(), tried_notes()
    for index in part_indexes():
        part = "P" + index.parent.name[:2]
        path = out_dir / f"{part}.md"
        _write_if_changed(path, "\n".join(paper_rows(part, index, ledger, bench)) + "\n")
        written.append(path)
    catalog = papers()
    lines = [
        f"**{len(by_paper)} of {len(catalog)} papers reproduced** in a chapter, "
        f"**{len(set(notes) - set(by_paper))}** more covered by a reading note, "
        f"**{len(set(tried) - set(by_paper))}** tried and not reproduced at toy scale (each with a note on what was "
        "measured), the rest planned.\n"
    ]
    for part, title in part_titles().items():
        lines += [f"## {title}\n", *paper_rows(part, ROOT / "papers.md", ledger, bench), ""]
    path = out_dir / "papers.md"
    _write_if_changed(path, "\n".join(lines))
    written.append(path)
    rows = ["| part | chapter | runtime | exercises | claims |", "|---|---|---:|:-:|:-:|"]
    for md in sorted(chapter_sources()):
        facts = chapter_facts(md, ledger, bench)
        title = re.search(r"^# (.+)$", md.read_text(), re.M).group(1)
        exercises = md.read_text().count("```{exercise}")
        rows.append(f"| P{md.parent.name[:2]} | [{title}]({md.relative_to(ROOT)}) | {_seconds_text(facts)} | "
                    f"{exercises} | {_claims_text(facts)} |")
    path = out_dir / "teaching.md"
    _write_if_changed(path, "\n".join(rows) + "\n")
    written.append(path)
    written.append(write_ledger_figure(ledger, out_dir / LEDGER_FIGURE))
    written += [write_archive(), write_archive(student=True)]
    return written


def _write_if_changed(path: Path, content: str | bytes) -> Path:
    """Write ``content`` unless ``path`` holds it already: an unchanged file keeps its mtime, so that Sphinx does not
    re-read the pages that include it."""
    data = content.encode() if isinstance(content, str) else content
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def write_archive(student: bool = False, path: Path | None = None) -> Path:
    """A zip of every chapter notebook (no outputs) plus requirements.txt, for the teaching page's downloads.

    ``student=True`` writes the student version, notebooks-student.zip: every solution removed (see
    :func:`without_solutions`), the exercises and their hints kept.
    """
    import io
    import zipfile

    name = "notebooks-student.zip" if student else "notebooks.zip"
    path = path or ROOT / "_build" / "site-extra" / name
    stamp, buffer = (2026, 1, 1, 0, 0, 0), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for md in chapter_sources():
            ipynb = md.with_suffix(".ipynb")
            text = without_solutions(ipynb.read_text()) if student else ipynb.read_text()
            info = zipfile.ZipInfo(f"dl-in-miniature/{ipynb.relative_to(ROOT)}", date_time=stamp)
            archive.writestr(info, text, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("dl-in-miniature/requirements.txt", date_time=stamp)
        archive.writestr(info, (ROOT / "requirements.txt").read_text(), zipfile.ZIP_DEFLATED)
    return _write_if_changed(path, buffer.getvalue())


FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>\S*)")


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened by ``fence`` (same character, at least as long, nothing after)."""
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]}


def _strip_solutions(text: str, gated: bool) -> tuple[str, bool]:
    """``text`` (a markdown cell) without its solutions; ``gated`` says whether the cell starts inside a
    ``{solution-start}`` ... ``{solution-end}`` block, and the result whether it ends inside one."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        line = lines[i]
        found = FENCE.match(line)
        if not found:
            if not gated:
                out.append(line)
            i += 1
            continue
        fence, info = found.group("fence"), found.group("info")
        end = i + 1
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        block = lines[i:end + 1]
        if info.startswith("{solution-start}"):
            gated = True
        elif info.startswith("{solution-end}"):
            gated = False
        elif not gated and not info.startswith("{solution}"):
            if info.startswith("{"):  # a directive: solutions may sit inside it
                inner, _ = _strip_solutions("\n".join(lines[i + 1:end]), False)
                block = [line, *([inner] if inner else []), *lines[end:end + 1]]
            out += block
        i = end + 1
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n"), gated


def without_solutions(notebook_text: str) -> str:
    """A notebook (.ipynb text) with every solution removed: ``{solution}`` blocks in markdown cells, and the cells
    between ``{solution-start}`` and ``{solution-end}``; the exercises, their hints and all other cells are kept."""
    nb = nbformat.reads(notebook_text, as_version=4)
    cells, gated = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, gated = _strip_solutions(cell.source, gated)
            if cell.source.strip():
                cells.append(cell)
        elif not gated:
            cells.append(cell)
    nb.cells = cells
    return nbformat.writes(nb) + "\n"


def load_ledger(folder: Path | None = None) -> list[dict]:
    folder = folder or ROOT / "_build" / "ledger"
    entries = []
    for path in sorted(folder.glob("*.json")):
        entries += json.loads(path.read_text()).values()
    return entries


def chapter_titles() -> dict[str, tuple[str, str]]:
    """chapter name given to utils.setup -> (doc path without suffix, page title)."""
    found = {}
    for md in chapter_sources():
        title = re.search(r"^# (.+)$", md.read_text(), re.M)
        if setup_name(md):
            found[setup_name(md)] = (str(md.relative_to(ROOT).with_suffix("")), title.group(1) if title else md.stem)
    return found


ABLATIONS = ROOT / "data" / "ablations.json"
LEDGER_FIGURE = "ledger-parts.svg"


def book_entries(entries: list[dict]) -> list[dict]:
    """The ledger entries of each chapter's last execution by the book (ablated runs, recorded apart, are left out).

    A chapter's record file keeps every check it ever recorded, so a check renamed or removed since would linger:
    only the checks of the chapter's latest run are kept, the run being told by its start time (``recorded_at``
    less ``elapsed_s``, the seconds since ``utils.setup``).
    """
    from datetime import datetime, timedelta

    def started(e):
        try:
            return datetime.fromisoformat(e["recorded_at"]) - timedelta(seconds=float(e["elapsed_s"]))
        except (KeyError, TypeError, ValueError):
            return None

    entries = [e for e in entries if not e.get("ablate")]
    latest = {}
    for e in entries:
        start = started(e)
        if start is not None and (e["chapter"] not in latest or start > latest[e["chapter"]]):
            latest[e["chapter"]] = start
    return [e for e in entries if started(e) is None or e["chapter"] not in latest
            or started(e) >= latest[e["chapter"]] - timedelta(seconds=5)]


def source_sha(md: Path) -> str:
    """First 16 hex digits of the sha256 of a chapter's source, the key data/ablations.json records results under."""
    import hashlib

    return hashlib.sha256(Path(md).read_bytes()).hexdigest()[:16]


def load_ablations(path: Path | None = None) -> dict:
    """data/ablations.json (written by tools/ablate.py): chapter path -> switch-off record; {} when absent."""
    path = path or ABLATIONS
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.relative_to(ROOT)} is not valid JSON: {exc}") from None


def _seeds_text(seeds: list) -> str:
    seeds = list(seeds)
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"seeds {seeds[0]}–{seeds[-1]}"
    return "seeds " + ", ".join(str(s) for s in seeds)


NOT_CHECKED, STALE = "not machine-checked yet", "stale (source changed since)"
FAILS, STILL_PASSES = "fails without the idea", "STILL PASSES without the idea"


def ablation_status(md_path, claim_name: str, records: dict | None = None) -> str:
    """What the machine-checked switch-off says about one asserted claim of a chapter, as shown in the ledger.

    ``md_path`` is the chapter's source (absolute, or relative to the repository); ``records`` defaults to
    data/ablations.json. Returns one of: "fails without the idea (<ablation>, seeds 0–4)" (every seed of every
    ablation that must break the claim failed it), "STILL PASSES without the idea (<ablation>, seeds ...)" (it
    passed at one of them), "stale (source changed since)" (the chapter changed after the record was made) or
    "not machine-checked yet" (no record, or no ablation is required to break this claim).
    """
    md = Path(md_path) if Path(md_path).is_absolute() else ROOT / md_path
    record = (load_ablations() if records is None else records).get(md.relative_to(ROOT).as_posix())
    if not record:
        return NOT_CHECKED
    if record.get("source_sha") != source_sha(md):
        return STALE
    seeds, failing, passing = record.get("seeds", []), [], []
    for name, ablation in record.get("ablations", {}).items():
        result = ablation.get("claims", {}).get(claim_name)
        if not result or not result.get("must_break") or not result.get("passed"):
            continue
        passed_at = [s for s, ok in zip(seeds, result["passed"]) if ok]
        if passed_at or any(result["passed"]):
            passing.append(f"{name}, {_seeds_text(passed_at) if passed_at else 'some seed'}")
        else:
            failing.append(name)
    if passing:
        return f"{STILL_PASSES} ({'; '.join(passing)})"
    if failing:
        return f"{FAILS} ({', '.join(failing)}, {_seeds_text(seeds)})"
    return NOT_CHECKED


def _md(text) -> str:
    """``text`` escaped for inline MyST markdown (claim names may hold $, *, |, _ ...)."""
    return re.sub(r"([\\`*_{}\[\]<>|$~#])", r"\\\1", str(text))


RELATIONS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


def _value(value) -> str:
    return "—" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def _switch_off_summary(statuses: list[str]) -> str:
    if not statuses:
        return "switch-off: no asserted claim"
    if all(s == STALE for s in statuses):
        return f"switch-off: {STALE}"
    still = sum(s.startswith(STILL_PASSES) for s in statuses)
    fails = [s for s in statuses if s.startswith(FAILS)]
    unchecked = sum(s == NOT_CHECKED for s in statuses)
    if unchecked == len(statuses):
        return f"switch-off: {NOT_CHECKED}"
    parts = []
    if still:
        parts.append(f"⚠️ **{still}/{len(statuses)} STILL PASS without the idea**")
    if fails:
        seeds = re.search(r", (seeds? [^)]*)\)$", fails[0])
        parts.append(f"{len(fails)}/{len(statuses)} fail without the idea" + (f" ({seeds.group(1)})" if seeds else ""))
    if unchecked:
        parts.append(f"{unchecked} {NOT_CHECKED}")
    return "switch-off: " + "; ".join(parts)


def _check_line(e: dict, md: Path | None, records: dict) -> str:
    """One check of a chapter as a list item: verdict, name, measured against the rule, paper, switch-off."""
    kind, name = e.get("kind", "claim"), _md(e["claim"])
    rule = f"{RELATIONS.get(e['relation'], e['relation'])} {_value(e['threshold'])}"
    paper = f" · paper: {_md(e['paper'])}" if e.get("paper") not in (None, "") else ""
    measured = f"measured **{_md(_value(e['measured']))}**"
    if kind == "control":
        verdict = "✅ fails as it should" if e["passed"] else "❌ HOLDS without the idea (the check cannot tell)"
        return f"- {verdict} · control: {name} · {measured}, the check {_md(rule)} must fail"
    if kind == "reported":
        verdict = "➖ not reproduced" + (" (holds at this seed)" if e["passed"] else "")
        return f"- {verdict} · {name} · {measured}, the paper's claim needs {_md(rule)}{paper}"
    verdict = "✅ pass" if e["passed"] else "❌ FAIL"
    switch = ablation_status(md, e["claim"], records) if md else NOT_CHECKED
    switch = f"⚠️ **{_md(switch)}**" if switch.startswith(STILL_PASSES) else _md(switch)
    return f"- {verdict} · {name} · {measured}, needs {_md(rule)}{paper} · switch-off: {switch}"


def chapter_ledger(md: Path | None, title: str, doc: str | None, entries: list[dict], records: dict) -> list[str]:
    """A chapter's part of the ledger: a one-line summary and its checks folded in a dropdown."""
    link = f"{{doc}}`{title} </{doc}>`" if doc else _md(title)
    if not entries:
        return [f"**{link}** · not yet run", ""]
    order = {"claim": 0, "reported": 1, "control": 2}
    entries = sorted(entries, key=lambda e: (order.get(e.get("kind", "claim"), 3), e["claim"]))
    claims = [e for e in entries if e.get("kind", "claim") == "claim"]
    controls = [e for e in entries if e.get("kind") == "control"]
    reported = [e for e in entries if e.get("kind") == "reported"]
    passed = sum(bool(e["passed"]) for e in claims)
    summary = [f"{'✅' if passed == len(claims) else '❌'} **{passed}/{len(claims)} claims pass**"]
    if reported:
        summary.append(f"➖ {len(reported)} not reproduced")
    if controls:
        fine = sum(bool(e["passed"]) for e in controls)
        summary.append(f"{'' if fine == len(controls) else '❌ '}{fine}/{len(controls)} controls fail as they should")
    summary.append(_switch_off_summary([ablation_status(md, e["claim"], records) if md else NOT_CHECKED
                                        for e in claims]))
    seeds = sorted({str(e.get("seed")) for e in entries})
    scales = sorted({str(e.get("scale")) for e in entries})
    when = max((e.get("recorded_at") or "")[:10] for e in entries)
    title_line = (f"{len(entries)} checks · seed {', '.join(seeds)} · scale {', '.join(scales)}"
                  + (f" · recorded {when}" if when else ""))
    lines = [f"**{link}** · " + " · ".join(summary), "", f":::{{dropdown}} {title_line}"]
    lines += [_check_line(e, md, records) for e in entries]
    return [*lines, ":::", ""]


def part_stats(entries: list[dict]) -> dict[str, dict]:
    """Per part ('P01'...): asserted claims passing and failing, claims reported as not reproduced, and papers
    reproduced in a chapter, covered by a reading note only, tried and not reproduced (a note only), and in the
    catalog in all."""
    entries = book_entries(entries)
    part_of = {setup_name(md): "P" + md.parent.name[:2] for md in chapter_sources()}
    stats = {part: dict(passed=0, failed=0, reported=0, chapters=0, notes=0, tried=0, total=0)
             for part in part_titles()}
    for e in entries:
        part = part_of.get(e["chapter"])
        if part not in stats:
            continue
        kind = e.get("kind", "claim")
        if kind == "claim":
            stats[part]["passed" if e["passed"] else "failed"] += 1
        elif kind == "reported":
            stats[part]["reported"] += 1
    by_paper, notes, tried = chapters_by_paper(), reading_notes(), tried_notes()
    for p in papers():
        if p["part"] not in stats:
            continue
        stats[p["part"]]["total"] += 1
        if p["id"] in by_paper:
            stats[p["part"]]["chapters"] += 1
        elif p["id"] in notes:
            stats[p["part"]]["notes"] += 1
        elif p["id"] in tried:
            stats[p["part"]]["tried"] += 1
    return stats


def write_ledger_figure(entries: list[dict], path: Path) -> Path:
    """The ledger's overview figure: per part, claims reproduced and not, and papers covered out of the catalog.

    Dark ink on an opaque white card (legible on the dark theme too), SVG with fixed ids so reruns are identical.
    """
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = part_stats(entries)
    parts = list(stats)[::-1]  # P01 at the top
    y = range(len(parts))
    style = {"figure.facecolor": "white", "savefig.facecolor": "white", "axes.facecolor": "white",
             "savefig.transparent": False, "text.color": "#111111", "axes.labelcolor": "#111111",
             "axes.edgecolor": "#333333", "xtick.color": "#333333", "ytick.color": "#333333",
             "axes.titlesize": 11, "axes.labelsize": 10, "font.size": 10, "legend.fontsize": 9,
             "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
             "svg.hashsalt": "dlm-ledger", "svg.fonttype": "path"}
    with plt.rc_context(style):
        fig, (left, right) = plt.subplots(1, 2, figsize=(8.6, 5.2), sharey=True, layout="constrained")
        series = [("passed", "reproduced (asserted, passing)", "#0072B2"),
                  ("failed", "asserted, failing", "#CC0000"),
                  ("reported", "not reproduced (reported)", "#E69F00")]
        start = [0] * len(parts)
        for key, label, colour in series:
            values = [stats[p][key] for p in parts]
            if key == "failed" and not any(values):
                continue
            left.barh(y, values, left=start, color=colour, label=label, height=0.7)
            start = [a + b for a, b in zip(start, values)]
        left.set_title("Claims checked")
        left.set_xlabel("claims")
        left.set_ylabel("part")
        left.set_yticks(list(y), parts)
        left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13))
        left.xaxis.get_major_locator().set_params(integer=True)
        totals = [stats[p]["total"] for p in parts]
        right.barh(y, totals, color="white", edgecolor="#888888", height=0.7, label="planned")
        chapters = [stats[p]["chapters"] for p in parts]
        notes = [stats[p]["notes"] for p in parts]
        right.barh(y, chapters, color="#009E73", height=0.7, label="reproduced in a chapter")
        right.barh(y, notes, left=chapters, color="#56B4E9", height=0.7, label="reading note")
        tried = [stats[p]["tried"] for p in parts]
        if any(tried):
            right.barh(y, tried, left=[c + n for c, n in zip(chapters, notes)], color="#E69F00", height=0.7,
                       label="tried, not reproduced")
        for i, p in zip(y, parts):
            s = stats[p]
            right.text(s["total"] + 0.8, i, f"{s['chapters'] + s['notes']} / {s['total']}", va="center",
                       fontsize=8, color="#111111")
        right.set_xlim(0, max(totals + [1]) * 1.18)
        right.set_title("Papers covered, of the part's catalog")
        right.set_xlabel("papers (data/papers.csv)")
        right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13))
        fig.suptitle("Reproduction ledger by part", fontsize=12)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=path.suffix[1:], metadata={"Date": None} if path.suffix == ".svg" else None)
        plt.close(fig)
    return _write_if_changed(path, buffer.getvalue())


def ledger_table(entries: list[dict]) -> str:
    """The ledger page's body: totals, then per part a heading and per chapter a one-line summary (claims passing,
    not reproduced, controls, machine-checked switch-off) with its checks folded in a dropdown."""
    entries = book_entries(entries)
    if not entries:
        return "*No chapter has been executed yet: run `make book` or `make test`.*\n"
    records = load_ablations()
    titles = chapter_titles()
    by_name = {setup_name(md): md for md in chapter_sources()}
    claims = [e for e in entries if e.get("kind", "claim") == "claim"]
    passed = sum(bool(e["passed"]) for e in claims)
    reported = sum(e.get("kind") == "reported" for e in entries)
    ran = {e["chapter"] for e in entries}
    lines = [f"**{passed} of {len(claims)} claims pass** across {len(ran)} chapters"
             + (f"; {reported} did not reproduce and are reported, not asserted." if reported else ".")]
    checked = [ablation_status(by_name.get(e["chapter"]), e["claim"], records) if e["chapter"] in by_name
               else NOT_CHECKED for e in claims]
    counts = [(sum(s.startswith(FAILS) for s in checked), "fail without the paper's idea"),
              (sum(s.startswith(STILL_PASSES) for s in checked), "**STILL PASS without it**"),
              (sum(s == STALE for s in checked), "with a stale record (source changed since)"),
              (sum(s == NOT_CHECKED for s in checked), "not machine-checked yet")]
    if claims:
        lines[0] += " Switched off by machine (`make ablate`): " + ", ".join(f"{n} {what}" for n, what in counts if n)
        lines[0] += "."
    lines[0] += "\n"
    stats = part_stats(entries)
    for part, title in part_titles().items():
        s = stats[part]
        lines += [f"## {title}", "",
                  f"{s['chapters']} of {s['total']} papers reproduced in a chapter, {s['notes']} more covered by a "
                  "reading note.", ""]
        for md in [md for md in chapter_sources() if "P" + md.parent.name[:2] == part]:
            name = setup_name(md)
            doc, title = titles.get(name, (str(md.relative_to(ROOT).with_suffix("")), md.stem))
            lines += chapter_ledger(md, title, doc, [e for e in entries if e["chapter"] == name], records)
    orphans = sorted(ran - set(by_name))
    if orphans:
        lines += ["## Records without a chapter", "",
                  "Left in `_build/ledger/` by a chapter that was renamed or removed.", ""]
        for name in orphans:
            lines += chapter_ledger(None, name, None, [e for e in entries if e["chapter"] == name], records)
    return "\n".join(lines) + "\n"


def write_ledger() -> Path:
    out = ROOT / "_build" / "ledger" / "table.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_if_changed(out, ledger_table(load_ledger()))
    return out


def pytest_keyword(paths: list[str]) -> str:
    """A ``pytest -k`` expression selecting the structural tests of the chapters ``paths`` (and the global ones)."""
    stems = [Path(p).stem for p in paths]
    return " or ".join([*stems, "in_sync", "toc", "ruff", "offline"])


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"sync", "check", "pages", "new", "keyword"}:
        print(__doc__)
        return 2
    if argv[0] == "new":
        import argparse

        import scaffold

        parser = argparse.ArgumentParser(prog="book.py new", description="start the chapter for a catalog id")
        parser.add_argument("id", type=int)
        parser.add_argument("--slug", help="file name without .md (default: from the title)")
        args = parser.parse_args(argv[1:])
        paper = next((p for p in papers() if p["id"] == args.id), None)
        if paper is None:
            print(f"no paper with id {args.id} in data/papers.csv")
            return 2
        if args.id in chapters_by_paper():
            print(f"paper {args.id} already has a chapter: {chapters_by_paper()[args.id].relative_to(ROOT)}")
            return 2
        md = scaffold.new_chapter(ROOT, paper, args.slug)
        sync([md])
        print(f"wrote {md.relative_to(ROOT)} and its .ipynb, and listed it in _toc.yml.\n"
              f"Replace every {scaffold.MARK} (the tests fail while one is left), add the paper to references.bib,"
              f" then: make chapter CHAPTERS={md.relative_to(ROOT)}")
    elif argv[0] == "keyword":
        print(pytest_keyword(argv[1:]))
    elif argv[0] == "sync":
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
