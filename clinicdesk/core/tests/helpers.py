"""Helpers the tests of several apps share."""

from __future__ import annotations

import base64
import os


def new_key(size: int = 32) -> str:
    """A fresh random key, URL-safe base64, as CLINICDESK_ENCRYPTION_KEYS holds them."""
    return base64.urlsafe_b64encode(os.urandom(size)).decode()
