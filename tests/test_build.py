"""The strict build of the site: no warnings, every chapter rendered with nbval's outputs, none executed twice."""

import book
import pytest

ROOT = book.ROOT


@pytest.mark.build
def test_strict_build_without_execution(built_site):
    assert built_site["missing"] == [], "run the notebooks first (nbval): these have no executed copy"
    assert "Executing notebook" not in built_site["log"], "the build executed a notebook a second time"
    html = built_site["html"]
    for md in book.chapter_sources():
        page = html / md.relative_to(ROOT).with_suffix(".html")
        assert page.exists(), f"{page} was not built"
    assert "claims pass" in (html / "ledger.html").read_text() or "No chapter" in (html / "ledger.html").read_text()
