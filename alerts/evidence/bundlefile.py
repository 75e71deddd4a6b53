"""Read a bundle (ZIP or directory) safely: no zip-slip paths, no links, no oversized or duplicate members."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MAX_MEMBERS = 100_000
MAX_RATIO = 200  # deflate rarely beats 200:1 on real evidence; zip bombs reach 1000:1 and more
RATIO_FLOOR = 10_000_000  # below this size a high ratio is harmless (a page of spaces)


class UnsafeBundle(Exception):
    """The bundle holds a path or member that could write outside its folder or exhaust the machine."""


def check_member_name(name: str) -> None:
    """Refuse absolute paths, drive letters, backslashes and '..' parts (zip-slip)."""
    if not name or "\x00" in name:
        raise UnsafeBundle(f"member {name!r}: empty or NUL in name")
    if "\\" in name:
        raise UnsafeBundle(f"member {name!r}: backslash in path (zip-slip)")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeBundle(f"member {name!r}: absolute path (zip-slip)")
    if any(part == ".." for part in PurePosixPath(name).parts):
        raise UnsafeBundle(f"member {name!r}: '..' in path (zip-slip)")


class Bundle:
    """Files of a bundle by POSIX path; opened streams are bounded by max_member_bytes."""

    def __init__(self, source: Path, max_member_bytes: int, max_total_bytes: int | None = None):
        self.source = Path(source)
        self.max_member_bytes = max_member_bytes
        self._zip: zipfile.ZipFile | None = None
        self._sizes: dict[str, int] = {}
        if self.source.is_dir():
            self._scan_dir()
        elif self.source.is_file():
            try:
                self._zip = zipfile.ZipFile(self.source)
            except zipfile.BadZipFile:
                raise UnsafeBundle(f"{self.source} is neither a ZIP file nor a directory") from None
            self._scan_zip(max_total_bytes)
        else:
            raise FileNotFoundError(f"{self.source}: no such file or directory")

    def _scan_zip(self, max_total: int | None) -> None:
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeBundle(f"{len(infos)} members: more than {MAX_MEMBERS}")
        total = 0
        for info in infos:
            check_member_name(info.filename)
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if mode and stat.S_ISLNK(mode):
                raise UnsafeBundle(f"member {info.filename!r}: symbolic link")
            if info.file_size > self.max_member_bytes:
                raise UnsafeBundle(f"member {info.filename!r}: {info.file_size} bytes, over the "
                                   f"{self.max_member_bytes}-byte limit (evidence.max_member_bytes)")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise UnsafeBundle(f"member {info.filename!r}: {info.file_size} bytes packed into "
                                   f"{info.compress_size} (zip bomb?)")
            if info.filename in self._sizes:
                raise UnsafeBundle(f"member {info.filename!r} appears twice")
            total += info.file_size
            if max_total and total > max_total:
                raise UnsafeBundle(f"members add up to more than {max_total} bytes (evidence.max_bundle_bytes)")
            self._sizes[info.filename] = info.file_size

    def _scan_dir(self) -> None:
        root = self.source.resolve()
        for path in sorted(self.source.rglob("*")):
            rel = path.relative_to(self.source).as_posix()
            if path.is_symlink():
                raise UnsafeBundle(f"{rel}: symbolic link")
            if path.is_dir():
                continue
            if root not in path.resolve().parents:
                raise UnsafeBundle(f"{rel}: outside the bundle directory")
            size = path.stat().st_size
            if size > self.max_member_bytes:
                raise UnsafeBundle(f"{rel}: {size} bytes, over the {self.max_member_bytes}-byte limit")
            self._sizes[rel] = size

    @property
    def zip(self) -> zipfile.ZipFile | None:
        return self._zip

    def names(self) -> list[str]:
        return sorted(self._sizes)

    def size(self, name: str) -> int:
        return self._sizes[name]

    def __contains__(self, name: str) -> bool:
        return name in self._sizes

    def open(self, name: str) -> BinaryIO:
        if name not in self._sizes:
            raise KeyError(name)
        if self._zip is not None:
            return self._zip.open(name)
        return open(self.source / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            data = fh.read(self.max_member_bytes + 1)
        if len(data) > self.max_member_bytes:
            raise UnsafeBundle(f"member {name!r}: larger than its header says (over the limit)")
        return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> "Bundle":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
