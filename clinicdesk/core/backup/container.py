"""The encrypted archive file: a readable header, sealed chunks, and an end marker with a checksum.

Layout of a ``.cdbk`` file::

    MAGIC                      "CLINICDESK BACKUP\\n"
    header length              4 bytes, big-endian
    header                     JSON: format, created_at, vendor, key_id, salt, chunk_size, ...
    chunks                     each: 4-byte length + AES-256-GCM ciphertext of up to chunk_size
                               bytes of the zlib-compressed inner stream
    end marker                 "CDBK-END" + 8-byte offset of the marker + SHA-256 of all bytes before it

The header holds no patient data (it says which database vendor and which key, so a wrong
restore is refused before decryption) and is authenticated: every chunk's associated data is
the SHA-256 of the magic and header. Each archive derives its own data key from the backup key
and a random salt (HKDF-SHA256); the nonce of chunk *i* is *i* in 11 bytes plus a byte that is 1
on the last chunk only, so chunks cannot be reordered, dropped or cut off at a chunk boundary
without decryption failing. Memory stays at about two chunks, whatever the database's size.

The end marker lets `archive_integrity` tell a truncated file (no marker) from a damaged one
(checksum mismatch) by reading it once, without the key. ``<archive>.sha256`` beside it holds
the SHA-256 of the whole file in `sha256sum` format for copy tools and offsite checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ArchiveDamaged
from .keys import BackupKey

MAGIC = b"CLINICDESK BACKUP\n"
FORMAT = 1
CHUNK_SIZE = 1 << 20
END = struct.Struct(">8sQ32s")
END_MAGIC = b"CDBK-END"
_LENGTH = struct.Struct(">I")
_TAG = 16
_READ = 1 << 20
# Output of one decompression call is capped, so a reader's memory stays flat.
_INFLATE_MAX = 4 << 20
_MAX_HEADER = 64 << 10


def _data_key(key: BackupKey, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"clinicdesk backup v1 data key")
    return AESGCM(derived.derive(key.secret))


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


class ArchiveWriter:
    """A write-only binary stream that compresses, seals and writes to `out` (an open file).

    `close()` seals the last chunk, writes the end marker and returns the SHA-256 (hex) of the
    whole file as written; it does not close `out`.
    """

    def __init__(self, out: IO[bytes], *, key: BackupKey, header: dict[str, Any], chunk_size: int = CHUNK_SIZE):
        salt = os.urandom(32)
        self.header = {
            **header,
            "format": FORMAT,
            "cipher": "AES-256-GCM",
            "compression": "zlib",
            "chunk_size": chunk_size,
            "key_id": key.id,
            "salt": base64.b64encode(salt).decode(),
        }
        encoded = json.dumps(self.header, sort_keys=True).encode()
        prefix = MAGIC + _LENGTH.pack(len(encoded)) + encoded
        self._out = out
        self._aad = hashlib.sha256(prefix).digest()
        self._aead = _data_key(key, salt)
        self._chunk_size = chunk_size
        self._counter = 0
        self._buffer = bytearray()
        self._deflate = zlib.compressobj(6)
        self._hash = hashlib.sha256()
        self._written = 0
        self._emit(prefix)

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._hash.update(data)
        self._written += len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._counter, last), plain, self._aad)
        self._counter += 1
        self._emit(_LENGTH.pack(len(sealed)) + sealed)

    def write(self, data: bytes) -> int:
        self._buffer += self._deflate.compress(data)
        while len(self._buffer) > self._chunk_size:
            self._seal(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def close(self) -> str:
        self._buffer += self._deflate.flush()
        while len(self._buffer) > self._chunk_size:
            self._seal(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        # The last chunk is sealed even when empty: its flag is what proves nothing is missing.
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        marker = END.pack(END_MAGIC, self._written, self._hash.digest())
        self._out.write(marker)
        self._hash.update(marker)
        return self._hash.hexdigest()


@dataclass(frozen=True)
class ArchiveInfo:
    """An archive whose bytes are whole: its header, and where its chunks begin and end."""

    path: Path
    header: dict[str, Any]
    aad: bytes
    body_start: int
    body_end: int
    sha256: str


def _damaged(path: Path, why: str) -> ArchiveDamaged:
    return ArchiveDamaged(f"{path.name}: {why} Nothing was restored. Use another copy of it, or another archive.")


def _read_prefix(path: Path, fh: IO[bytes], size: int) -> tuple[dict[str, Any], bytes, int]:
    if size == 0:
        raise _damaged(path, "the file is empty (0 bytes).")
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        if MAGIC.startswith(magic):
            raise _damaged(path, f"the file is truncated: it ends after {size} bytes, inside its header.")
        raise ArchiveDamaged(f"{path.name} is not a ClinicDesk backup archive (it does not begin like one).")
    raw_length = fh.read(_LENGTH.size)
    length = _LENGTH.unpack(raw_length)[0] if len(raw_length) == _LENGTH.size else None
    if length is not None and length > _MAX_HEADER:
        raise _damaged(path, "its header is damaged (impossible length).")
    encoded = fh.read(length) if length is not None else b""
    if length is None or len(encoded) < length:
        raise _damaged(path, f"the file is truncated: it ends after {size} bytes, inside its header.")
    try:
        header = json.loads(encoded)
    except ValueError:
        raise _damaged(path, "its header is damaged (not readable).") from None
    if not isinstance(header, dict):
        raise _damaged(path, "its header is damaged (not readable).")
    if header.get("format") != FORMAT:
        raise ArchiveDamaged(
            f"{path.name} has archive format {header.get('format')!r}; this ClinicDesk reads format {FORMAT}. "
            "Restore it with the ClinicDesk version that wrote it."
        )
    return header, hashlib.sha256(magic + raw_length + encoded).digest(), fh.tell()


def _expected_sidecar(path: Path) -> str | None:
    sidecar = sidecar_of(path)
    try:
        text = sidecar.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return None
    return text[0].lower() if text else ""


def archive_integrity(path: Path, *, on_bytes: Callable[[int], None] | None = None) -> ArchiveInfo:
    """Check that `path` is a whole, unchanged archive; reads it once, needs no key.

    Raises ArchiveDamaged saying which: not an archive, empty, truncated (the end marker is
    missing, so the file was cut short while written or copied), checksum mismatch (bytes
    changed after writing), or disagreement with the `.sha256` file beside it.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115  (closed below)
    except OSError as exc:
        raise ArchiveDamaged(f"{path}: cannot be read ({exc.strerror}).") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        header, aad, body_start = _read_prefix(path, fh, size)
        marker_at = size - END.size
        if marker_at < body_start:
            raise _damaged(path, f"the file is truncated: it ends after {size} bytes, before its first chunk.")
        fh.seek(marker_at)
        end_magic, offset, digest = END.unpack(fh.read(END.size))
        if end_magic != END_MAGIC or offset > marker_at:
            raise _damaged(
                path,
                f"the file is truncated: it ends after {size} bytes without the end marker a complete archive "
                "has (it was cut short while being written or copied).",
            )
        if offset < marker_at:
            raise _damaged(path, "checksum mismatch: the file has bytes after its end marker.")
        fh.seek(0)
        whole = hashlib.sha256()
        left = marker_at
        while left:
            block = fh.read(min(_READ, left))
            if not block:
                raise _damaged(path, "the file shrank while it was being read.")
            whole.update(block)
            left -= len(block)
            if on_bytes:
                on_bytes(len(block))
        if whole.digest() != digest:
            raise _damaged(path, "checksum mismatch: its bytes changed after it was written (a damaged disk or copy).")
        whole.update(fh.read(END.size))
    checksum = whole.hexdigest()
    expected = _expected_sidecar(path)
    if expected is not None and expected != checksum:
        raise _damaged(
            path,
            f"checksum mismatch with {sidecar_of(path).name}: the archive or its checksum file was changed "
            "or comes from another backup.",
        )
    return ArchiveInfo(path, header, aad, body_start, marker_at, checksum)


