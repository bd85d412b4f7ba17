"""Encryption of sensitive values at rest, and blind indexes for finding them again.

Values are sealed with AES-256-GCM under the newest key of a key ring read from
``settings.CLINICDESK_ENCRYPTION_KEYS`` ("id:base64urlkey,id:base64urlkey", newest first).
A sealed value is a text token::

    v1.<key id>.<base64url(nonce + ciphertext + tag)>

The key id travels with the value, so any key still in the ring can open it and
`clinicdesk rotate-keys` can find the values still sealed under an older key. Every call
names a *context* (for a model field "app_label.model.field"); it is authenticated as
associated data, so a token copied into another column, or read under the wrong key, fails
with `DecryptionError` instead of yielding garbage.

Blind indexes (`blind_index`) are keyed HMAC-SHA256 digests of a normalised value, kept in
a separate column so that exact matches can be found without decrypting every row. Their
key (``settings.CLINICDESK_BLIND_INDEX_KEY``) is separate and never rotates: see
docs/encryption.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

TOKEN_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class DecryptionError(Exception):
    """A stored token could not be opened: unknown key id, wrong key, altered or misplaced data.

    Deliberately not a ValueError: form and serializer code catches ValueError as "bad input"
    and would turn a lost key into a quiet validation message.
    """


@dataclass(frozen=True)
class KeyRing:
    """Encryption keys by id, newest first. The newest seals; every key opens."""

    keys: dict[str, bytes]
    ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ciphers", {key_id: AESGCM(key) for key_id, key in self.keys.items()})

    @property
    def current_id(self) -> str:
        return next(iter(self.keys))

    def __repr__(self) -> str:
        # Never print key material, not even in a traceback or a debug page.
        return f"KeyRing(ids={list(self.keys)})"


def _decode_key(text: str) -> bytes | None:
    """Bytes of a base64url key (padding optional), or None when `text` is not base64url."""
    if not _BASE64URL.fullmatch(text):
        return None
    unpadded = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        return None


def parse_key_ring(text: str, *, setting: str = "CLINICDESK_ENCRYPTION_KEYS") -> KeyRing:
    """Parse "id:base64urlkey,id:base64urlkey" (newest first) into a `KeyRing`.

    Raises ImproperlyConfigured naming the offending entry by position and id (never by
    its key material) for: an empty list or empty entry, a missing ":", an id outside
    [A-Za-z0-9_-]{1,32}, a duplicate id (compared case-insensitively, because SQLite's
    LIKE used by rotate-keys ignores case), a key that is not base64url, or a key that is
    not 32 bytes.
    """
    if not text or not text.strip():
        raise ImproperlyConfigured(f"{setting} is empty: it needs at least one key, e.g. k1:<base64url of 32 bytes>.")
    keys: dict[str, bytes] = {}
    seen: set[str] = set()
    for position, entry in enumerate(text.split(","), start=1):
        entry = entry.strip()
        where = f"{setting} entry {position}"
        if not entry:
            raise ImproperlyConfigured(f"{where} is empty (a stray comma?).")
        key_id, sep, encoded = entry.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        if not sep:
            raise ImproperlyConfigured(f"{where} has no ':' between key id and key.")
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise ImproperlyConfigured(f"{where}: key id must be 1-32 letters, digits, '-' or '_'.")
        where = f"{where} ({key_id!r})"
        if key_id.casefold() in seen:
            raise ImproperlyConfigured(f"{where}: key id is used twice.")
        key = _decode_key(encoded)
        if key is None:
            raise ImproperlyConfigured(f"{where}: key is not valid base64url.")
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"{where}: key is {len(key)} bytes, AES-256 needs {KEY_BYTES}.")
        seen.add(key_id.casefold())
        keys[key_id] = key
    return KeyRing(keys)


def parse_blind_index_key(text: str, *, setting: str = "CLINICDESK_BLIND_INDEX_KEY") -> bytes:
    """The 32-byte HMAC key from its base64url text; ImproperlyConfigured when it is not one."""
    key = _decode_key(text.strip()) if text else None
    if key is None:
        raise ImproperlyConfigured(f"{setting} is missing or not valid base64url.")
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(f"{setting} is {len(key)} bytes, it must be {KEY_BYTES}.")
    return key


# Parsed once per process; tests that override the settings rebuild them (see below).
_ring: KeyRing | None = None
_index_key: bytes | None = None


def key_ring() -> KeyRing:
    """The ring built from settings, parsed on first use and cached."""
    global _ring
    if _ring is None:
        _ring = parse_key_ring(settings.CLINICDESK_ENCRYPTION_KEYS)
    return _ring


def _blind_index_key() -> bytes:
    global _index_key
    if _index_key is None:
        _index_key = parse_blind_index_key(settings.CLINICDESK_BLIND_INDEX_KEY)
    return _index_key


def reset_key_cache() -> None:
    """Forget the parsed keys, so the next use reads the settings again."""
    global _ring, _index_key
    _ring = _index_key = None


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in {"CLINICDESK_ENCRYPTION_KEYS", "CLINICDESK_BLIND_INDEX_KEY"}:
        reset_key_cache()


def current_key_id() -> str:
    return key_ring().current_id


def _check_context(context: str) -> bytes:
    if not isinstance(context, str) or not context or "\x00" in context:
        raise ValueError("context must be a non-empty string without NUL, e.g. 'patients.patient.ssn'")
    return context.encode()


def _associated_data(key_id: str, context: str) -> bytes:
    return f"clinicdesk/{TOKEN_VERSION}/{key_id}/".encode() + _check_context(context)


def encrypt(plaintext: str, *, context: str) -> str:
    """Seal `plaintext` under the newest key and return its token.

    Every call draws a fresh random 96-bit nonce, so sealing the same value twice gives two
    different tokens. The token length still follows the plaintext length (GCM does not pad),
    which is why an empty string is not worth sealing: see `EncryptedTextField`.
    """
    if not isinstance(plaintext, str):
        raise TypeError(f"encrypt() takes str, not {type(plaintext).__name__}")
    ring = key_ring()
    key_id = ring.current_id
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.ciphers[key_id].encrypt(nonce, plaintext.encode(), _associated_data(key_id, context))
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{TOKEN_VERSION}.{key_id}.{body}"


def token_key_id(token: str) -> str:
    """The key id a token was sealed with, without opening it.

    Raises DecryptionError when `token` is not a token of this format at all (the message
    never repeats the value, which may be plaintext that should not reach a log).
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != TOKEN_VERSION or not KEY_ID_PATTERN.fullmatch(parts[1]):
        raise DecryptionError(f"not a {TOKEN_VERSION} encrypted token")
    return parts[1]


