"""Media: originals by content hash, and their web and thumbnail derivatives, on one of two backends.

`MediaStore` is the interface every consumer uses (bytes, streams and URLs, never a filesystem path),
`media_store()` the configured backend (MEDIA_BACKEND): `FilesystemStore` here, under MEDIA_ROOT, or
`S3Store` (app/storage_s3.py) in an S3-compatible bucket (decision 0018).

Both keep one layout of keys: originals/ab/cd/<sha256>, web/ab/cd/<sha256>.jpg,
thumb/ab/cd/<sha256>.jpg. On the filesystem every write goes to a temp file in the same folder and is
renamed over the final name, so readers never see half a file. A durable write (originals) also
fsyncs the file before the rename and the folder after it, so a crash leaves the old file, the new
file, or a temp file the cleanup removes. An S3 PUT is atomic and durable once answered.
Callers write files before the database row that names them commits.
"""
from __future__ import annotations

import functools
import os
import re
import secrets
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import current_app

VARIANTS = {"original": ("originals", ""), "web": ("web", ".jpg"), "thumb": ("thumb", ".jpg")}
FOLDERS = {folder: variant for variant, (folder, _suffix) in VARIANTS.items()}
TEMP_SUFFIX = ".tmp"
BACKENDS = ("filesystem", "s3")
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredObject:
    """One stored file or object, as listed for the cleanup: `sha256` None for a temp file or a stranger."""

    key: str  # the layout's relative name, e.g. "web/ab/cd/<sha256>.jpg"
    sha256: str | None
    modified: float  # POSIX seconds: the orphan sweep's grace period
    size: int


def key_for(variant: str, sha256: str) -> str:
    folder, suffix = VARIANTS[variant]
    return f"{folder}/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def parse_key(key: str) -> tuple[str, str] | None:
    """(variant, sha256) of a layout key; None for a temp file or anything else."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] not in FOLDERS:
        return None
    variant = FOLDERS[parts[0]]
    name = parts[3]
    suffix = VARIANTS[variant][1]
    sha256 = name[: len(name) - len(suffix)] if suffix and name.endswith(suffix) else name
    if (suffix and not name.endswith(suffix)) or not _HASH.fullmatch(sha256) or parts[1:3] != [sha256[:2], sha256[2:4]]:
        return None
    return variant, sha256


class MediaUnavailable(Exception):
    """The media backend cannot be written (/healthz); the message says why, in an operator's words."""


class MediaStore(ABC):
    """Where photo files live. Reads of a missing file raise FileNotFoundError on every backend."""

    name: str
    sorted_listing = False  # objects(variant) comes in key order (the cleanup reads it in one pass)

    @classmethod
    def from_config(cls) -> MediaStore:
        return media_store()

    @abstractmethod
    def write(self, variant: str, sha256: str, data: bytes, *, durable: bool = True) -> None:
        """Store atomically; `durable` (originals) also survives a crash once returned."""

    @abstractmethod
    def open(self, variant: str, sha256: str) -> BinaryIO:
        """A binary stream of the file; the caller closes it."""

    def read(self, variant: str, sha256: str) -> bytes:
        with self.open(variant, sha256) as stream:
            return stream.read()

    @abstractmethod
    def size(self, variant: str, sha256: str) -> int | None:
        """Bytes stored, or None if there is no such file."""

    def exists(self, variant: str, sha256: str) -> bool:
        return self.size(variant, sha256) is not None

    @abstractmethod
    def delete(self, variant: str, sha256: str) -> None:
        """Remove the file if it is there."""

    @abstractmethod
    def delete_key(self, key: str) -> bool:
        """Remove one listed object by its key (temp files too); False if it was gone already."""

    @abstractmethod
    def objects(self, variant: str, prefix: str | None = None) -> Iterator[StoredObject]:
        """Every stored object (temp files included) of one variant whose hash starts with the 2-hex
        `prefix` (None: all of them)."""

    def locate(self, key: str) -> str:
        """Where an object is, for an operator's eyes (a path, or s3://bucket/key)."""
        return key

    def presigned_url(self, variant: str, sha256: str, *, filename: str | None = None,
                      content_type: str | None = None) -> str | None:
        """A short-lived URL the client fetches the file from directly; None where there is none."""
        return None

    def accel_path(self, variant: str, sha256: str) -> str | None:
        """The internal nginx location of the file (X-Accel-Redirect); None where there is none."""
        return None

    @abstractmethod
    def probe(self) -> str:
        """Write and remove a probe object (/healthz): what was checked, or MediaUnavailable."""


