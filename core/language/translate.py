"""Fill missing labels, synonyms and definitions in other languages, with provenance.

A text in a target language is (re)translated only when it is missing, or when it was a
machine translation whose source text has changed since (the source's hash is kept in the
provenance). Imported and human texts are never replaced; a curator's edit is never
overwritten by a machine. Without an LLM key nothing is written: the work is reported as
pending.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session, defer

from core.config import get_settings
from core.errors import UserError
from core.language.provenance import FIELD_KEYS, machine_entry, prov_entry, prov_key, value_hash
from core.language.text import fold, squash
from core.llm import LLM, LlmError, LlmUnavailable, get_llm
from core.llm.types import NOT_CONFIGURED
from core.models import Concept, ConceptStatus, GlossaryNode
from core.tenancy import require_tenant, scoped

logger = logging.getLogger(__name__)

TRANSLATABLE: dict[type, tuple[str, ...]] = {
    GlossaryNode: ("labels", "descriptions"),
    Concept: ("labels", "synonyms", "definitions"),
}
"""Which fields of which model can be translated."""

What = Literal["glossary", "concepts", "all"]
_LANG_RE = re.compile(r"^[a-z]{2,3}$")


def parse_langs(value: str | Sequence[str] | None, *, default: Sequence[str]) -> list[str]:
    """Language codes from ``"en,de"`` or a list; checked to look like ISO 639 codes.

    >>> parse_langs("en, de", default=["fr"]), parse_langs(None, default=["fr", "en"])
    (['en', 'de'], ['fr', 'en'])
    >>> parse_langs("english", default=[])
    Traceback (most recent call last):
    ...
    core.errors.UserError: invalid language code 'english': use ISO 639-1 codes such as fr, en
    """
    if value is None:
        items = list(default)
    elif isinstance(value, str):
        items = [p.strip().lower() for p in value.split(",") if p.strip()]
    else:
        items = [str(p).strip().lower() for p in value]
    for lang in items:
        if not _LANG_RE.match(lang):
            raise UserError(f"invalid language code {lang!r}: use ISO 639-1 codes such as fr, en")
    return list(dict.fromkeys(items))


@dataclass
class _Task:
    """One text slot to fill: object × field × target language."""

    obj: Any
    field: str
    lang: str
    source_lang: str
    source: str | list[str]
    source_hash: str
    reason: Literal["missing", "stale"]

    @property
    def texts(self) -> list[str]:
        return list(self.source) if isinstance(self.source, list) else [self.source]


@dataclass
class TranslationReport:
    """What a translation run did, would do (dry run) or could not do (degraded mode).

    Counts are per text slot (one object × one field × one target language).
    """

    dry_run: bool
    llm_configured: bool
    model: str | None
    translated: int = 0
    would_translate: int = 0
    pending: int = 0
    failed: int = 0
    unchanged: int = 0
    kept_human: int = 0
    kept_existing: int = 0
    no_source: int = 0  # empty in every language: nothing to translate (not shown)
    message: str = ""
    errors: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def by_lang(self) -> dict[str, dict[str, int]]:
        """Change counts per target language and action."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for change in self.changes:
            out[change["lang"]][change["action"]] += 1
        return {lang: dict(v) for lang, v in sorted(out.items())}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (for build reports and the API)."""
        data = dataclasses.asdict(self)
        data["by_lang"] = self.by_lang()
        return data

    def summary_lines(self) -> list[str]:
        """A short human summary, French first (most users), English in brackets."""
        lines = []
        if self.dry_run:
            lines.append(
                f"simulation : {self.would_translate} texte(s) à traduire "
                f"[dry run: {self.would_translate} text(s) would be translated]"
            )
        else:
            lines.append(
                f"{self.translated} texte(s) traduit(s) [{self.translated} translated]"
                + (f" with {self.model}" if self.translated else "")
            )
        if self.pending:
            lines.append(
                f"{self.pending} en attente [{self.pending} pending]: {self.message or '—'}"
            )
        if self.failed:
            lines.append(f"{self.failed} en échec [{self.failed} failed]")
        lines.append(
            f"inchangés [unchanged]: {self.unchanged}; humains conservés [human kept]: "
            f"{self.kept_human}; existants conservés [existing kept]: {self.kept_existing}"
        )
        lines.extend(f"error: {e}" for e in self.errors[:5])
        return lines


def _pick_source(
    texts: dict[str, Any], provenance: dict[str, Any], field: str, target: str
) -> tuple[str, str | list[str]] | None:
    """The best source language for ``target``: active languages first, non-machine first."""
    order = [*get_settings().languages, *sorted(texts)]
    candidates = []
    for lang in dict.fromkeys(order):
        if lang == target:
            continue
        value = texts.get(lang)
        if isinstance(value, list):
            value = [squash(v) for v in value if isinstance(v, str) and v.strip()]
        elif isinstance(value, str):
            value = squash(value)
        if not value:
            continue
        machine = prov_entry(provenance, field, lang).get("source") == "machine"
        candidates.append((machine, lang, value))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])  # stable: keeps the language order among equals
    _machine, lang, value = candidates[0]
    return lang, value


def _plan(
    objects: Iterable[Any], fields: Sequence[str], langs: Sequence[str], report: TranslationReport
) -> list[_Task]:
    tasks: list[_Task] = []
    for obj in objects:
        allowed = TRANSLATABLE.get(type(obj))
        if allowed is None:
            raise UserError(
                f"cannot translate a {type(obj).__name__}: only glossary nodes and "
                "concepts have translatable texts"
            )
        provenance = obj.provenance or {}
        for name in fields:
            if name not in allowed:
                continue
            texts = getattr(obj, name) or {}
            for lang in langs:
                entry = prov_entry(provenance, name, lang)
                current = texts.get(lang)
                if entry.get("source") == "human":
                    report.kept_human += 1
                    continue
                if current and entry.get("source") != "machine":
                    report.kept_existing += 1  # imported, or written by someone else
                    continue
                picked = _pick_source(texts, provenance, name, lang)
                if picked is None:
                    if current:
                        report.unchanged += 1  # a machine text whose source is gone: kept
                    else:
                        report.no_source += 1
                    continue
                source_lang, source = picked
                digest = value_hash(source)
                if current and entry.get("hash") == digest:
                    report.unchanged += 1
                    continue
                reason: Literal["missing", "stale"] = "stale" if current else "missing"
                tasks.append(_Task(obj, name, lang, source_lang, source, digest, reason))
    return tasks


def _describe(task: _Task, action: str, after: Any = None) -> dict[str, Any]:
    obj = task.obj
    return {
        "kind": "concept" if isinstance(obj, Concept) else "glossary_node",
        "id": getattr(obj, "concept_id", None) or getattr(obj, "node_id", None),
        "code": obj.code,
        "field": task.field,
        "lang": task.lang,
        "source_lang": task.source_lang,
        "action": action,
        "reason": task.reason,
        "before": (getattr(obj, task.field) or {}).get(task.lang),
        "after": after,
    }


def _apply(task: _Task, translated: list[str], model: str) -> Any:
    obj = task.obj
    texts = dict(getattr(obj, task.field) or {})
    if isinstance(task.source, list):
        value: Any = []
        seen: set[str] = set()
        for text in translated:
            if text and fold(text) not in seen:
                seen.add(fold(text))
                value.append(text)
    else:
        value = translated[0]
    texts[task.lang] = value
    setattr(obj, task.field, texts)
    provenance = dict(obj.provenance or {})
    provenance.pop(f"{task.field}:{task.lang}", None)  # a plural spelling left by old rows
    provenance[prov_key(task.field, task.lang)] = machine_entry(
        model=model, source_hash=task.source_hash, source_lang=task.source_lang
    )
    obj.provenance = provenance
    return value


def _chunks(tasks: list[_Task], batch_size: int) -> Iterable[list[_Task]]:
    chunk: list[_Task] = []
    size = 0
    for task in tasks:
        n = len(task.texts)
        if chunk and size + n > batch_size:
            yield chunk
            chunk, size = [], 0
        chunk.append(task)
        size += n
    if chunk:
        yield chunk


def translate_fields(
    session: Session,
    objects: Sequence[Any],
    fields: Sequence[str],
    target_langs: Sequence[str],
    *,
    llm: LLM | None = None,
    dry_run: bool = False,
    progress: bool = False,
    batch_size: int = 40,
) -> TranslationReport:
    """Translate missing (or stale machine) texts of glossary nodes and concepts.

    Args:
        session: the session the objects belong to; flushed, never committed.
        objects: ``GlossaryNode`` and/or ``Concept`` rows.
        fields: among ``labels``, ``descriptions`` (nodes), ``synonyms``, ``definitions``
            (concepts); a field an object does not have is ignored for it.
        target_langs: languages to fill, e.g. ``["en"]``.
        llm: the facade (default: :func:`core.llm.get_llm`).
        dry_run: only count what would be translated; nothing is written, no LLM call.
        progress: show a progress bar over batches.
        batch_size: texts per LLM call (a call translates a whole batch at once).

    Returns:
        A :class:`TranslationReport`; ``pending`` counts the slots left untranslated because
        the LLM is not configured or became unavailable (the reason is in ``message``).
    """
    unknown = [f for f in fields if f not in FIELD_KEYS]
    if unknown:
        raise UserError(f"unknown field(s) {unknown}: choose among {sorted(FIELD_KEYS)}")
    if batch_size < 1:
        raise UserError("batch_size must be at least 1")
    langs = parse_langs(list(target_langs), default=[])
    llm = llm or get_llm()
    report = TranslationReport(dry_run=dry_run, llm_configured=llm.configured, model=llm.model)
    tasks = _plan(objects, fields, langs, report)
    if dry_run:
        report.would_translate = len(tasks)
        report.changes = [_describe(t, "would_translate") for t in tasks]
        return report
    if not llm.configured:
        report.pending = len(tasks)
        report.message = f"{NOT_CONFIGURED} (set MISTRAL_API_KEY); nothing was written"
        report.changes = [_describe(t, "pending") for t in tasks]
        return report

    groups: dict[tuple[str, str], list[_Task]] = defaultdict(list)
    for task in tasks:
        groups[(task.source_lang, task.lang)].append(task)
    batches = [
        (pair, chunk)
        for pair, group in sorted(groups.items())
        for chunk in _chunks(group, batch_size)
    ]
    iterator: Iterable[tuple[tuple[str, str], list[_Task]]] = batches
    if progress:
        from tqdm import tqdm

        iterator = tqdm(batches, desc="translate", unit="batch")
    stopped = False
    for (source_lang, target_lang), chunk in iterator:
        if stopped:
            report.pending += len(chunk)
            report.changes.extend(_describe(t, "pending") for t in chunk)
            continue
        unique = list(dict.fromkeys(text for task in chunk for text in task.texts))
        tenant = getattr(chunk[0].obj, "tenant_id", None)
        try:
            out = llm.translate(unique, source=source_lang, target=target_lang, tenant_id=tenant)
        except LlmError as exc:
            report.errors.append(str(exc))
            if isinstance(exc, LlmUnavailable):
                stopped = True
                report.message = f"LLM unavailable, stopped: {exc}"
                report.pending += len(chunk)
                report.changes.extend(_describe(t, "pending") for t in chunk)
            else:
                report.failed += len(chunk)
                report.changes.extend(_describe(t, "failed") for t in chunk)
            continue
        mapping = dict(zip(unique, out, strict=True))
        for task in chunk:
            before = _describe(task, "translated")
            after = _apply(task, [mapping[t] for t in task.texts], llm.model)
            before["after"] = after
            report.changes.append(before)
            report.translated += 1
    session.flush()
    return report


def translatable_objects(session: Session, tenant_id: str, what: What = "all") -> list[Any]:
    """The rows ``marketlounge translate`` works on: active nodes and live concepts."""
    tenant = require_tenant(session, tenant_id)
    objects: list[Any] = []
    if what in ("glossary", "all"):
        objects.extend(
            session.scalars(
                scoped(GlossaryNode, tenant, GlossaryNode.status == "active").order_by(
                    GlossaryNode.path
                )
            )
        )
    if what in ("concepts", "all"):
        live = [ConceptStatus.DRAFT.value, ConceptStatus.VALIDATED.value]
        objects.extend(
            session.scalars(
                scoped(Concept, tenant, Concept.status.in_(live))
                .options(defer(Concept.embedding))
                .order_by(Concept.concept_id)
            )
        )
    return objects


def translate_tenant(
    session: Session,
    tenant_id: str,
    target_langs: Sequence[str],
    *,
    what: What = "all",
    llm: LLM | None = None,
    dry_run: bool = False,
    progress: bool = False,
    batch_size: int = 40,
) -> TranslationReport:
    """Translate every translatable text of a tenant (what the CLI command runs)."""
    if what not in ("glossary", "concepts", "all"):
        raise UserError(f"--what must be glossary, concepts or all (got {what!r})")
    objects = translatable_objects(session, tenant_id, what)
    fields = sorted({f for fs in TRANSLATABLE.values() for f in fs})
    return translate_fields(
        session,
        objects,
        fields,
        target_langs,
        llm=llm,
        dry_run=dry_run,
        progress=progress,
        batch_size=batch_size,
    )
