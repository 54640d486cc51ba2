"""The site built once, strictly (warnings are errors), for the build and browser tests, executing no notebook.

The notebooks are executed once, by nbval, earlier in the same `make test` run (conftest.py keeps their outputs);
tools/sitebuild.py renders them into _build/html, the same site `make book` builds, so that `make book` after
`make test` has nothing left to execute or render.
"""

import pytest
import sitebuild


@pytest.fixture(scope="session")
def built_site():
    """Build the site once for the build and browser tests; returns its HTML folder, log and unexecuted chapters."""
    out = sitebuild.build(execute=False)
    assert out["returncode"] == 0, out["log"][-8000:]
    return {"html": out["html"], "log": out["log"], "missing": out["missing"]}
