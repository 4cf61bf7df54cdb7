"""The rules: one module per rule, grouped by family, listed in `registry`.

Rules read the model, the `analysis` helpers and the estimates; never parsers, the engine,
caches or reporters (docs/architecture.md).
"""
