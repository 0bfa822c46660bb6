"""Double-entry ledger rules: balanced entries, hash chaining, and the invariants ``srdi ledger verify`` checks."""
