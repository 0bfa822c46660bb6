"""Persistence: Django models, constraints and queries. No business rules live here."""
