"""Media files under MEDIA_ROOT: originals by content hash, and their web and thumbnail derivatives.

Layout: originals/ab/cd/<sha256>, web/ab/cd/<sha256>.jpg, thumb/ab/cd/<sha256>.jpg. Every write
goes to a temp file in the same folder and is renamed over the final name, so readers never see
half a file. A durable write (originals) also fsyncs the file before the rename and the folder
after it, so a crash leaves the old file, the new file, or a temp file the cleanup removes.
Callers write files before the database row that names them commits.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from flask import current_app

VARIANTS = {"original": ("originals", ""), "web": ("web", ".jpg"), "thumb": ("thumb", ".jpg")}
TEMP_SUFFIX = ".tmp"


class MediaStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    @classmethod
    def from_config(cls) -> MediaStore:
        return cls(current_app.config["MEDIA_ROOT"])

    def path(self, variant: str, sha256: str) -> Path:
        folder, suffix = VARIANTS[variant]
        return self.root / folder / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"

    def exists(self, variant: str, sha256: str) -> bool:
        return self.path(variant, sha256).is_file()

    def write(self, variant: str, sha256: str, data: bytes, *, durable: bool = True) -> Path:
        """Write atomically (temp file, rename) and, if durable, with fsync of the file and its folder.

        Derivatives can skip the fsyncs (about a third of an upload's time on a busy disk): after a
        crash one may be missing or empty, and is then made again from the original when asked for.
        """
        final = self.path(variant, sha256)
        self._make_folders(final.parent, durable)
        temp = final.parent / f".{final.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            with open(temp, "xb") as out:
                out.write(data)
                if durable:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(temp, final)  # same content under the same name: a concurrent writer is harmless
        finally:
            temp.unlink(missing_ok=True)
        if durable:
            _fsync_folder(final.parent)
        return final

    def files(self, variant: str, prefix: str) -> Iterator[Path]:
        """Every file (temp files included) of one variant whose hash starts with the 2-hex `prefix`."""
        folder = self.root / VARIANTS[variant][0] / prefix
        if folder.is_dir():
            yield from (p for p in folder.glob("*/*") if p.is_file())

    def prefixes(self) -> list[str]:
        """The first-level folders (2 hex digits) present under any variant."""
        found = set()
        for folder, _suffix in VARIANTS.values():
            base = self.root / folder
            if base.is_dir():
                found.update(p.name for p in base.iterdir() if p.is_dir())
        return sorted(found)

    @staticmethod
    def sha_of(path: Path) -> str | None:
        """The hash a stored file belongs to; None for a temp file."""
        if path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX):
            return None
        return path.name.removesuffix(".jpg")

    def _make_folders(self, folder: Path, durable: bool) -> None:
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for new in reversed(missing):
            new.mkdir(exist_ok=True)
            if durable:
                _fsync_folder(new.parent)  # the new folder's entry must survive a crash too


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
