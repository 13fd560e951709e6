"""Languages of labels: translation with provenance, per-language quality checks.

``translate_fields`` fills missing texts (never over a human edit); ``quality_report``
lists label problems per language as a DataFrame for the builds.
"""

from core.language.provenance import prov_entry, prov_key, set_text
from core.language.quality import COLUMNS as QUALITY_COLUMNS
from core.language.quality import quality_report, quality_summary
from core.language.translate import (
    TranslationReport,
    parse_langs,
    translatable_objects,
    translate_fields,
    translate_tenant,
)

__all__ = [
    "QUALITY_COLUMNS",
    "TranslationReport",
    "parse_langs",
    "prov_entry",
    "prov_key",
    "quality_report",
    "quality_summary",
    "set_text",
    "translatable_objects",
    "translate_fields",
    "translate_tenant",
]
