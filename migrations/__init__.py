"""Alembic migrations of the Espresso database (run with `espresso db upgrade`)."""
