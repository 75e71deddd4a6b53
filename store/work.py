"""Work owed after a crash (photos pending, not yet notified, capture incomplete): one home for its queries."""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import WorkOwed

PHOTOS = "photos"
NOTIFY = "notify"
CAPTURE = "capture"
KINDS = (PHOTOS, NOTIFY, CAPTURE)


def owe(session: Session, kind: str, listing_id: int, detail: str = "", owner: str | None = None) -> WorkOwed:
    """Record that `kind` work is owed for a listing (once: recording it again changes nothing)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of owed work {kind!r}")
    row = session.scalars(select(WorkOwed).where(WorkOwed.kind == kind, WorkOwed.listing_id == listing_id,
                                                 WorkOwed.detail == detail)).one_or_none()
    if row is None:
        row = WorkOwed(kind=kind, listing_id=listing_id, detail=detail, owner=owner)
        session.add(row)
        session.flush()
    return row


def settle(session: Session, kind: str, listing_ids: Iterable[int], detail: str | None = None) -> None:
    """The owed work is done for these listings (for one `detail` only when given)."""
    ids = list(listing_ids)
    for start in range(0, len(ids), 500):
        query = delete(WorkOwed).where(WorkOwed.kind == kind, WorkOwed.listing_id.in_(ids[start:start + 500]))
        if detail is not None:
            query = query.where(WorkOwed.detail == detail)
        session.execute(query)


def owed_listing_ids(session: Session, kind: str) -> list[int]:
    """Listings owed `kind` work, oldest debt first."""
    rows = session.scalars(select(WorkOwed.listing_id).where(WorkOwed.kind == kind).order_by(WorkOwed.id))
    return list(dict.fromkeys(rows))


def owed(session: Session, kind: str) -> list[WorkOwed]:
    return list(session.scalars(select(WorkOwed).where(WorkOwed.kind == kind).order_by(WorkOwed.id)))


def process_owner() -> str:
    """Who does a piece of work: host:pid of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool:
    """True while the process named by process_owner() still runs (another host's process: assumed alive)."""
    host, _, pid = (owner or "").rpartition(":")
    if not host or not pid.isdigit():
        return False
    if host != socket.gethostname():
        return True
    if int(pid) == os.getpid():
        return False  # this process did not begin it in this life: a reused pid of a dead process
    return pid_alive(int(pid))


def pid_alive(pid: int) -> bool:
    """True while a process with this id runs on this machine (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies (a killed crawl or worker leaves no orphan behind)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)
    except (OSError, AttributeError):
        pass


def recover_captures(session: Session, data_dir: Path) -> list[int]:
    """Captures begun by a process that died: delete the partial folder (only under data_dir/evidence) and
    keep the capture owed (detail "") so the capture step does it again. Returns the listing ids."""
    evidence_root = (data_dir / "evidence").resolve()
    again: list[int] = []
    for row in owed(session, CAPTURE):
        if not row.detail or owner_alive(row.owner):
            continue
        folder = (data_dir / row.detail).resolve()
        if folder.is_relative_to(evidence_root) and folder != evidence_root and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        listing_id = row.listing_id
        session.delete(row)
        session.flush()
        owe(session, CAPTURE, listing_id)
        again.append(listing_id)
    return again
