"""Market tension analytics: offers and demands on concepts, indicators, index, report.

Modules, one job each: ``regions`` and ``periods`` (labels), ``stats`` (intervals, HHI,
z-scores), ``facts`` (one tenant's market loaded into DataFrames), ``indicators`` (one function
per indicator), ``signals`` (query logs as demand signal), ``tension`` (composite index and its
decomposition), ``classification`` (offers and demands onto concepts), ``charts`` (plotly
figures) and ``report`` (standalone HTML). Nothing heavy is imported here.
"""
