"""Sphinx extension: add measured facts to each chapter's "At a glance" box (and drop duplicated scripts).

The box in a chapter's source carries what does not change (paper, claim, tier, a typed runtime for Colab readers).
At build time this adds one line with what was *measured*: the runtime at the default scale (wall seconds of the
chapter's last execution, kernel start included, as recorded by tools/records.py) and how many of the chapter's
claim checks pass (from the reproduction ledger). A chapter page is re-read whenever those facts change, so that
the line stays current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import book  # noqa: E402


def _chapter_docnames(env) -> set[str]:
    return {str(md.relative_to(ROOT).with_suffix("")) for md in book.chapter_sources()}


def _all_facts(app) -> dict[str, dict]:
    """Docname -> measured facts of every chapter, read once per build (the ledger and the runtime records)."""
    if getattr(app, "_dlm_facts", None) is None:
        ledger, bench = book.load_ledger(), book.load_bench()
        app._dlm_facts = {str(md.relative_to(ROOT).with_suffix("")): book.chapter_facts(md, ledger, bench)
                          for md in book.chapter_sources()}
    return app._dlm_facts


def _reread_chapters_whose_facts_changed(app, env, added, changed, removed):
    """Chapters whose measured facts differ from those rendered last time are read (and so written) again."""
    current, shown = _all_facts(app), getattr(env, "dlm_facts", {})
    env.dlm_facts = current
    return sorted(d for d in _chapter_docnames(env) & set(env.found_docs) if current.get(d) != shown.get(d))


def _facts_line(app, docname: str) -> nodes.paragraph:
    facts = _all_facts(app)[docname]
    source = "wall time of its last execution, kernel start included"
    para = nodes.paragraph(classes=["dlm-measured"])
    para += nodes.strong(text="Measured")
    if facts["seconds"] is None:
        para += nodes.Text(" · runtime not measured (the chapter has not been executed) · claims passing ")
    else:
        para += nodes.Text(" · runtime ")
        para += nodes.strong(text=book._seconds_text(facts))
        para += nodes.Text(f" at the default scale on a 2-core CPU ({source}) · claims passing ")
    para += nodes.strong(text=book._claims_text(facts))
    para += nodes.Text(" (see the ")
    ref = nodes.reference(text="reproduction ledger", refuri=app.builder.get_relative_uri(docname, "ledger"))
    para += ref
    para += nodes.Text(")")
    return para


def _add_facts(app, doctree, docname):
    if docname not in _chapter_docnames(app.env) or app.builder.format != "html":
        return
    for admonition in doctree.findall(nodes.admonition):
        title = admonition.next_node(nodes.title)
        if title is not None and title.astext().strip() == "At a glance":
            admonition += _facts_line(app, docname)
            return


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """sphinx-thebe can register its inline config script twice, a console SyntaxError ('THEBE_JS_URL has already
    been declared') on every page: keep the first copy of each script."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", None) or None, getattr(script, "attributes", {}).get("body"))
        key = key if key != (None, None) else (str(script), None)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("env-get-outdated", _reread_chapters_whose_facts_changed)
    app.connect("doctree-resolved", _add_facts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
