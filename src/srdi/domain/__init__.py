"""The pure-Python core of srdi: rules, money, identifiers, reference data.

Nothing here imports Django or touches a database (an import-linter contract enforces it), so every
module can be unit-tested in milliseconds and reused by the web, API, CLI and batch paths alike.
"""
