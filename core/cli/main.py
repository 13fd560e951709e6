"""``marketlounge`` command line: one entry point, one module per feature area."""

from __future__ import annotations

import logging

import typer

from core.cli import (
    apikeys_cmd,
    builds_cmd,
    db_cmd,
    demo_cmd,
    imports_cmd,
    language_cmd,
    market_cmd,
    matching_cmd,
    serve_cmd,
    users_cmd,
)

app = typer.Typer(
    name="marketlounge",
    help=(
        "MarketLounge Workbench: glossary → semantic dictionary → company activations → "
        "explainable hybrid matching, for industrial B2B marketplaces.\n\n"
        "Start with `marketlounge demo` (what `make run` does), or `marketlounge init` then "
        "the import commands. Every command takes --help."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug information."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


for module in (
    db_cmd,
    demo_cmd,
    imports_cmd,
    matching_cmd,
    language_cmd,
    builds_cmd,
    serve_cmd,
    users_cmd,
    market_cmd,
    apikeys_cmd,
):
    module.register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
