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

import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.bulk import RowWriter, values_present

from .importing import FileInfo, RejectsWriter, RowProblem, check_file, read_rows, row_to_input
from .models import Patient, PatientPhone
from .mrn import mrn_new
from .search.services import NewPatientIndexer
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
        taken = values_present(Patient, "mrn", sorted(wanted))
        chosen |= wanted - taken
    return list(chosen)


class _BatchWriter:
    """Writes batches of validated rows: patients, their phones and search terms, one audit event.

    Rows go in through `RowWriter` (COPY on PostgreSQL), with the patients' keys reserved first
    so phones and index rows need no read-back. Each batch is one transaction.
    """

    def __init__(self, *, actor: User | None, system: str, source: str):
        self.actor, self.system, self.source = actor, system, source
        self.patients = RowWriter(Patient, _PATIENT_COLUMNS)
        self.phones = RowWriter(PatientPhone, ("patient", "kind", "number"))
        self.index = NewPatientIndexer()

    def write(self, batch: list[tuple[dict[str, Any], dict[str, str]]], first_line: int, last_line: int) -> int:
        """Insert one batch of already validated patients; returns how many were created."""
        with transaction.atomic():
            # Checked again inside the transaction: another run of the same file may have committed.
            present = values_present(Patient, "external_id", [v["external_id"] for v, _ in batch])
            fresh = [(v, phones) for v, phones in batch if v["external_id"] not in present]
            if not fresh:
                return 0
            now = clock.now()
            ids = self.patients.ids_reserve(len(fresh))
            for (values, _), pk, mrn in zip(fresh, ids, _fresh_mrns(len(fresh)), strict=True):
                values.update(id=pk, mrn=mrn, created_at=now, updated_at=now)
            self.patients.insert(self.patients.row(v) for v, _ in fresh)
            self.phones.insert(
                (v["id"], kind, number) for v, phones in fresh for kind, number in phones.items() if number
            )
            self.index.index(
                [(v["id"], v["first_name"], v["last_name"], v.get("preferred_name", ""), v.get("middle_name", ""))
                 for v, _ in fresh]
            )  # fmt: skip
            audit_record(
                actor=self.actor,
                actor_username=self.system,
                action=Action.CREATE,
                object_type=ObjectType.PATIENT_IMPORT,
                object_id=self.source[:200],
                detail=f"rows {first_line}–{last_line}: {len(fresh)} patients created",
            )
            return len(fresh)


_PATIENT_COLUMNS = tuple(f.name for f in Patient._meta.concrete_fields)
_SSN_INDEX = Patient._meta.get_field("ssn_index")


def _values(clean: dict[str, Any], external_id: str, ssn: str | None, errors: dict, today) -> dict[str, Any]:
    """The column values of one valid row (as `patient_register` would save them)."""
    values = dict(clean, external_id=external_id)
    if "status" in values or "deceased_date" in values:
        patient = Patient(**clean)
        _check_status(patient, errors, today)
        values["deceased_date"] = patient.deceased_date
    if isinstance(values.get("primary_care_provider"), User):
        values["primary_care_provider"] = values["primary_care_provider"].pk
    if ssn:
        values.update(ssn=ssn, ssn_last4=ssn[-4:], ssn_index=_SSN_INDEX.index_of(ssn))  # type: ignore[union-attr]  # checked not None just above; mypy does not narrow through the dict
    return values


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
    today = clock.today()
    source = path.name
    with open(rejects, "w", newline="", encoding="utf-8") as out:
        writer = RejectsWriter(out, list(info.mapping) + info.ignored)
        batch: list = []
        in_batch: dict[str, int] = {}  # external id -> line, for repeats inside one batch
        first_line = last_line = 0

        pipeline = _Pipeline(_BatchWriter(actor=actor, system=system, source=source), result)

        def flush() -> None:
            nonlocal batch
            if batch:
                pipeline.submit(batch, first_line, last_line)
                batch = []
                in_batch.clear()

        try:
            for line, row, cells in read_rows(path, info):
                result.rows += 1
                if on_progress:
                    on_progress(1)
                try:
                    external_id, data = row_to_input(row)
                    if external_id in in_batch:
                        raise RowProblem("external_id", f"The same id is on line {in_batch[external_id]} already.")
                except RowProblem as problem:
                    writer.reject(line, problem.column, problem.reason, info.original(cells))
                    result.rejected += 1
                    continue
                clean, phones, ssn, errors = _validate(data, registering=True, today=today)
                values = _values(clean, external_id, ssn, errors, today) if not errors else {}
                if errors:
                    for column, messages in errors.items():
                        writer.reject(line, column, " ".join(ValidationError(messages).messages), info.original(cells))
                    result.rejected += 1
                    continue
                if not batch:
                    first_line = line
                last_line = line
                in_batch[external_id] = line
                batch.append((values, phones))
                if len(batch) >= batch_size:
                    flush()
            flush()
        finally:
            pipeline.finish(raising=sys.exc_info()[0] is None)
    return result


class _Pipeline:
    """Writes batches on a second thread while this one reads and checks the next rows.

    Reading and validating is Python work, writing is mostly the database's, so overlapping
    them nearly doubles the rate. The writer thread has its own connection and commits the
    batches in file order, one transaction each, so the crash-safety argument is unchanged; at
    most two batches wait, so memory stays flat. Inside a caller's transaction (a test, or a
    caller that wants all-or-nothing) the batches are written here, in that transaction.
    """

    _AHEAD = 2

    def __init__(self, writer: _BatchWriter, result: ImportResult):
        self.writer, self.result = writer, result
        self.pool = None if connection.in_atomic_block else ThreadPoolExecutor(1, thread_name_prefix="import-writer")
        self.pending: deque[tuple[Future[int], int]] = deque()
        self.failed = False  # set by the writer thread only

    def _count(self, made: int, size: int) -> None:
        self.result.created += made
        self.result.skipped += size - made

    def submit(self, batch: list, first_line: int, last_line: int) -> None:
        if self.pool is None:
            self._count(self.writer.write(batch, first_line, last_line), len(batch))
            return
        while len(self.pending) >= self._AHEAD:
            self._collect()
        self.pending.append((self.pool.submit(self._write, batch, first_line, last_line), len(batch)))

    def _write(self, batch: list, first_line: int, last_line: int) -> int:
        if self.failed:  # the import stops at the first refused batch, as it would unthreaded
            return 0
        try:
            return self.writer.write(batch, first_line, last_line)
        except BaseException:
            self.failed = True
            connections.close_all()  # the thread's connection; nothing else runs on it
            raise

    def _collect(self) -> None:
        future, size = self.pending.popleft()
        self._count(future.result(), size)  # re-raises the writer's error here

    def finish(self, *, raising: bool = True) -> None:
        """Wait for the batches still being written; their errors are raised unless one already is."""
        if self.pool is None:
            return
        try:
            while self.pending:
                if raising:
                    self._collect()
                else:
                    wait([self.pending.popleft()[0]])
        finally:
            for future, _ in self.pending:
                future.cancel()
            self.pool.submit(connections.close_all).result()
            self.pool.shutdown()
