"""Shared fixtures. Tests run from the repository root; the book's tools live in tools/."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
