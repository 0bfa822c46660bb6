"""``srdi assess`` and ``srdi entitle``: the contract's batch commands (registered as they are built)."""
