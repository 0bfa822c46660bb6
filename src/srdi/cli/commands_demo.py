"""``srdi demo``: deterministic demo data (registered by the demo module)."""
