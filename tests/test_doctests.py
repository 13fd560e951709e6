"""Runs the ``>>>`` examples of every module of ``core`` and ``api`` (STYLE: doctests on pure
functions). Done here rather than with ``--doctest-modules`` so that pytest never imports the
test suite's own ``conftest.py`` files as doctest modules (they share a basename)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import api
import core

SKIP = ("core.db.migrations",)  # Alembic's env.py runs migrations when imported


def _modules_with_examples() -> list[str]:
    """Modules that hold at least one ``>>>`` example (others would pass vacuously)."""
    names = [core.__name__, api.__name__]
    for package in (core, api):
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if not info.name.startswith(SKIP):
                names.append(info.name)
    finder = doctest.DocTestFinder()
    return sorted(
        name
        for name in names
        if any(test.examples for test in finder.find(importlib.import_module(name)))
    )


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_doctests(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {module_name}"
