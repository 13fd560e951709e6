"""Imports of taxonomies, company profiles and market items (offers / demands) from files.

Every importer validates the whole file first and writes nothing when it finds a problem
(``core.errors.ValidationProblems``, one line per problem with its row number); then it
upserts in bulk and returns an :class:`~core.imports.report.ImportReport`. Importers take a
``session`` and never commit: the caller owns the transaction.

The functions live in their modules (``core.imports.taxonomy.import_taxonomy``,
``core.imports.companies.import_companies``, ``core.imports.market.import_market``) so that
importing this package stays cheap.
"""

from core.imports.report import ImportReport

__all__ = ["ImportReport"]