def decrypt(token: str, *, context: str) -> str:
    """Open a token sealed by `encrypt` for the same `context`.

    Raises DecryptionError naming the key id and context when: the token is malformed, its
    key id is not in the ring (a key was removed too early or lost), or it does not
    authenticate (wrong key under a reused id, altered bytes, or a token copied from another
    column). It never returns a value it could not authenticate.
    """
    try:
        key_id = token_key_id(token)
    except DecryptionError as exc:
        raise DecryptionError(f"{context}: {exc}") from None
    cipher = key_ring().ciphers.get(key_id)
    if cipher is None:
        raise DecryptionError(
            f"{context}: sealed with key id {key_id!r}, which is not in CLINICDESK_ENCRYPTION_KEYS "
            f"(known: {', '.join(key_ring().keys)}). Put that key back to read this value."
        )
    body = token.rsplit(".", 1)[1]
    try:
        # The decoder skips characters outside the alphabet, so the pattern check comes first.
        if not _BASE64URL.fullmatch(body):
            raise ValueError
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError(f"{context}: token sealed with key id {key_id!r} is not valid base64url") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"{context}: token sealed with key id {key_id!r} is truncated")
    try:
        plaintext = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated_data(key_id, context))
    except InvalidTag:
        raise DecryptionError(
            f"{context}: token does not authenticate under key id {key_id!r}: the key is wrong, "
            "the stored value was altered, or it was copied from another column"
        ) from None
    return plaintext.decode()


def normalize_text(value: str) -> str:
    """Unicode NFKC, surrounding whitespace removed, case folded: "  Ärzte " == "ärzte"."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def normalize_identifier(value: str) -> str:
    """`normalize_text`, then spaces and dashes dropped: "123-45 6789" == "123456789"."""
    return re.sub(r"[\s\-\u2010-\u2015\u2212]+", "", normalize_text(value))


# Field definitions name a normaliser rather than hold a function, so migrations stay
# readable and the index of existing rows cannot change because a function was edited:
# a new normalisation needs a new name and a re-index.
NORMALIZERS: dict[str, Callable[[str], str]] = {
    "text": normalize_text,
    "identifier": normalize_identifier,
}


def blind_index(value: str, *, context: str, normalize: str | Callable[[str], str] = "text") -> str:
    """Hex HMAC-SHA256 of the normalised `value`, keyed with CLINICDESK_BLIND_INDEX_KEY.

    `normalize` is a name from NORMALIZERS or a function. The context is part of the
    message, so the same SSN in two columns gives two unrelated digests and one column's
    index cannot be matched against another's. Equal values after normalisation always give
    the same digest; that equality is exactly what the index reveals, and all it reveals.
    """
    normalizer = NORMALIZERS[normalize] if isinstance(normalize, str) else normalize
    message = _check_context(context) + b"\x00" + normalizer(value).encode()
    return hmac.new(_blind_index_key(), message, hashlib.sha256).hexdigest()


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Report a malformed key setting at `check`/startup rather than at the first save."""
    errors: list[checks.CheckMessage] = []
    for name, parse in (
        ("CLINICDESK_ENCRYPTION_KEYS", parse_key_ring),
        ("CLINICDESK_BLIND_INDEX_KEY", parse_blind_index_key),
    ):
        try:
            parse(getattr(settings, name, ""))
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id="clinicdesk.E001", obj=name))
    return errors
