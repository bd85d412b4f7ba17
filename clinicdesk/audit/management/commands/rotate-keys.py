"""`clinicdesk rotate-keys`: re-seal every encrypted value under the newest encryption key.

Run it after putting a new key first in CLINICDESK_ENCRYPTION_KEYS and restarting every app
server and worker; once it reports nothing left, the old key may be removed. It covers
every EncryptedTextField column of every installed model and the MFA secrets that allauth
stores through our adapter. It lives in the audit app because it records what it did in
the audit trail, and core sits below audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from clinicdesk.audit.models import Action, ObjectType, Outcome
from clinicdesk.audit.services import audit_record
from clinicdesk.core import crypto, row_guards
from clinicdesk.core.fields import EncryptedTextField

ACTOR = "system:rotate-keys"


class RotationFailed(Exception):
    def __init__(self, done: int, why: str):
        super().__init__(why)
        self.done = done


@dataclass
class EncryptedColumns:
    """The EncryptedTextField columns of one model's own table."""

    model: type[models.Model]
    fields: list[EncryptedTextField]

    @property
    def label(self) -> str:
        return self.model._meta.label

    def _stale_rows(self, prefix: str):
        # Raw tokens are read through a cast to plain text, which bypasses decryption and the
        # field's refusal of lookups, so the database itself picks the rows to re-seal.
        raw = {f"_raw_{f.attname}": Cast(f.attname, output_field=models.TextField()) for f in self.fields}
        stale = models.Q()
        for alias in raw:
            stale |= (
                models.Q(**{f"{alias}__isnull": False})
                & ~models.Q(**{alias: ""})
                & ~models.Q(**{f"{alias}__startswith": prefix})
            )
        return self.model._base_manager.annotate(**raw).filter(stale), list(raw)

    def count_stale(self, prefix: str) -> int:
        rows, _ = self._stale_rows(prefix)
        return rows.count()

    def rotate(self, prefix: str, batch_size: int) -> Iterator[int]:
        """Re-seal stale rows in primary-key order, one transaction per batch; yields batch sizes.

        Walking by primary key visits each row once, so the run ends even while an app server
        that was not restarted keeps writing under the old key (a later run catches those).
        """
        rows, aliases = self._stale_rows(prefix)
        last_pk = None
        done = 0
        # A table whose rows are guarded against change (signed notes) has its guard lifted for
        # each batch's transaction only: the bytes change, the plaintext and signatures do not.
        guard = row_guards.guard_of(self.model._meta.db_table)
        while True:
            with transaction.atomic(), row_guards.lifted(guard):
                batch = rows.select_for_update().order_by("pk")
                if last_pk is not None:
                    batch = batch.filter(pk__gt=last_pk)
                found = list(batch.values_list("pk", *aliases)[:batch_size])
                for pk, *tokens in found:
                    changes = {}
                    for field, token in zip(self.fields, tokens, strict=True):
                        if token and not token.startswith(prefix):
                            try:
                                changes[field.attname] = crypto.decrypt(token, context=field.context)
                            except crypto.DecryptionError as exc:
                                raise RotationFailed(done, f"{self.label} pk={pk}: {exc}") from None
                    # update() seals plaintext under the newest key, as save() would, and leaves
                    # blind indexes alone: the plaintext they digest has not changed.
                    if changes:
                        self.model._base_manager.filter(pk=pk).update(**changes)
            if not found:
                return
            last_pk = found[-1][0]
            done += len(found)
            yield len(found)


