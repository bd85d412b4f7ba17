"""Checks a restored database must pass before anyone works in it.

Core knows no app, so apps register their own checks from AppConfig.ready() (the audit app
registers the hash-chain verification). Core adds one of its own: that the encrypted fields
open with this install's CLINICDESK_ENCRYPTION_KEYS — a restore onto a new server without the
practice's key ring succeeds row for row and then cannot show a single SSN or note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

from clinicdesk.core import crypto
from clinicdesk.core.fields import EncryptedTextField


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str


Check = Callable[[str], CheckResult]  # database alias -> result
_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Run `check` on every restored database (registering a name again replaces it)."""
    _CHECKS[name] = check


def run_checks(*, using: str = "default") -> list[CheckResult]:
    """Every registered check, in registration order; a check that raises counts as failed."""
    results = []
    for name, check in _CHECKS.items():
        try:
            results.append(check(using))
        except Exception as exc:  # noqa: BLE001  (a broken check must fail the restore, not hide)
            results.append(CheckResult(name, False, f"could not run: {type(exc).__name__}: {exc}"))
    return results


def encrypted_fields_open(using: str) -> CheckResult:
    """One stored value of every encrypted column is opened with the configured key ring."""
    checked = 0
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.local_concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            raw = Cast(field.attname, output_field=models.TextField())
            token = (
                model._base_manager.using(using)
                .annotate(_raw=raw)
                .exclude(_raw__isnull=True)
                .exclude(_raw="")
                .values_list("_raw", flat=True)
                .first()
            )
            if token is None:
                continue
            try:
                crypto.decrypt(token, context=field.context)
            except crypto.DecryptionError as exc:
                return CheckResult(
                    "encryption keys",
                    False,
                    f"{model._meta.label}.{field.name} does not open: {exc}. Set CLINICDESK_ENCRYPTION_KEYS "
                    "(and CLINICDESK_BLIND_INDEX_KEY) to the practice's keys as they were when the backup was made.",
                )
            checked += 1
    return CheckResult("encryption keys", True, f"encrypted values open ({checked} columns sampled)")


register("encryption keys", encrypted_fields_open)
