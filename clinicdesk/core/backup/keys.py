"""The backup key: where it comes from, and the short id that names it in every archive.

The key is separate from the database key ring (``CLINICDESK_ENCRYPTION_KEYS``): whoever
steals an archive and a database host must still find a second secret. It is base64url of 32
random bytes; ``CLINICDESK_BACKUP_KEY`` may hold several, comma-separated, newest first, so a
new key can encrypt new archives while older archives still open (docs/backup-and-restore.md).
``CLINICDESK_BACKUP_KEY_FILE`` names a file holding the same text instead (a secret store's
mounted file). Archives carry a key *id* — a keyed digest, not the key — so a restore with the
wrong key says so before any decryption is attempted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .errors import BackupError

KEY_BYTES = 32
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


@dataclass(frozen=True)
class BackupKey:
    id: str
    secret: bytes

    def __repr__(self) -> str:
        # Never print key material, not even in a traceback.
        return f"BackupKey(id={self.id!r})"


def key_id(secret: bytes) -> str:
    """16 hex digits that name `secret` without revealing it (HMAC of a fixed label)."""
    return hmac.new(secret, b"clinicdesk backup key id", hashlib.sha256).hexdigest()[:16]


def parse_backup_keys(text: str, *, setting: str = "CLINICDESK_BACKUP_KEY") -> list[BackupKey]:
    """The keys in `text`, newest first; BackupError naming the entry (by position) that is wrong."""
    keys: list[BackupKey] = []
    for position, entry in enumerate(text.split(","), start=1):
        entry = entry.strip()
        where = f"{setting} entry {position}"
        if not entry:
            raise BackupError(f"{where} is empty (a stray comma?).")
        secret = None
        if _BASE64URL.fullmatch(entry):
            unpadded = entry.rstrip("=")
            try:
                secret = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
            except (binascii.Error, ValueError):
                secret = None
        if secret is None:
            raise BackupError(f"{where} is not valid base64url.")
        if len(secret) != KEY_BYTES:
            raise BackupError(f"{where} is {len(secret)} bytes; a backup key is {KEY_BYTES} random bytes.")
        keys.append(BackupKey(key_id(secret), secret))
    return keys


def backup_keys() -> list[BackupKey]:
    """The configured backup keys, newest first.

    Raises BackupError when none is configured (production without CLINICDESK_BACKUP_KEY or
    CLINICDESK_BACKUP_KEY_FILE), when the key file cannot be read, or when a key is malformed.
    """
    text = getattr(settings, "CLINICDESK_BACKUP_KEY", "") or ""
    source = "CLINICDESK_BACKUP_KEY"
    key_file = getattr(settings, "CLINICDESK_BACKUP_KEY_FILE", "") or ""
    if not text.strip() and key_file:
        source = "CLINICDESK_BACKUP_KEY_FILE"
        try:
            text = Path(key_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise BackupError(f"CLINICDESK_BACKUP_KEY_FILE {key_file} cannot be read: {exc}.") from None
    if not text.strip():
        raise BackupError(
            "No backup key: set CLINICDESK_BACKUP_KEY (or CLINICDESK_BACKUP_KEY_FILE) to base64url of 32 random "
            "bytes, kept apart from the database keys. See docs/backup-and-restore.md."
        )
    return parse_backup_keys(text.strip(), setting=source)


def key_is_generated_beside_the_data() -> bool:
    """True when the key in use is the development one generated into var/ (a copy must go elsewhere)."""
    path = Path(getattr(settings, "VAR_DIR", "var")) / "clinicdesk_backup_key"
    try:
        return path.read_text().strip() == (getattr(settings, "CLINICDESK_BACKUP_KEY", "") or "").strip()
    except OSError:
        return False
