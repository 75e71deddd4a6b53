"""CLI subcommands; every module here exposes `register(app)` and is picked up automatically."""
