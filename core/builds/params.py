"""The parameters of every build step: names, defaults, checks, and ``key=value`` parsing.

This table is the single source of truth: ``scripts/make_notebooks.py`` writes each notebook's
``parameters`` cell from it, and the runner checks what a user passes against it *before*
starting papermill, so a typo fails in a second with one clear line instead of in a kernel.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.config import PROJECT_ROOT
from core.errors import NotFoundError, UserError

STEPS: tuple[str, ...] = ("glossary", "dico", "activations", "index", "evaluate")
"""Build steps in pipeline order (``all`` runs them in this order)."""

NOTEBOOKS: dict[str, str] = {
    "glossary": "01-build-glossary.ipynb",
    "dico": "02-build-dico.ipynb",
    "activations": "03-build-activations.ipynb",
    "index": "04-build-index.ipynb",
    "evaluate": "05-evaluate.ipynb",
}

OFFICIAL_TAXONOMIES = frozenset({"cpv", "naf"})
"""Trusted nomenclatures whose concepts ``auto_validate=None`` validates on creation."""

Kind = Literal[
    "str", "optional_str", "path", "optional_path", "bool", "optional_bool", "ratio", "int",
    "optional_int",
]  # fmt: skip


@dataclass(frozen=True)
class Param:
    """One notebook parameter.

    Attributes:
        name: the variable name in the notebook's ``parameters`` cell.
        default: a literal (what the committed notebook and nbval use).
        kind: how a value is checked (paths must exist, ratios lie in [0, 1] …).
        help: one line, written as a comment beside the literal.
    """

    name: str
    default: Any
    kind: Kind
    help: str

    def check(self, value: Any) -> Any:
        """Return ``value`` in canonical form (paths absolute) or raise ``UserError``.

        >>> Param("threshold", 0.35, "ratio", "").check(1)
        1.0
        >>> Param("threshold", 0.35, "ratio", "").check("x")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        core.errors.UserError: parameter threshold: expected a number between 0 and 1, got 'x'
        """
        if value is None and self.kind.startswith("optional_"):
            return None
        kind = self.kind.removeprefix("optional_")
        if kind in ("str", "path") and isinstance(value, str) and value.strip():
            return str(resolve_path(value)) if kind == "path" else value
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if (
            kind == "ratio"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and 0 <= value <= 1
        ):
            return float(value)
        expected = {
            "str": "a non-empty text",
            "path": "a file path",
            "bool": "true or false",
            "int": "a positive whole number",
            "ratio": "a number between 0 and 1",
        }[kind]
        if self.kind.startswith("optional_"):
            expected += " or null"
        raise UserError(f"parameter {self.name}: expected {expected}, got {value!r}")


_DRY_RUN = Param("dry_run", False, "bool", "compute and report everything, write nothing")
_MODEL = Param(
    "embedding_model", None, "optional_str", "None: EMBEDDING_MODEL setting (default MiniLM)"
)

STEP_PARAMETERS: dict[str, tuple[Param, ...]] = {
    "glossary": (
        Param("taxonomy_path", "data/sample/cpv_sample.csv", "path", "CSV/XLSX taxonomy file"),
        Param(
            "taxonomy", None, "optional_str", "None: detected from the codes (cpv, naf, custom)"
        ),
        _DRY_RUN,
    ),
    "dico": (
        Param("taxonomy", None, "optional_str", "None: every taxonomy of the tenant"),
        Param("auto_validate", None, "optional_bool", "None: True for CPV and NAF only"),
        Param("duplicate_threshold", 0.92, "ratio", "cosine above which a merge is proposed"),
        Param("use_llm", True, "bool", "LLM synonyms/definitions when MISTRAL_API_KEY is set"),
        Param("use_demands", True, "bool", "attach the tenant's coded demands as examples"),
        Param("holdout", 0.2, "ratio", "share of demands kept out of examples, for evaluate"),
        Param("examples_path", None, "optional_path", "labelled CSV (text, expected_code)"),
        _MODEL,
        _DRY_RUN,
    ),
    "activations": (
        Param("threshold", 0.35, "ratio", "minimum score of a stored activation"),
        _MODEL,
        _DRY_RUN,
    ),
    "index": (
        Param("recall_k", 10, "int", "k of the recall@k check against exact search"),
        Param("force", False, "bool", "rebuild even if the concepts did not change"),
        _MODEL,
    ),
    "evaluate": (
        Param("eval_path", "data/sample/eval_sample.csv", "path", "CSV: text, expected_code"),
        Param("limit", None, "optional_int", "None: every row of the file"),
        Param("exclude_examples", True, "bool", "skip texts that are concept examples"),
        Param("worst", 10, "int", "how many worst queries to show"),
        _MODEL,
    ),
}


def resolve_path(value: str | Path) -> Path:
    """An existing file, relative paths tried from the working dir then the project root.

    Raises:
        NotFoundError: neither location has the file.
    """
    path = Path(value).expanduser()
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, PROJECT_ROOT / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise NotFoundError(f"file not found: {value} (looked in {', '.join(map(str, candidates))})")


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``key=value``; the value is a JSON literal when it parses, else a string.

    ``True``/``False``/``None`` (Python spelling) are accepted too.

    >>> parse_assignment("threshold=0.4")
    ('threshold', 0.4)
    >>> parse_assignment("auto_validate=true")
    ('auto_validate', True)
    >>> parse_assignment("limit=None")
    ('limit', None)
    >>> parse_assignment("taxonomy_path=../shared/data/cpv_2008.csv")
    ('taxonomy_path', '../shared/data/cpv_2008.csv')
    >>> parse_assignment("oops")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.UserError: bad parameter 'oops': write key=value, e.g. -p threshold=0.4
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise UserError(f"bad parameter {text!r}: write key=value, e.g. -p threshold=0.4")
    python_literals = {"True": True, "False": False, "None": None}
    if raw.strip() in python_literals:
        return key, python_literals[raw.strip()]
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def steps_for(step: str) -> list[str]:
    """The steps a ``marketlounge build STEP`` runs.

    >>> steps_for("all")
    ['glossary', 'dico', 'activations', 'index', 'evaluate']
    >>> steps_for("dico")
    ['dico']
    >>> steps_for("glosary")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.NotFoundError: unknown build step 'glosary': choose one of glossary, dico, ...
    """
    if step == "all":
        return list(STEPS)
    if step not in STEPS:
        raise NotFoundError(
            f"unknown build step {step!r}: choose one of {', '.join(STEPS)} or all"
        )
    return [step]


def defaults(step: str) -> dict[str, Any]:
    """Default parameter values of one step (without ``tenant_id``).

    >>> defaults("activations")
    {'threshold': 0.35, 'embedding_model': None, 'dry_run': False}
    """
    return {param.name: param.default for param in STEP_PARAMETERS[step]}


def check_parameters(steps: list[str], given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Check ``given`` against the steps to run; return each step's full parameter dict.

    A name must belong to at least one of the steps (``dry_run`` goes to every step that has
    it); values are checked and canonicalised (paths made absolute).

    >>> check_parameters(["activations"], {"threshold": 0.5})["activations"]["threshold"]
    0.5
    >>> check_parameters(["index"], {"threshold": 0.5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    core.errors.UserError: unknown parameter 'threshold' for index: known are embedding_model, ...
    """
    known = {param.name: param for step in steps for param in STEP_PARAMETERS[step]}
    for name in given:
        if name == "tenant_id":
            raise UserError("give the tenant with --tenant, not as a parameter")
        if name not in known:
            raise UserError(
                f"unknown parameter {name!r} for {'/'.join(steps)}: known are "
                f"{', '.join(sorted(known))}"
            )
    checked = {name: known[name].check(value) for name, value in given.items()}
    result: dict[str, dict[str, Any]] = {}
    for step in steps:
        values = defaults(step)
        values.update({k: v for k, v in checked.items() if k in values})
        for param in STEP_PARAMETERS[step]:
            if param.kind in ("path", "optional_path") and values[param.name] is not None:
                values[param.name] = param.check(values[param.name])
        result[step] = values
    return result
