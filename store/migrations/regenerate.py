"""Regenerate the initial migration from the models (pre-release only: the schema has not shipped yet)."""
import sys
import tempfile
from pathlib import Path

from alembic import command

from store.db import MIGRATIONS_DIR, alembic_config, make_engine


def main() -> None:
    for old in (MIGRATIONS_DIR / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/empty.db")
        command.revision(alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001")
    produced = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    print(f"wrote {produced}", file=sys.stderr)


if __name__ == "__main__":
    main()
