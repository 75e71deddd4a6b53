"""`saigawatch doctor`'s checks: files and folders SaigaWatch writes that others could read, and owed work."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from config import Settings
from store import Store
from store.models import WorkOwed
from store.private import LoosePath, loose_paths

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass
class DoctorReport:
    checked: list[Path] = field(default_factory=list)
    loose: list[LoosePath] = field(default_factory=list)
    owed: dict[str, int] = field(default_factory=dict)  # kind of owed work → listings

    @property
    def ok(self) -> bool:
        return not self.loose


def private_roots(settings: Settings, database_url: str) -> list[Path]:
    """Every path SaigaWatch writes: data_dir (database, WAL, captures, photos, evidence, backups, the session
    secret), the SQLite files wherever they are, logs, the run lock, exports, models, backups and the signing key."""
    roots = [settings.storage.data_path]
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(url.database).expanduser()
        roots += [db, *(db.with_name(db.name + s) for s in SQLITE_SIDE_FILES)]
    log_file = Path(settings.schedule.log_file).expanduser()
    roots += [log_file.parent, Path(settings.schedule.lock_file).expanduser(),
              Path(settings.evidence.export_dir).expanduser(), Path(settings.classifier.model_dir).expanduser()]
    key = Path(settings.evidence.signing_key_path).expanduser()
    roots += [key.parent, key]
    for extra in (settings.schedule.backup_dir, settings.schedule.env_file):
        if extra:
            roots.append(Path(extra).expanduser())
    seen: dict[Path, None] = {}
    for root in roots:
        seen.setdefault(root.absolute(), None)
    return list(seen)


def examine(settings: Settings, store: Store | None) -> DoctorReport:
    report = DoctorReport()
    report.checked = [p for p in private_roots(settings, store.url if store else settings.storage.database_url())
                      if p.exists()]
    report.loose = loose_paths(report.checked)
    if store is not None:
        with store.session() as session:
            rows = session.execute(select(WorkOwed.kind, func.count(func.distinct(WorkOwed.listing_id)))
                                   .group_by(WorkOwed.kind)).all()
        report.owed = {kind: n for kind, n in rows}
    return report