class FilesystemStore(MediaStore):
    name = "filesystem"

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, variant: str, sha256: str) -> Path:
        return self.root / key_for(variant, sha256)

    def write(self, variant: str, sha256: str, data: bytes, *, durable: bool = True) -> None:
        """Write atomically (temp file, rename) and, if durable, with fsync of the file and its folder.

        Derivatives can skip the fsyncs (about a third of an upload's time on a busy disk): after a
        crash one may be missing or empty, and is then made again from the original when asked for.
        """
        final = self._path(variant, sha256)
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

    def open(self, variant: str, sha256: str) -> BinaryIO:
        return open(self._path(variant, sha256), "rb")

    def size(self, variant: str, sha256: str) -> int | None:
        try:
            stat = self._path(variant, sha256).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return stat.st_size

    def delete(self, variant: str, sha256: str) -> None:
        self._path(variant, sha256).unlink(missing_ok=True)

    def delete_key(self, key: str) -> bool:
        try:
            (self.root / key).unlink()
            return True
        except FileNotFoundError:
            return False

    def objects(self, variant: str, prefix: str | None = None) -> Iterator[StoredObject]:
        folder = self.root / VARIANTS[variant][0]
        if prefix is not None:
            folder = folder / prefix
        if not folder.is_dir():
            return
        for path in folder.glob("*/*" if prefix is not None else "*/*/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # renamed or removed meanwhile
            if not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            parsed = parse_key(key)
            yield StoredObject(key, parsed[1] if parsed else None, stat.st_mtime, stat.st_size)

    def locate(self, key: str) -> str:
        return str(self.root / key)

    def probe(self) -> str:
        """The folder exists (created if missing) and a file can be written and removed in it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".healthz-", suffix=TEMP_SUFFIX, dir=self.root)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            raise MediaUnavailable(f"the media folder is not writable: {exc.strerror or type(exc).__name__}") from exc
        return "the media folder is writable"

    def accel_path(self, variant: str, sha256: str) -> str | None:
        return "/_media/" + key_for(variant, sha256)  # deploy/nginx/xuncha.conf: alias of MEDIA_ROOT

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


def media_url_origin(config) -> str:
    """The origin photo URLs redirect to (scheme://host[:port]), for the CSP; "" on the filesystem."""
    if config.get("MEDIA_BACKEND", "filesystem") != "s3" or not config.get("S3_BUCKET"):
        return ""
    return _s3_origin(*(config.get(name) or "" for name in ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_REGION",
                                                           "S3_ADDRESSING_STYLE")))


@functools.lru_cache(maxsize=8)
def _s3_origin(endpoint_url: str, bucket: str, region: str, addressing_style: str) -> str:
    from app.storage_s3 import S3Store

    store = S3Store(bucket, endpoint_url=endpoint_url or None, region=region or None,
                    addressing_style=addressing_style or "auto")
    parts = urlsplit(store.presigned_url("thumb", "0" * 64))  # signed locally: no request
    return f"{parts.scheme}://{parts.netloc}"


def media_store(config=None) -> MediaStore:
    """The backend the configuration names (MEDIA_BACKEND)."""
    config = config if config is not None else current_app.config
    backend = config.get("MEDIA_BACKEND", "filesystem")
    if backend == "s3":
        from app.storage_s3 import S3Store

        return S3Store.from_settings(config)
    if backend != "filesystem":
        raise ValueError(f"MEDIA_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return FilesystemStore(config["MEDIA_ROOT"])


@dataclass(frozen=True)
class MediaFile:
    """One photo file on its backend, as handed to whoever serves or reads it."""

    store: MediaStore
    variant: str
    sha256: str

    def open(self) -> BinaryIO:
        return self.store.open(self.variant, self.sha256)

    def read(self) -> bytes:
        return self.store.read(self.variant, self.sha256)

    def size(self) -> int | None:
        return self.store.size(self.variant, self.sha256)

    def presigned_url(self, *, filename: str | None = None, content_type: str | None = None) -> str | None:
        return self.store.presigned_url(self.variant, self.sha256, filename=filename, content_type=content_type)

    def accel_path(self) -> str | None:
        return self.store.accel_path(self.variant, self.sha256)
