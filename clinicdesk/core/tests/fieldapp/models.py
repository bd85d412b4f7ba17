from __future__ import annotations

from django.db import models

from clinicdesk.core.fields import BlindIndexField, BlindIndexManager, EncryptedTextField


class Identifier(models.Model):
    """A person's identifiers, the shape a patient's SSN column will take."""

    ssn = EncryptedTextField(null=True, blank=True)
    ssn_index = BlindIndexField(source="ssn", normalize="identifier")
    note = EncryptedTextField(blank=True)

    objects: BlindIndexManager[Identifier] = BlindIndexManager()

    def __str__(self) -> str:
        return f"Identifier {self.pk}"
