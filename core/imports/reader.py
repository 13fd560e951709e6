"""Read a CSV or XLSX file into rows with their spreadsheet row numbers, strictly.

Strict on purpose: a file in the wrong encoding is refused (with the line and the encoding
to try) rather than imported with garbled labels, because labels are what users search.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.errors import NotFoundError, UserError, ValidationProblems

XLSX_SUFFIXES = (".xlsx", ".xlsm")
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Row:
    """One data row: ``number`` is its 1-based row in the file (the header is row 1)."""

    number: int
    values: dict[str, str]

    def get(self, column: str | None) -> str:
        """The stripped cell of ``column`` (``""`` when absent or empty)."""
        if column is None:
            return ""
        return self.values.get(column, "")


@dataclass
class Table:
    """A file's header (normalised to stripped lower case) and its non-empty rows."""

    source: str
    columns: list[str]
    rows: list[Row]

    def missing(self, needed: Iterable[str | None]) -> list[str]:
        """The needed columns the file does not have (``None`` entries are ignored)."""
        return [name for name in needed if name is not None and name not in self.columns]

    def require(self, needed: Iterable[str | None], *, hint: str = "") -> None:
        """Raise ``ValidationProblems`` naming the missing columns and the ones present."""
        absent = self.missing(needed)
        if absent:
            problem = (
                f"missing column(s) {', '.join(absent)}; the file has: "
                f"{', '.join(self.columns) or '(no header)'}"
            )
            raise ValidationProblems([problem + (f". {hint}" if hint else "")], source=self.source)


def normalise_column(name: object) -> str:
    """Header cells are matched without case or surrounding spaces (a BOM is dropped too).

    >>> normalise_column("  Label_FR ")
    'label_fr'
    >>> normalise_column("\\ufeffcode")
    'code'
    """
    return str(name or "").replace("\ufeff", "").strip().lower()


def _cell(value: object) -> str:
    """A spreadsheet cell as text: integral floats lose their ``.0``, dates become ISO.

    >>> _cell(42000000.0), _cell(None), _cell(" x "), _cell(date(2019, 3, 1))
    ('42000000', '', 'x', '2019-03-01')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _sniff_delimiter(first_line: str) -> str:
    """The most frequent candidate delimiter of the header line (``,`` by default).

    >>> _sniff_delimiter("code;libelle;parent"), _sniff_delimiter("code,label_fr")
    (';', ',')
    """
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _decode(data: bytes, encoding: str, source: str) -> str:
    """Decode strictly; on failure say on which line and which encoding to try."""
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except LookupError:
        raise UserError(f"unknown encoding {encoding!r}: use e.g. utf-8 or latin-1") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        suggestion = "latin-1" if codec.startswith("utf") else "utf-8"
        raise ValidationProblems(
            [
                f"row {line}: byte 0x{bad} is not valid {encoding}; the file is in another "
                f"encoding: retry with --encoding {suggestion} (encoding={suggestion!r})"
            ],
            source=source,
        ) from None


def _build(source: str, records: Iterable[tuple[int, list[str]]]) -> Table:
    """Header from the first non-empty record; later records become ``Row``s."""
    iterator = iter(records)
    header: list[str] | None = None
    for _, cells in iterator:
        if any(cell.strip() for cell in cells):
            header = [normalise_column(cell) for cell in cells]
            break
    if header is None:
        raise ValidationProblems(["the file is empty (no header row)"], source=source)
    while header and not header[-1]:
        header.pop()
    problems: list[str] = []
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(f"row 1: column {name!r} appears twice in the header")
        seen.add(name)
    rows: list[Row] = []
    for number, cells in iterator:
        values = [cell.strip() for cell in cells]
        if not any(values):
            continue
        extra = values[len(header) :]
        if any(extra):
            problems.append(
                f"row {number}: {len(values)} values but the header has {len(header)} columns "
                "(check the delimiter and the quotes)"
            )
            continue
        padded = values[: len(header)] + [""] * (len(header) - len(values))
        pairs = zip(header, padded, strict=True)
        rows.append(Row(number, {name: value for name, value in pairs if name}))
    if not rows and not problems:
        problems.append("no data row under the header: the file describes nothing")
    if problems:
        raise ValidationProblems(problems, source=source)
    return Table(source=source, columns=[name for name in header if name], rows=rows)


def read_csv_text(text: str, *, source: str = "input") -> Table:
    """Parse CSV text (delimiter guessed from the header: ``,`` ``;`` tab or ``|``).

    >>> table = read_csv_text("Code;Label_FR\\r\\n42;Machines\\r\\n\\r\\n50;Services\\r\\n")
    >>> table.columns, [(r.number, r.values["code"]) for r in table.rows]
    (['code', 'label_fr'], [(2, '42'), (4, '50')])
    """
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    try:
        return _build(source, enumerate(reader, start=1))
    except csv.Error as exc:
        raise ValidationProblems([f"unreadable CSV: {exc}"], source=source) from None


def _read_xlsx(path: Path, source: str) -> Table:
    """The first worksheet of a workbook, cells as text."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise UserError(f"{source}: not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        records = (
            (number, [_cell(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _build(source, records)
    finally:
        workbook.close()


def read_table(path: str | Path, *, encoding: str = "utf-8") -> Table:
    """Read a ``.csv`` (or any text) file or an ``.xlsx`` workbook.

    Args:
        path: the file.
        encoding: text encoding of a CSV, decoded strictly (``utf-8`` accepts a BOM).

    Raises:
        NotFoundError: the file does not exist.
        ValidationProblems: wrong encoding, duplicate header names, ragged rows.
    """
    file = Path(path)
    source = file.name
    if not file.is_file():
        raise NotFoundError(f"file not found: {file}")
    suffix = file.suffix.lower()
    if suffix == ".xls":
        raise UserError(f"{source}: old .xls workbooks are not read; save it as .xlsx or CSV")
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(file, source)
    return read_csv_text(_decode(file.read_bytes(), encoding, source), source=source)
