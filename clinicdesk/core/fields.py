"""Model fields for values encrypted at rest, and the blind index that finds them.

    class Patient(models.Model):
        ssn = EncryptedTextField(null=True, blank=True)
        ssn_index = BlindIndexField(source="ssn", normalize="identifier")
        # The annotation lets mypy type the manager; a bare BlindIndexManager() is ambiguous to it.
        objects: BlindIndexManager[Patient] = BlindIndexManager()

    Patient.objects.filter_by_blind_index("ssn", "123-45-6789")

See clinicdesk/core/crypto.py for the token format and docs/encryption.md for operations.
"""

from __future__ import annotations

from typing import TypeVar

from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import models
from django.db.models.signals import pre_save

from . import crypto

_M = TypeVar("_M", bound=models.Model)


class EncryptedTextField(models.TextField):
    """Text kept as an AES-GCM token in the database and as plaintext on the instance.

    Edge cases, decided:
    - None is stored as NULL and "" as "", both unencrypted. GCM does not hide length, so an
      encrypted empty string would be recognisable by its size anyway; keeping "" plain lets
      `blank=True` fields default to "" without a key at hand.
    - The associated data is the column's context, "app_label.model_name.field_name", or
      `context=` when given. Renaming the model or field therefore makes existing values
      unreadable (loudly); pin the old name with `context=` when renaming.
    - Ciphertext is not searchable: every lookup except `isnull` raises FieldError. Use a
      `BlindIndexField` for exact matches. `order_by` on this field sorts ciphertext and is
      meaningless.
    - `QuerySet.update(field=plaintext)` encrypts as `save()` does; `dumpdata` and
      `value_to_string` give plaintext, as they read the instance.
    """

    description = "Text encrypted at rest (AES-256-GCM)"

    def __init__(self, *args, context: str | None = None, **kwargs):
        self._context = context
        super().__init__(*args, **kwargs)

    @property
    def context(self) -> str:
        if self._context:
            return self._context
        meta = self.model._meta
        return f"{meta.app_label}.{meta.model_name}.{self.name}"

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self._context:
            kwargs["context"] = self._context
        return name, path, args, kwargs

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        for option in ("primary_key", "unique", "db_index"):
            if getattr(self, option):
                errors.append(
                    checks.Error(
                        f"EncryptedTextField cannot be {option}: every encryption of a value differs.",
                        hint="Add a BlindIndexField(source=...) for exact-match lookups or uniqueness.",
                        obj=self,
                        id="clinicdesk.E101",
                    )
                )
        return errors

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.context)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self.context)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted and cannot be searched with "
            f"'{lookup_name}' (only isnull). Filter on its BlindIndexField for exact matches."
        )

    def get_transform(self, lookup_name):
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted; '{lookup_name}' cannot run on ciphertext."
        )


NORMALIZER_CHOICES = tuple(crypto.NORMALIZERS)


class BlindIndexField(models.CharField):
    """Hex HMAC of another field's plaintext, for exact-match lookups on encrypted values.

    Filled in `pre_save` from `source` (an EncryptedTextField on the same model) normalised by
    `normalize` (a name from `crypto.NORMALIZERS`). None, and values that normalise to "",
    give NULL: there is nothing to look up. The digest uses the source's context, so it
    follows the source when that is pinned with `context=`.

    The index is only as fresh as the last `save()`: `QuerySet.update()` on the source does
    not refresh it, and `save(update_fields=[source])` without the index is refused.
    """

    description = "Blind index (HMAC-SHA256) of an encrypted field"

    def __init__(self, *args, source: str, normalize: str = "text", **kwargs):
        if normalize not in crypto.NORMALIZERS:
            raise ValueError(f"normalize must be one of {', '.join(NORMALIZER_CHOICES)}, not {normalize!r}")
        self.source = source
        self.normalize = normalize
        kwargs["max_length"] = 64
        kwargs.setdefault("db_index", not kwargs.get("unique", False))
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        kwargs["source"] = self.source
        if self.normalize != "text":
            kwargs["normalize"] = self.normalize
        # Leave out what __init__ would set by itself, so migrations show only real choices.
        for option, default in (("db_index", not self.unique), ("null", True), ("editable", False)):
            if getattr(self, option) == default:
                kwargs.pop(option, None)
            else:
                kwargs[option] = getattr(self, option)
        return name, path, args, kwargs

    def source_field(self) -> EncryptedTextField:
        source = self.model._meta.get_field(self.source)
        if not isinstance(source, EncryptedTextField):
            raise TypeError(
                f"{self.model._meta.label}.{self.name}: source {self.source!r} is not an EncryptedTextField"
            )
        return source

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        try:
            self.source_field()
        except (TypeError, FieldDoesNotExist) as exc:
            errors.append(checks.Error(str(exc), obj=self, id="clinicdesk.E102"))
        return errors

    def index_of(self, value: str | None) -> str | None:
        """The digest this column holds for a source value `value` (None when there is none)."""
        if value is None or not crypto.NORMALIZERS[self.normalize](value):
            return None
        return crypto.blind_index(value, context=self.source_field().context, normalize=self.normalize)

    def pre_save(self, model_instance, add):
        digest = self.index_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, digest)
        return digest

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        # Historical models (module "__fake__") are rebuilt many times per migrate run, so the
        # guard is not connected to them; pre_save still fills their index in data migrations.
        if not cls._meta.abstract and cls.__module__ != "__fake__":
            pre_save.connect(
                self._refuse_stale_index,
                sender=cls,
                weak=False,
                dispatch_uid=f"blind-index:{cls.__module__}.{cls.__qualname__}.{name}",
            )

    def _refuse_stale_index(self, sender, instance, update_fields=None, **kwargs):
        # save(update_fields=["ssn"]) would write the new ciphertext and keep the old digest,
        # so the row could no longer be found by its new value, nor be told apart from the old.
        if update_fields is not None and self.source in update_fields and self.name not in update_fields:
            raise ValueError(
                f"{sender._meta.label}: save(update_fields=...) includes {self.source!r} but not its "
                f"blind index {self.name!r}; add it so the index stays in step."
            )


class BlindIndexQuerySet(models.QuerySet[_M]):
    def filter_by_blind_index(self, source: str, value: str | None) -> BlindIndexQuerySet[_M]:
        """Rows whose `source` equals `value` after normalisation, found through its blind index.

        Raises FieldError when `source` has no BlindIndexField. A value that normalises to
        nothing (None, "", " - ") finds no rows rather than every row without a value.
        """
        for candidate in self.model._meta.concrete_fields:
            if isinstance(candidate, BlindIndexField) and candidate.source == source:
                digest = candidate.index_of(value)
                return self.none() if digest is None else self.filter(**{candidate.name: digest})
        raise FieldError(f"{self.model._meta.label}.{source} has no BlindIndexField to search by")


# Built with from_queryset because that is the form django-stubs types through chains like
# `.filter(...).filter_by_blind_index(...)`.
BlindIndexManager = models.Manager.from_queryset(BlindIndexQuerySet)
