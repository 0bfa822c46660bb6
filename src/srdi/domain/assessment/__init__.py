"""Tier assessment built on the rules engine: the contract runner, gaps, and the six-dimension profile."""
