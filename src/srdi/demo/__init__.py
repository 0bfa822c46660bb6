"""Deterministic demo data: a synthetic quality-SME database for Hangzhou, as ``srdi.domain.tables.Tables``.

Use ``srdi.demo.generator.generate(n, seed, as_of_year)`` to build the tables (pure Python + NumPy + Polars, no
Django) and ``srdi.demo.generator.to_profiles`` to turn them into exchange-format profiles. ``srdi.services.demo``
loads the tables into the database; ``srdi demo`` is the command that does both (for the current year).

Modules: ``vocab`` (word lists, industries, district weights, batch dates), ``rng`` (block-seeded random
streams and date helpers), ``enterprises`` (enterprise columns, v1 and 1.1), ``years`` (four years of figures),
``facts`` (certifications incl. 科技型中小企业, titles, awards, contests, equity), ``ip_items`` (the IP
inventory), ``platform`` (platform scores, annual data updates, sanctions), ``events`` (policy events),
``names`` (company names and USCCs), ``sizes`` (the 300号 size cascade on whole columns) and ``profiles``
(tables → exchange format).
"""
