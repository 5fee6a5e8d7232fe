"""Storage: models, engine and session setup, migrations."""
