"""The encrypted archive file on its own (clinicdesk/core/backup/container.py): many small chunks
round-trip, and no cut, reorder or forged end marker gets past decryption."""

from __future__ import annotations

import hashlib
import io
import os
import struct

import pytest

from clinicdesk.core.backup.container import END, END_MAGIC, ArchiveReader, ArchiveWriter, archive_integrity
from clinicdesk.core.backup.errors import ArchiveDamaged
from clinicdesk.core.backup.keys import parse_backup_keys

from .conftest import new_backup_key

KEY = parse_backup_keys(new_backup_key())[0]
CHUNK = 64


def _write(path, payload: bytes) -> None:
    with open(path, "wb") as out:
        writer = ArchiveWriter(out, key=KEY, header={"vendor": "sqlite"}, chunk_size=CHUNK)
        # Written in odd pieces, as tarfile writes.
        for start in range(0, len(payload), 1000):
            writer.write(payload[start : start + 1000])
        writer.close()


def _read(path) -> bytes:
    reader = ArchiveReader(archive_integrity(path), KEY)
    out = io.BytesIO()
    try:
        while block := reader.read(333):
            out.write(block)
        reader.finish()
    finally:
        reader.close()
    return out.getvalue()


def _chunks(data: bytes) -> tuple[int, list[bytes]]:
    """Offset of the first chunk and the raw chunks (length prefix included)."""
    start = 18 + 4 + struct.unpack(">I", data[18:22])[0]
    chunks, at, end = [], start, len(data) - END.size
    while at < end:
        length = struct.unpack(">I", data[at : at + 4])[0]
        chunks.append(data[at : at + 4 + length])
        at += 4 + length
    return start, chunks


def _reseal(data_without_marker: bytes) -> bytes:
    """A forger's end marker: correct offset and checksum for whatever precedes it."""
    digest = hashlib.sha256(data_without_marker).digest()
    return data_without_marker + END.pack(END_MAGIC, len(data_without_marker), digest)


def test_a_payload_of_many_chunks_comes_back_byte_for_byte(tmp_path):
    payload = os.urandom(50_000) + b"\x00" * 50_000
    path = tmp_path / "a.cdbk"
    _write(path, payload)

    assert len(_chunks(path.read_bytes())[1]) > 100
    assert _read(path) == payload


@pytest.mark.parametrize("cut", ["last-chunk", "a-middle-chunk", "swap-two-chunks"])
def test_a_forged_end_marker_does_not_hide_missing_or_moved_chunks(tmp_path, cut):
    path = tmp_path / "a.cdbk"
    _write(path, os.urandom(5_000))
    data = path.read_bytes()
    start, chunks = _chunks(data)
    if cut == "last-chunk":
        chunks = chunks[:-1]
    elif cut == "a-middle-chunk":
        del chunks[3]
    else:
        chunks[2], chunks[3] = chunks[3], chunks[2]
    path.write_bytes(_reseal(data[:start] + b"".join(chunks)))

    archive_integrity(path)  # the forged checksum matches: only decryption can tell
    with pytest.raises(ArchiveDamaged, match="does not decrypt"):
        _read(path)


def test_a_changed_header_fails_decryption_even_with_a_forged_checksum(tmp_path):
    path = tmp_path / "a.cdbk"
    _write(path, b"payload")
    data = path.read_bytes()
    forged = data.replace(b'"vendor": "sqlite"', b'"vendor": "sqlitf"')[: -END.size]
    path.write_bytes(_reseal(forged))

    with pytest.raises(ArchiveDamaged, match="does not decrypt"):
        _read(path)
