"""Write the build notebooks (notebooks/0N-*.ipynb) from one template, outputs stripped.

The notebooks are generated, not hand-edited, so they stay thin and consistent: a title,
the ``parameters`` cell (literals only, from ``core.builds.params.STEP_PARAMETERS``), a setup
cell, ONE build cell (the step function inside one ``session_scope`` transaction, ending
with ``result`` so the counts are published for the run history), a summary cell, then
tables and a plot read from the result. Run after changing a step's parameters:

    .venv/bin/python scripts/make_notebooks.py          # write
    .venv/bin/python scripts/make_notebooks.py --check  # exit 1 if a notebook is outdated
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.builds.kernel import KERNEL_DISPLAY_NAME, KERNEL_NAME  # noqa: E402
from core.builds.params import NOTEBOOKS, STEP_PARAMETERS  # noqa: E402

TENANT_HELP = "tenant_<letters, digits, _>; tenant_demo is created on first use"


@dataclass(frozen=True)
class Page:
    """What differs between notebooks."""

    title: str
    intro: str
    function: str
    imports: tuple[str, ...]
    call_args: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]  # (markdown heading + text, code)


PAGES: dict[str, Page] = {
    "glossary": Page(
        title="01 · Build the glossary / Construire le glossaire",
        intro=(
            "Imports or refreshes a taxonomy file (CPV, NAF or your own) into the tenant's "
            "glossary, then checks the tree: cycles, orphans, duplicate codes, missing French or "
            "English labels, label clashes.\n\n"
            "*Importe ou met à jour une nomenclature dans le glossaire, puis contrôle l'arbre.*"
        ),
        function="build_glossary",
        imports=("glossary_tree_figure",),
        call_args=("taxonomy_path", "taxonomy", "dry_run"),
        sections=(
            ("## Quality report / Rapport qualité", "result.quality_summary"),
            ("Problems found (first 50) / Problèmes trouvés", "result.quality.head(50)"),
            ("## Nodes per level / Nœuds par niveau", "result.levels"),
            (
                "## The tree / L'arbre (three levels)",
                "glossary_tree_figure(result.nodes, max_level=3)",
            ),
        ),
    ),
    "dico": Page(
        title="02 · Build the dictionary / Construire le dictionnaire",
        intro=(
            "One concept per glossary node. Drafts are proposed or refreshed; validated, rejected "
            "and merged concepts are curators' decisions and are never rewritten (a changed "
            "source node marks them stale). Labelled texts become examples, their recurring "
            "wordings become synonym proposals, near-duplicates become merge proposals.\n\n"
            "*Un concept par nœud ; seuls les brouillons sont mis à jour, les décisions des "
            "curateurs sont conservées.*"
        ),
        function="build_dico",
        imports=("status_figure",),
        call_args=(
            "taxonomy",
            "auto_validate",
            "duplicate_threshold",
            "use_llm",
            "use_demands",
            "holdout",
            "examples_path",
            "dry_run",
        ),
        sections=(
            (
                "## Concepts per status / Concepts par statut",
                "status_figure(result.status_counts)",
            ),
            (
                "## New merge proposals / Nouvelles propositions de fusion",
                "result.merge_proposals.head(20)",
            ),
            (
                "## Wordings from examples / Formulations tirées des exemples",
                "result.proposed_synonyms.head(20)",
            ),
            ("## LLM enrichment / Enrichissement LLM", "result.llm"),
            ("## Seconds per phase / Secondes par phase", "result.timings_s"),
        ),
    ),
    "activations": Page(
        title="03 · Build the activations / Construire les activations",
        intro=(
            "Company profiles × validated concepts → activations with evidence: contracts won, "
            "declared products, description similarity, NAF compatibility. Activations claimed "
            "by a company are kept as they are.\n\n"
            "*Profils d'entreprises × concepts validés → activations, avec leurs preuves.*"
        ),
        function="build_activations",
        imports=("score_histogram",),
        call_args=("threshold", "dry_run"),
        sections=(
            ("## Best activations / Meilleures activations", "result.top.head(20)"),
            (
                "## Score distribution / Distribution des scores",
                "score_histogram(result.scores, result.threshold)",
            ),
        ),
    ),
    "index": Page(
        title="04 · Build the index / Construire l'index",
        intro=(
            "The tenant's FAISS index of validated concepts, from the embeddings in "
            "PostgreSQL/pgvector, written atomically with its manifest; recall@k against exact "
            "search shows what the approximate index loses (1.0 for a flat index).\n\n"
            "*L'index FAISS du tenant et son rappel face à la recherche exacte.*"
        ),
        function="build_index_step",
        imports=(),
        call_args=("recall_k", "force"),
        sections=(("## Manifest / Manifeste", "result.manifest"),),
    ),
    "evaluate": Page(
        title="05 · Evaluate the matcher / Évaluer l'appariement",
        intro=(
            "Runs the evaluation harness on a labelled file (text → expected code): metrics per "
            "method (lexical, vector, weighted, RRF), exact and loose credit (parent or child "
            "code), recall@k curves and the worst queries with their explanations.\n\n"
            "*Métriques par méthode, courbes de rappel et pires requêtes expliquées.*"
        ),
        function="run_evaluation",
        imports=("recall_curve_figure",),
        call_args=("eval_path", "limit", "exclude_examples", "worst"),
        sections=(
            ("## Metrics / Métriques", "result.metrics"),
            ("## Recall@k / Rappel@k", "recall_curve_figure(result.curve)"),
            ("## Worst queries / Pires requêtes", "result.worst"),
        ),
    ),
}


def _literal(value: object) -> str:
    """Python source of a literal, strings in double quotes (the project's style).

    >>> _literal("a"), _literal(None), _literal(0.92)
    ('"a"', 'None', '0.92')
    """
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def parameters_source(step: str) -> str:
    """The ``parameters`` cell: one literal per line with its help as a comment."""
    lines = [f"tenant_id = {_literal('tenant_demo')}  # {TENANT_HELP}"]
    for param in STEP_PARAMETERS[step]:
        if "=" in param.help:  # papermill reads "name = value  # help" lines
            raise SystemExit(f"{step}.{param.name}: no '=' in a parameter's help")
        lines.append(f"{param.name} = {_literal(param.default)}  # {param.help}")
    return "\n".join(lines)


def build_notebook(step: str) -> nbformat.NotebookNode:
    """The notebook of one step."""
    page = PAGES[step]
    names = {p.name for p in STEP_PARAMETERS[step]}
    if set(page.call_args) != names - {"embedding_model"}:  # prepare_notebook takes it
        raise SystemExit(f"{step}: call arguments {page.call_args} differ from {sorted(names)}")
    imports = ", ".join(sorted({page.function, "prepare_notebook", *page.imports}))
    setup_call = (
        "prepare_notebook(tenant_id, embedding_model=embedding_model)"
        if "embedding_model" in names
        else "prepare_notebook(tenant_id)"
    )
    arguments = "".join(f"\n        {name}={name}," for name in page.call_args)
    build = (
        "with session_scope() as session:  # one transaction: a failure writes nothing\n"
        f"    result = {page.function}(\n        session,\n        tenant_id,{arguments}\n    )\n"
        "result"
    )
    cells = [
        new_markdown_cell(f"# {page.title}\n\n{page.intro}"),
        new_code_cell(parameters_source(step), metadata={"tags": ["parameters"]}),
        new_code_cell(
            f"from core.builds import {imports}\n"
            f"from core.db import session_scope\n\n{setup_call}",
            metadata={"tags": ["setup"]},
        ),
        new_markdown_cell(
            "## Build / Construction\n\nEverything below reads `result`; only this cell writes."
        ),
        new_code_cell(build, metadata={"tags": ["build"]}),
        new_markdown_cell("## Summary / Résumé"),
        new_code_cell("result.summary()", metadata={"tags": ["summary"]}),
    ]
    for heading, code in page.sections:
        cells.append(new_markdown_cell(heading))
        cells.append(new_code_cell(code))
    for number, cell in enumerate(cells):
        cell["id"] = f"{step}-{number:02d}"
    notebook = new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"name": KERNEL_NAME, "display_name": KERNEL_DISPLAY_NAME,
                       "language": "python"},
        "language_info": {"name": "python"},
    }  # fmt: skip
    nbformat.validate(notebook)
    return notebook


def main() -> int:
    """Write (or ``--check``) every notebook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check they are up to date")
    args = parser.parse_args()
    outdated = []
    for step, filename in NOTEBOOKS.items():
        path = ROOT / "notebooks" / filename
        text = nbformat.writes(build_notebook(step)) + "\n"
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                outdated.append(filename)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if outdated:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
