"""Deterministic demo data: a synthetic quality-SME database for Hangzhou, as ``srdi.domain.tables.Tables``.

Use ``srdi.demo.generator.generate(n, seed)`` to build the tables (pure Python + NumPy + Polars, no Django)
and ``srdi.demo.generator.to_profiles`` to turn them into exchange-format profiles. ``srdi.services.demo``
loads the tables into the database; ``srdi demo`` is the command that does both.

Modules: ``vocab`` (word lists, industries, district weights, batch dates), ``rng`` (block-seeded random
streams and date helpers), ``enterprises`` (enterprise columns and yearly figures), ``facts``
(certifications, titles, awards, contests, equity), ``events`` (policy events), ``names`` (company names and
USCCs), ``sizes`` (the 300号 size cascade on whole columns) and ``profiles`` (tables → exchange format).
"""
