"""Bulk import of a practice's patient list: validated, batched, idempotent and crash-safe.

Each batch of rows is one transaction: its patients, their phones and one audit event commit
together or not at all. Rows whose external id is already present are skipped, so running the
same file again, or again after the process was killed half way, ends in the same state as one
clean run. Bad rows go to the rejects file with their line number, column and reason; the good
rows around them are imported.

Auditing is per batch ("import: rows 2–501, 498 created"), not per patient: appending a chain
event per row would cap an import at the audit chain's rate (~1–3 thousand a second), and the
batch event still names the import, its file, the rows and the count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record

from .importing import FileInfo, RejectsWriter, RowProblem, check_file, read_rows, row_to_input
from .models import Patient, PatientPhone
from .mrn import mrn_new
from .search.services import search_index_patients
from .services import _check_status, _validate

BATCH = 1000


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    skipped: int = 0  # already imported (same external id)
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def _fresh_mrns(count: int) -> list[str]:
    """`count` MRNs not yet in use and distinct from each other."""
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = {mrn_new() for _ in range(count - len(chosen))} - chosen
        taken = set(Patient.objects.filter(mrn__in=wanted).values_list("mrn", flat=True))
        chosen |= wanted - taken
    return list(chosen)


def _write_batch(*, actor: User | None, system: str, source: str, batch: list, first_line: int, last_line: int) -> int:
    """Insert one batch of already validated patients; returns how many were created."""
    with transaction.atomic():
        # Checked again inside the transaction: another run of the same file may have committed.
        present = set(
            Patient.objects.filter(external_id__in=[p.external_id for p, _ in batch]).values_list(
                "external_id", flat=True
            )
        )
        fresh = [(p, phones) for p, phones in batch if p.external_id not in present]
        if not fresh:
            return 0
        for patient, mrn in zip((p for p, _ in fresh), _fresh_mrns(len(fresh)), strict=True):
            patient.mrn = mrn
        Patient.objects.bulk_create([p for p, _ in fresh], batch_size=500)
        created = {p.external_id: p for p in Patient.objects.filter(external_id__in=[p.external_id for p, _ in fresh])}
        search_index_patients(created.values())
        PatientPhone.objects.bulk_create(
            [PatientPhone(patient=created[p.external_id], kind=kind, number=number)
             for p, phones in fresh for kind, number in phones.items() if number],
            batch_size=1000,
        )  # fmt: skip
        audit_record(
            actor=actor,
            actor_username=system,
            action=Action.CREATE,
            object_type="patient_import",
            object_id=source[:200],
            detail=f"rows {first_line}–{last_line}: {len(fresh)} patients created",
        )
        return len(fresh)


def patient_import(
    *,
    actor: User | None,
    path: Path,
    rejects: Path,
    system: str = "",
    batch_size: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import `path`; bad rows go to `rejects`. Raises FileRejected (nothing imported) for a bad file."""
    info: FileInfo = check_file(path)
    result = ImportResult(ignored_columns=info.ignored)
    today = timezone.localdate()
    source = path.name
    with open(rejects, "w", newline="", encoding="utf-8") as out:
        writer = RejectsWriter(out, list(info.mapping) + info.ignored)
        batch: list = []
        in_batch: dict[str, int] = {}  # external id -> line, for repeats inside one batch
        first_line = last_line = 0

        def flush() -> None:
            nonlocal batch
            if batch:
                made = _write_batch(
                    actor=actor, system=system, source=source, batch=batch, first_line=first_line, last_line=last_line
                )
                result.created += made
                result.skipped += len(batch) - made
                batch = []
                in_batch.clear()

        for line, row, original in read_rows(path, info):
            result.rows += 1
            if on_progress:
                on_progress(1)
            try:
                external_id, data = row_to_input(row)
                if external_id in in_batch:
                    raise RowProblem("external_id", f"The same id is on line {in_batch[external_id]} already.")
            except RowProblem as problem:
                writer.reject(line, problem.column, problem.reason, original)
                result.rejected += 1
                continue
            clean, phones, ssn, errors = _validate(data, registering=True, today=today)
            patient = Patient(**clean, external_id=external_id)
            if not errors:
                _check_status(patient, errors, today)
            if errors:
                for column, messages in errors.items():
                    writer.reject(line, column, " ".join(ValidationError(messages).messages), original)
                result.rejected += 1
                continue
            if ssn:
                patient.ssn, patient.ssn_last4 = ssn, ssn[-4:]
            if not batch:
                first_line = line
            last_line = line
            in_batch[external_id] = line
            batch.append((patient, phones))
            if len(batch) >= batch_size:
                flush()
        flush()
    return result
