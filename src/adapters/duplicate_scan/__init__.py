"""The whole-book duplicate scan on an engine built for joins (DuckDB, Spark).

:func:`~adapters.duplicate_scan.scan.engine_scan` reads the persisted identity view,
lets the engine generate and screen the candidate pairs, and has the entry path's own
judge decide the pairs left (:mod:`crmcore.identity.duplicate_scan`).
"""
