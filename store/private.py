"""Private files: everything SaigaWatch writes is created 0600 in 0700 folders, whatever the caller's umask."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700
PUBLIC_SUFFIXES = (".pub.pem", ".pub")  # public keys are meant to be handed out: not reported


def private_umask() -> int:
    """Make this process (and every child it starts) create files 0600 and folders 0700; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


@dataclass(frozen=True)
class LoosePath:
    """A file or folder that others than the owner may read, write or enter."""

    path: Path
    mode: int
    is_dir: bool

    @property
    def expected(self) -> int:
        return DIR_MODE if self.is_dir else FILE_MODE

    def describe(self) -> str:
        kind = "folder" if self.is_dir else "file"
        return f"{self.path}: {kind} mode {self.mode:04o}, expected {self.expected:04o} (readable by other users)"


def loose_paths(roots: list[Path]) -> list[LoosePath]:
    """Every existing file or folder at or under `roots` with group or other permission bits; symlinks skipped."""
    found: dict[Path, LoosePath] = {}
    for root in roots:
        if not root.exists() and not root.is_symlink():
            continue
        for path in _walk(root):
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode) or path in found or path.name.endswith(PUBLIC_SUFFIXES):
                continue
            mode = stat.S_IMODE(st.st_mode)
            if mode & 0o077:
                found[path] = LoosePath(path, mode, stat.S_ISDIR(st.st_mode))
    return sorted(found.values(), key=lambda p: str(p.path))


def _walk(root: Path):
    yield root
    if root.is_dir() and not root.is_symlink():
        for dirpath, dirnames, filenames in os.walk(root):
            base = Path(dirpath)
            for name in dirnames + filenames:
                yield base / name


def tighten(loose: LoosePath) -> None:
    """Remove group and other permission bits (keeping the owner's)."""
    os.chmod(loose.path, loose.mode & 0o700)
