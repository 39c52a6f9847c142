"""The lead store: SQLAlchemy models, engine set-up and repository functions."""
