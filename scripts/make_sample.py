"""Cut the small real sample in data/sample/ from the full files in ../shared/data/.

Two industrial CPV divisions — 42 (industrial machinery) and 50 (repair and maintenance
services) — with the procurement contracts coded in them, their winning suppliers, the NAF
divisions that make and repair machinery (28, 33) and the labelled pairs for evaluation.
Every value is copied as it is; nothing is invented. Deterministic: run it again and git
shows no change.

Usage: .venv/bin/python scripts/make_sample.py [--source ../shared/data] [--out data/sample]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.siren import clean_identifier, is_valid_siren, siren_from_siret  # noqa: E402

CPV_DIVISIONS = ("42", "50")
NAF_DIVISIONS = ("28", "33")
COMPANY_COLUMNS = [
    "siren",
    "name",
    "naf_code",
    "description",
    "products",
    "departement",
    "region",
    "website",
    "source",
]


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a UTF-8 CSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """Write rows as the source files are written (minimal quoting, CRLF line ends)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    sys.stdout.write(f"{shown}: {len(rows)} rows\n")


def naf_with_ancestors(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """NAF rows of the chosen divisions, plus their section, in file order."""
    by_code = {row["code"]: row for row in rows}
    keep: set[str] = set()
    for row in rows:
        if row["code"][:2] in NAF_DIVISIONS and row["level"] != "1":
            code: str | None = row["code"]
            while code:
                keep.add(code)
                code = by_code[code]["parent_code"] or None
    return [row for row in rows if row["code"] in keep]


def suppliers(contracts: list[dict[str, str]]) -> list[dict[str, str]]:
    """Winning suppliers with a valid SIREN, first name seen, in order of appearance."""
    found: dict[str, dict[str, str]] = {}
    for contract in contracts:
        ids = contract["supplier_ids"].split("|")
        names = contract["supplier_names"].split("|")
        for position, raw in enumerate(ids):
            digits = clean_identifier(raw)
            siren = siren_from_siret(digits) if len(digits) == 14 else digits
            if not siren or not is_valid_siren(siren) or siren in found:
                continue
            name = names[position].strip() if position < len(names) else ""
            row = dict.fromkeys(COMPANY_COLUMNS, "")
            row.update(siren=siren, name=name or siren, source="decp")
            found[siren] = row
    return list(found.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "sample")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    header, cpv = read(args.source / "cpv_2008.csv")
    write(args.out / "cpv_sample.csv", header, [r for r in cpv if r["code"][:2] in CPV_DIVISIONS])

    header, contracts = read(args.source / "decp_contracts_dev.csv")
    chosen = [r for r in contracts if r["cpv_code"][:2] in CPV_DIVISIONS]
    write(args.out / "decp_sample.csv", header, chosen)
    write(args.out / "companies_sample.csv", COMPANY_COLUMNS, suppliers(chosen))

    header, naf = read(args.source / "naf_rev2.csv")
    write(args.out / "naf_sample.csv", header, naf_with_ancestors(naf))

    header, pairs = read(args.source / "decp_eval_dev.csv")
    kept = [r for r in pairs if r["expected_code"][:2] in CPV_DIVISIONS]
    write(args.out / "eval_sample.csv", header, kept)


if __name__ == "__main__":
    main()
