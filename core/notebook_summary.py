"""Read the summary of an executed build notebook (under ``RUNS_DIR``) without a kernel.

Build notebooks tag their cells (``parameters``, ``setup``, ``build``, ``summary``); the
report is everything from the ``build`` cell on: section headings (markdown), the summary
tables (HTML) and the figures (plotly JSON), which the workbench shows for a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import get_settings
from core.errors import NotFoundError, UserError

SUMMARY_TAGS = ("build", "summary")
"""The report starts at the first cell with one of these tags (at the top when none has)."""

PLOTLY_MIME = "application/vnd.plotly.v1+json"
MAX_BLOCKS = 40


@dataclass(frozen=True)
class SummaryBlock:
    """One output worth showing: ``kind`` is text, markdown, html, plotly or error."""

    kind: str
    content: Any
    cell_index: int


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_blocks(output: dict[str, Any], cell_index: int) -> list[SummaryBlock]:
    """The showable parts of one notebook output, richest form first.

    >>> output_blocks({"output_type": "stream", "text": ["a\\n", "b"]}, 3)
    [SummaryBlock(kind='text', content='a\\nb', cell_index=3)]
    >>> output_blocks({"output_type": "error", "ename": "KeyError", "evalue": "x"}, 1)[0].content
    'KeyError: x'
    """
    kind = output.get("output_type")
    if kind == "stream":
        return [SummaryBlock("text", _text(output.get("text", "")), cell_index)]
    if kind == "error":
        return [
            SummaryBlock("error", f"{output.get('ename')}: {output.get('evalue')}", cell_index)
        ]
    data = output.get("data") or {}
    if PLOTLY_MIME in data:
        return [SummaryBlock("plotly", data[PLOTLY_MIME], cell_index)]
    if "text/html" in data:
        return [SummaryBlock("html", _text(data["text/html"]), cell_index)]
    if "text/markdown" in data:
        return [SummaryBlock("markdown", _text(data["text/markdown"]), cell_index)]
    if "text/plain" in data:
        return [SummaryBlock("text", _text(data["text/plain"]), cell_index)]
    return []


def notebook_summary(path: str | Path) -> list[SummaryBlock]:
    """The report part of an executed notebook: headings and outputs from its build cell on.

    Only files under ``RUNS_DIR`` are read, so a stored path cannot point the workbench at
    an arbitrary file.

    Raises:
        NotFoundError: the file is gone (runs/ is derived data and may be cleaned).
        UserError: the path lies outside RUNS_DIR or is not a notebook.
    """
    notebook = Path(path).resolve()
    runs_dir = get_settings().runs_dir.resolve()
    if not notebook.is_relative_to(runs_dir):
        raise UserError(f"{notebook} is not under RUNS_DIR ({runs_dir}): refusing to read it")
    if not notebook.is_file():
        raise NotFoundError(
            f"executed notebook {notebook} is gone (runs/ is derived data): run the build again"
        )
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except ValueError as exc:
        raise UserError(f"{notebook} is not a readable notebook: {exc}") from None
    start = next(
        (
            i
            for i, c in enumerate(cells)
            if set(c.get("metadata", {}).get("tags", [])) & set(SUMMARY_TAGS)
        ),
        0,
    )
    blocks: list[SummaryBlock] = []
    for index, cell in enumerate(cells[start:], start=start):
        if cell.get("cell_type") == "markdown":
            blocks.append(SummaryBlock("markdown", _text(cell.get("source", "")), index))
            continue
        for output in cell.get("outputs", []) or []:
            blocks.extend(output_blocks(output, index))
    return blocks[:MAX_BLOCKS]
