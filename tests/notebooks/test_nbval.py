"""``pytest --nbval-lax notebooks/``: every build notebook runs on the sample, in order.

Run as a subprocess because nbval is a collection mode of its own; ``notebooks/conftest.py``
gives it a throwaway database (never the developer's) and kernels of this interpreter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from core.builds.params import NOTEBOOKS
from tests.conftest import REPO_ROOT


@pytest.mark.slow
def test_nbval_lax_runs_every_notebook_on_the_sample() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "notebooks/", "-p", "no:cacheprovider",
         "-q", "-o", "addopts=", "-W", "ignore::DeprecationWarning"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False, timeout=1500,
    )  # fmt: skip
    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed, tail
    assert "failed" not in result.stdout.splitlines()[-1]
    code_cells = sum(
        (REPO_ROOT / "notebooks" / name).read_text(encoding="utf-8").count('"cell_type": "code"')
        for name in NOTEBOOKS.values()
    )
    assert int(passed.group(1)) == code_cells  # every code cell of the five notebooks ran
