"""`python tools/book.py new ID [--slug SLUG]`: start the chapter for catalog id ID, in the book's standard form.

Writes chapters/<NN-part>/<slug>.md with the front matter, the "At a glance" header, the twelve sections in order,
the bootstrap cell, the `utils.setup` cell, a claim check, a control, an explore call and three exercises with
solutions; adds the chapter to _toc.yml under its part (the part's index lists it by itself: its table of papers is
generated from the chapters' front matter); writes the paired .ipynb. Everything left for the author is marked
`TODO(author)`, and tests/test_book.py fails on any chapter that still contains that marker, so a skeleton can never
pass as a chapter.
"""

from __future__ import annotations

import re
from pathlib import Path

MARK = "TODO(author)"
STOP = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "via", "by", "is", "are", "from", "at",
        "its", "how", "what", "when", "do", "does", "towards", "toward", "using", "into", "we", "our"}

TEMPLATE = '''---
jupytext:
  text_representation: {{extension: .md, format_name: myst, format_version: 0.13}}
kernelspec: {{display_name: Python 3, language: python, name: python3}}
paper: {{id: {id}, title: "{title_yaml}", tier: {tier}}}
---

# {title}

:::{{admonition}} At a glance
:class: tip
**Paper** · {mark} authors ({year}). [*{title}*]({mark}: link) {{cite}}`{mark}`<br>
**Claim under test** · {mark}: the paper's claim in one sentence, as the asserted checks establish it.<br>
**Tier** {tier} · **Runtime** ≈ {mark} s at the default scale on a 2-core CPU
:::

## The idea

{mark}: the idea in your own words, with the key equation in the paper's notation.

## What the paper reports

{mark}: the claim(s) tested here, with the paper's own numbers.

## Setup

```{{code-cell}} ipython3
:tags: [remove-cell]
# Colab bootstrap
```

```{{code-cell}} ipython3
import matplotlib.pyplot as plt

import utils

run = utils.setup("{slug}", ci=dict(steps=200), full=dict(steps=2000),
                  ablations={{"{mark}": "what the switch-off replaces the paper's idea with"}})
```

## Data

{mark}: generated offline; show a few examples.

```{{code-cell}} ipython3
raise NotImplementedError("{mark}: make the data")
```

## The method

{mark}: the paper's mechanism, in its notation, with shape comments; the baseline, same budget.

## Experiment

{mark}: training with a progress bar (`utils.progress`), a results table, a figure that mirrors the paper's.

## Explore

{mark}: a slider over precomputed results.

```{{code-cell}} ipython3
def draw(value):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.set_title("{mark}")
    return fig


utils.explore(draw, [1, 2, 3], label="{mark}")
```

## Check the claim

{mark}: thresholds fixed in advance from the paper, the catalog or the task's arithmetic; what `REPRO_ABLATE`
switches off.

```{{code-cell}} ipython3
utils.check_claim("{mark}", float("nan"), ">", 0.0, paper="{mark}")
utils.check_fails("{mark} (control)", float("nan"), ">", 0.0)
```

## What changes at small scale

{mark}: what differs from the paper, and what did not reproduce.

## Scale it up

{mark}: what `REPRO_SCALE=full` changes, and how long it takes.

## Exercises

```{{exercise}} {mark}: predict, then change a parameter
:label: {slug}-ex1
{mark}
```

```{{solution}} {slug}-ex1
:class: dropdown
{mark}
```

```{{exercise}} {mark}: a variation
:label: {slug}-ex2
{mark}
```

```{{solution}} {slug}-ex2
:class: dropdown
{mark}
```

```{{exercise}} {mark}: extend the method
:label: {slug}-ex3
{mark}
```

```{{solution}} {slug}-ex3
:class: dropdown
{mark}
```

## References

```{{bibliography}}
:filter: docname in docnames
```
'''


def slugify(title: str, words: int = 4) -> str:
    tokens = [t for t in re.findall(r"[a-z0-9]+", title.lower().split(":")[0]) if t not in STOP]
    return "-".join(tokens[:words]) or "chapter"


def part_folder(root: Path, part: str) -> Path:
    found = sorted((root / "chapters").glob(f"{part[1:]}-*"))
    if not found:
        raise SystemExit(f"no folder for part {part} under chapters/")
    return found[0]


def add_to_toc(toc: Path, index_doc: str, doc: str) -> None:
    """Insert ``doc`` as the last section of the entry ``index_doc`` in _toc.yml, keeping its comments."""
    lines = toc.read_text().splitlines()
    at = next((i for i, ln in enumerate(lines) if ln.strip() == f"- file: {index_doc}"), None)
    if at is None:
        raise SystemExit(f"_toc.yml has no entry '- file: {index_doc}'")
    indent = len(lines[at]) - len(lines[at].lstrip())
    end = at + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    while end > at + 1 and not lines[end - 1].strip():
        end -= 1
    block = lines[at + 1:end]
    if not any(ln.strip() == "sections:" for ln in block):
        lines.insert(end, " " * (indent + 2) + "sections:")
        end += 1
        item_indent = indent + 4
    else:
        items = [ln for ln in block if ln.strip().startswith("- file:")]
        item_indent = len(items[-1]) - len(items[-1].lstrip()) if items else indent + 4
    lines.insert(end, " " * item_indent + f"- file: {doc}")
    toc.write_text("\n".join(lines) + "\n")


def new_chapter(root: Path, paper: dict, slug: str | None = None) -> Path:
    """Create the skeleton for ``paper`` (a row of data/papers.csv); refuse to overwrite anything."""
    slug = slug or slugify(paper["title"])
    folder = part_folder(root, paper["part"])
    md = folder / f"{slug}.md"
    if md.exists():
        raise SystemExit(f"{md.relative_to(root)} exists already")
    title = paper["title"]
    md.write_text(TEMPLATE.format(id=paper["id"], title=title, title_yaml=title.replace('"', '\\"'),
                                  tier=paper["tier"], year=paper["year"], slug=slug, mark=MARK))
    add_to_toc(root / "_toc.yml", f"{folder.relative_to(root)}/index", str(md.relative_to(root).with_suffix("")))
    return md
