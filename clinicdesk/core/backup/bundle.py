"""What is inside an archive: a tar stream of the database dump, the uploaded files and a manifest.

Members, in order: the database (``database.sqlite3`` or ``database.pgdump``), each uploaded
file as ``media/<path under MEDIA_ROOT>``, and ``manifest.json`` last, because it carries the
SHA-256 and size of every member before it, computed while they were written. Reading checks
every member against the manifest and refuses anything else: links, absolute paths, ``..``,
duplicates, members the manifest does not list or lists but that never came.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .errors import ArchiveDamaged, BackupError

MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Member:
    """A file to put into the archive under `name`."""

    name: str
    source: Path


class _HashingReader:
    def __init__(self, fh: IO[bytes], on_bytes: Callable[[int], None] | None):
        self.fh, self.digest, self.on_bytes = fh, hashlib.sha256(), on_bytes

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        if self.on_bytes:
            self.on_bytes(len(data))
        return data


def media_members(root: Path | None) -> list[Member]:
    """Regular files under `root` (symlinks are not followed), in a stable order; [] without one."""
    if root is None or not str(root) or not root.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(Member(MEDIA_PREFIX + path.relative_to(root).as_posix(), path))
    return found


def bundle_write(out: Any, *, members: Iterable[Member], manifest: dict[str, Any], mtime: float,
                 on_bytes: Callable[[int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Write `members` then the manifest (with their digests added) as a tar stream into `out`.

    Returns the manifest as written. An uploaded file deleted while the backup runs is left out
    (and counted in manifest["media"]["vanished"]); the database dump missing is an error.
    """
    digests: dict[str, dict[str, Any]] = {}
    vanished = 0
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for member in members:
            try:
                fh = open(member.source, "rb")  # noqa: SIM115  (closed below)
            except FileNotFoundError:
                if member.name.startswith(MEDIA_PREFIX):
                    vanished += 1
                    continue
                raise BackupError(f"{member.source} vanished while the backup was being written.") from None
            with fh:
                info = tarfile.TarInfo(member.name)
                info.size, info.mtime, info.mode = os.fstat(fh.fileno()).st_size, mtime, 0o600
                reader = _HashingReader(fh, on_bytes)
                tar.addfile(info, reader)  # type: ignore[arg-type]  # read() is all tarfile uses
                digests[member.name] = {"size": info.size, "sha256": reader.digest.hexdigest()}
        media = [name for name in digests if name.startswith(MEDIA_PREFIX)]
        written = {
            **manifest,
            "members": digests,
            "media": {"files": len(media), "bytes": sum(digests[n]["size"] for n in media), "vanished": vanished},
        }
        encoded = json.dumps(written, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(encoded), mtime, 0o600
        tar.addfile(info, io.BytesIO(encoded))
    return written


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and "\x00" not in name and not path.is_absolute() and ".." not in path.parts


def bundle_read(source: Any, *, destination: Callable[[str], Path | None], label: str) -> dict[str, Any]:
    """Read the tar stream from `source`, writing each member where `destination(name)` says
    (None: read and hash it only), and return the manifest once every member matched it.

    Raises ArchiveDamaged naming the member that is unexpected, unsafe, repeated, missing or
    whose digest differs. Files written before the error stay for the caller to remove.
    """
    digests: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(fileobj=source, mode="r|") as tar:
            for member in tar:
                name = member.name
                if manifest is not None:
                    raise ArchiveDamaged(f"{label}: {name!r} follows the manifest, which must come last.")
                if not member.isreg() or not _safe_name(name) or name in digests:
                    raise ArchiveDamaged(f"{label}: unexpected member {name!r} (not a plain file, unsafe or repeated).")
                fh = tar.extractfile(member)
                assert fh is not None  # noqa: S101  (a regular file always has a stream)
                if name == MANIFEST:
                    try:
                        manifest = json.loads(fh.read())
                    except ValueError:
                        raise ArchiveDamaged(f"{label}: its manifest is not readable.") from None
                    continue
                digests[name] = _copy(fh, destination(name))
    except tarfile.TarError as exc:
        raise ArchiveDamaged(f"{label}: its content is not a readable archive ({exc}).") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("members"), dict):
        raise ArchiveDamaged(f"{label}: it has no manifest; the archive is incomplete.")
    listed = manifest["members"]
    for name in sorted(set(listed) | set(digests)):
        if name not in digests:
            raise ArchiveDamaged(f"{label}: {name} is listed in the manifest but missing from the archive.")
        if name not in listed:
            raise ArchiveDamaged(f"{label}: {name} is in the archive but not in its manifest.")
        if listed[name] != digests[name]:
            raise ArchiveDamaged(f"{label}: {name} does not match the checksum in the manifest.")
    return manifest


def _copy(fh: IO[bytes], target: Path | None) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    out = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        out = open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")  # noqa: SIM115
    try:
        while block := fh.read(_BLOCK):
            digest.update(block)
            size += len(block)
            if out is not None:
                out.write(block)
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
    finally:
        if out is not None:
            out.close()
    return {"size": size, "sha256": digest.hexdigest()}
