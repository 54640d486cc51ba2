"""Put the front-end assets the site serves itself into _build/site-assets/vendor (no CDN at view time).

    python tools/vendor.py

Installs the pinned npm packages of package.json / package-lock.json with `npm ci` when node_modules is missing or
stale, then copies what the pages load: MathJax 3 (CommonHTML output, its fonts and TeX extensions), require.js and
the ipywidgets HTML manager. Nothing here is committed; _config.yml points Sphinx at the copies.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules"
OUT = ROOT / "_build" / "site-assets" / "vendor"

COPIES = {
    "mathjax/es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
    "mathjax/es5/input": "mathjax/input",
    "mathjax/es5/output/chtml": "mathjax/output/chtml",
    "mathjax/es5/output/chtml.js": "mathjax/output/chtml.js",
    "mathjax/es5/a11y": "mathjax/a11y",
    "mathjax/es5/ui": "mathjax/ui",
    "mathjax/es5/adaptors": "mathjax/adaptors",
    "requirejs/require.js": "require.js",
    "@jupyter-widgets/html-manager/dist": "widgets",
}


def npm_install() -> None:
    marker = NODE / ".package-lock.json"
    lock = ROOT / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], cwd=ROOT,
                   check=True)


def copy_assets() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    for src, dst in COPIES.items():
        source, target = NODE / src, OUT / dst
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing: is package.json's version still the one pinned?")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.map", "*.txt"))
        else:
            shutil.copy2(source, target)


def main() -> int:
    npm_install()
    copy_assets()
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file()) / 1e6
    print(f"site assets ready in {OUT.relative_to(ROOT)} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
