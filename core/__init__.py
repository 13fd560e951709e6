"""MarketLounge Workbench core: models, storage, imports, matching, builds, market, LLM."""

__version__ = "0.1.0"
