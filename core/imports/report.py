"""What an import did: counts, warnings and time, in one small value the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    """Counts of one import run.

    ``created + updated + unchanged + skipped`` is the number of items the file described;
    ``warnings`` hold the non-fatal problems (a supplier id that is not a SIRET, an unknown
    place) that real files have and that were skipped rather than refused.

    Attributes:
        kind: what was imported (``taxonomy:cpv``, ``companies``, ``demands`` …).
        created: new rows written.
        updated: existing rows whose content changed.
        unchanged: existing rows left untouched (same content).
        skipped: items not written, each with a warning.
        warnings: one human-readable line per non-fatal problem.
        duration_s: wall time of the import, validation included.
        details: further counts of the kind (e.g. companies created by a market import).
    """

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    details: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Items seen in the file.

        >>> ImportReport("companies", created=2, unchanged=3, skipped=1).total
        6
        """
        return self.created + self.updated + self.unchanged + self.skipped

    def summary(self) -> str:
        """One line for a terminal or a log.

        >>> ImportReport("taxonomy:cpv", created=776, duration_s=1.234).summary()
        'taxonomy:cpv: 776 created, 0 updated, 0 unchanged, 0 skipped in 1.2 s'
        >>> report = ImportReport("demands", created=1, warnings=["row 3: x"])
        >>> report.details["companies"] = 2
        >>> report.summary().endswith("in 0.0 s (companies: 2; 1 warning)")
        True
        """
        line = (
            f"{self.kind}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped in {self.duration_s:.1f} s"
        )
        extras = [f"{name}: {value}" for name, value in self.details.items()]
        if self.warnings:
            count = len(self.warnings)
            extras.append(f"{count} warning{'s' if count > 1 else ''}")
        return f"{line} ({'; '.join(extras)})" if extras else line

    def as_dict(self) -> dict[str, object]:
        """Plain values for JSON (build reports, API answers)."""
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "warnings": list(self.warnings),
            "duration_s": round(self.duration_s, 3),
            "details": dict(self.details),
        }
