"""Write the next migration from the difference between the models and the newest revision: `make migration MSG=…`."""
import re
import sys
import tempfile

from alembic import command

from store.db import MIGRATIONS_DIR, alembic_config, make_engine


def main(message: str) -> None:
    numbers = [int(m.group(1)) for p in (MIGRATIONS_DIR / "versions").glob("*.py")
               if (m := re.match(r"(\d{4})_", p.name))]
    rev_id = f"{max(numbers, default=0) + 1:04d}_{re.sub(r'[^a-z0-9]+', '_', message.lower()).strip('_')}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/schema.db")
        command.upgrade(alembic_config(engine), "head")  # autogenerate compares the models with the newest schema
        command.revision(alembic_config(engine), message=message, autogenerate=True, rev_id=rev_id)
    produced = next((MIGRATIONS_DIR / "versions").glob(f"{rev_id}*.py"))
    target = produced.with_name(f"{rev_id}.py")  # the file is named as the revision, like the others
    produced.rename(target)
    print(f"wrote {target}: check it by hand before committing", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        sys.exit("usage: python -m store.migrations.new_revision 'what changes'")
    main(sys.argv[1])