class MfaSecrets:
    """TOTP secrets and recovery-code seeds, sealed by the configured MFA adapter's encrypt()."""

    DATA_KEYS = ("secret", "seed")
    label = "mfa.Authenticator"

    def __init__(self):
        from allauth.mfa.adapter import get_adapter
        from allauth.mfa.models import Authenticator

        self.model = Authenticator
        # Through the adapter, not crypto directly: which context the secrets are sealed
        # under is the accounts app's business, and audit must not import accounts.
        self.adapter = get_adapter()

    def _sealed_values(self, data: dict) -> list[str]:
        values = [data[key] for key in self.DATA_KEYS if isinstance(data.get(key), str)]
        return values + [code for code in data.get("migrated_codes") or [] if isinstance(code, str)]

    def _is_stale(self, data: dict, prefix: str) -> bool:
        return any(not value.startswith(prefix) for value in self._sealed_values(data))

    def _reseal(self, value: str, prefix: str) -> str:
        return value if value.startswith(prefix) else self.adapter.encrypt(self.adapter.decrypt(value))

    def count_stale(self, prefix: str) -> int:
        # Authenticators number one or two per staff member, so they are checked in Python.
        return sum(
            self._is_stale(data, prefix) for data in self.model.objects.values_list("data", flat=True).iterator()
        )

    def rotate(self, prefix: str, batch_size: int) -> Iterator[int]:
        last_pk = 0
        done = 0
        while True:
            with transaction.atomic():
                found = list(
                    self.model.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .values_list("pk", "data")[:batch_size]
                )
                changed = 0
                for pk, data in found:
                    if not self._is_stale(data, prefix):
                        continue
                    data = dict(data)
                    try:
                        for key in self.DATA_KEYS:
                            if isinstance(data.get(key), str):
                                data[key] = self._reseal(data[key], prefix)
                        if data.get("migrated_codes"):
                            data["migrated_codes"] = [self._reseal(code, prefix) for code in data["migrated_codes"]]
                    except crypto.DecryptionError as exc:
                        raise RotationFailed(done, f"{self.label} pk={pk}: {exc}") from None
                    self.model.objects.filter(pk=pk).update(data=data)
                    changed += 1
            if not found:
                return
            last_pk = found[-1][0]
            done += changed
            if changed:
                yield changed


def encrypted_targets() -> list[EncryptedColumns | MfaSecrets]:
    """Everything sealed with the key ring, model by model.

    Only a model's local fields count, so a multi-table child does not re-seal its parent's
    columns a second time; proxies have none of their own.
    """
    targets: list[EncryptedColumns | MfaSecrets] = []
    for model in apps.get_models():
        fields = [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if fields and not model._meta.proxy:
            targets.append(EncryptedColumns(model, fields))
    if apps.is_installed("allauth.mfa"):
        targets.append(MfaSecrets())
    return targets


class Command(BaseCommand):
    help = (
        "Re-encrypt every value sealed under an older key with the newest key of "
        "CLINICDESK_ENCRYPTION_KEYS. Safe to run again; a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be re-encrypted; change nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        key_id = crypto.current_key_id()
        prefix = f"{crypto.TOKEN_VERSION}.{key_id}."
        targets = encrypted_targets()
        self.stdout.write(f"Newest key: {key_id}.")
        if not targets:
            self.stdout.write("No encrypted columns are installed; nothing to do.")
            return
        for target in targets:
            stale = target.count_stale(prefix)
            if options["dry_run"]:
                self.stdout.write(f"{target.label}: {stale} would be re-encrypted.")
                continue
            done = self._rotate(
                target,
                prefix=prefix,
                key_id=key_id,
                total=stale,
                batch_size=batch_size,
                progress=not options["no_progress"],
            )
            self.stdout.write(f"{target.label}: {done} re-encrypted.")

    def _rotate(self, target, *, prefix: str, key_id: str, total: int, batch_size: int, progress: bool) -> int:
        done = 0
        try:
            with Progress(
                TextColumn(f"Re-encrypting {target.label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
                disable=not progress or total == 0,
            ) as bar:
                task = bar.add_task(target.label, total=total)
                for count in target.rotate(prefix, batch_size):
                    done += count
                    bar.advance(task, count)
        except RotationFailed as exc:
            # Batches before the failure are committed and really are re-encrypted; the trail
            # says so, and that the run stopped.
            self._audit(
                target, key_id, f"{target.label}: {exc.done} re-encrypted, then stopped: {exc}", outcome=Outcome.FAILURE
            )
            raise CommandError(str(exc)) from None
        self._audit(target, key_id, f"{target.label}: {done} re-encrypted", outcome=Outcome.SUCCESS)
        return done

    def _audit(self, target, key_id: str, detail: str, *, outcome: str) -> None:
        with transaction.atomic():
            audit_record(
                actor=None,
                actor_username=ACTOR,
                action=Action.EXECUTE,
                object_type=ObjectType.ENCRYPTION_KEYS,
                object_id=key_id,
                outcome=outcome,
                detail=detail,
            )
