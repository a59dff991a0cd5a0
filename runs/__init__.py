"""Run histories: the SQLAlchemy schema, the store, and writing runs as they go."""