class ArchiveReader:
    """A read-only binary stream of an archive's inner content, decrypted and decompressed.

    Each chunk is authenticated before any of it is handed out. `finish()` reads what is left
    and checks that the stream ended where the writer ended it.
    """

    def __init__(self, info: ArchiveInfo, key: BackupKey, *, on_bytes: Callable[[int], None] | None = None):
        try:
            salt = base64.b64decode(info.header["salt"], validate=True)
            self._chunk_limit = int(info.header["chunk_size"]) + _TAG
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise _damaged(info.path, "its header is damaged (no salt or chunk size).") from None
        self._info = info
        self._aead = _data_key(key, salt)
        self._fh = open(info.path, "rb")  # noqa: SIM115  (closed by close())
        self._fh.seek(info.body_start)
        self._position = info.body_start
        self._counter = 0
        self._done = False
        self._inflate = zlib.decompressobj()
        self._out = bytearray()
        self._on_bytes = on_bytes

    def _next_plain(self) -> bytes:
        raw_length = self._fh.read(_LENGTH.size)
        length = _LENGTH.unpack(raw_length)[0] if len(raw_length) == _LENGTH.size else -1
        if not _TAG <= length <= self._chunk_limit or self._position + _LENGTH.size + length > self._info.body_end:
            raise _damaged(self._info.path, f"chunk {self._counter} is damaged.")
        sealed = self._fh.read(length)
        self._position += _LENGTH.size + length
        last = self._position == self._info.body_end
        try:
            plain = self._aead.decrypt(_nonce(self._counter, last), sealed, self._info.aad)
        except InvalidTag:
            raise _damaged(
                self._info.path, f"chunk {self._counter} does not decrypt: it was altered, or made with another key."
            ) from None
        self._counter += 1
        self._done = last
        if self._on_bytes:
            self._on_bytes(_LENGTH.size + length)
        return plain

    def _inflated(self, data: bytes) -> bytes:
        try:
            return self._inflate.decompress(data, _INFLATE_MAX)
        except zlib.error:
            raise _damaged(self._info.path, "its compressed content is damaged.") from None

    def read(self, size: int = -1) -> bytes:
        want = size if size is not None and size >= 0 else 1 << 62
        while len(self._out) < want:
            if self._inflate.unconsumed_tail:
                self._out += self._inflated(self._inflate.unconsumed_tail)
            elif not self._done:
                self._out += self._inflated(self._next_plain())
            else:
                break
        data = bytes(self._out[:want])
        del self._out[:want]
        return data

    def finish(self) -> None:
        """Read to the end (authenticating every chunk) and check that nothing follows the content."""
        while self.read(_INFLATE_MAX):
            pass
        if not self._inflate.eof or self._inflate.unused_data:
            raise _damaged(self._info.path, "its content ends early or has extra data after its end.")

    def close(self) -> None:
        self._fh.close()
