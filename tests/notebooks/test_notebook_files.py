"""The committed build notebooks: generated, thin, outputs stripped, parameters as declared."""

from __future__ import annotations

import ast
import subprocess
import sys

import nbformat
import papermill
import pytest

from core.builds.params import NOTEBOOKS, STEP_PARAMETERS
from tests.conftest import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def test_notebooks_are_up_to_date_with_the_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "make_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("step", list(NOTEBOOKS))
def test_notebook_shape(step: str) -> None:
    path = NOTEBOOK_DIR / NOTEBOOKS[step]
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    # outputs stripped
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    # the first code cell is the parameters cell, literals only
    assert code[0].metadata.get("tags") == ["parameters"]
    for node in ast.parse(code[0].source).body:
        assert isinstance(node, ast.Assign)
        ast.literal_eval(node.value)
    # exactly one cell writes, inside one transaction
    builds = [cell for cell in code if "build" in cell.metadata.get("tags", [])]
    assert len(builds) == 1
    assert builds[0].source.startswith("with session_scope() as session:")
    assert builds[0].source.rstrip().endswith("result")  # publishes the counts
    # no logic: every other cell is a call or an expression, no def/class/loop
    for cell in code[1:]:
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While)
    assert notebook.metadata.kernelspec.name == "marketlounge"


@pytest.mark.parametrize("step", list(NOTEBOOKS))
def test_papermill_sees_the_declared_parameters(step: str) -> None:
    found = papermill.inspect_notebook(str(NOTEBOOK_DIR / NOTEBOOKS[step]))
    declared = {"tenant_id": "tenant_demo"} | {p.name: p.default for p in STEP_PARAMETERS[step]}
    assert {name: ast.literal_eval(info["default"]) for name, info in found.items()} == declared
    assert all(info["help"] for info in found.values())
