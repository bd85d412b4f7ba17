"""Imports started from the upload page: the file is checked at once, imported by the task worker.

The person sees a file-level problem (not UTF-8, missing columns, empty) the moment they
upload, with nothing imported; a good file is queued and the page shows its progress while
`clinicdesk worker` imports it through the same `patient_import` as the command line.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django_tasks import task

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType, Outcome
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock

from .importing import FileRejected, check_file
from .models import ImportJob, ImportStatus
from .patient_import import patient_import

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
PROGRESS_EVERY = 200


def _import_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_job_create(*, actor: User, upload: UploadedFile) -> ImportJob:
    """Store and check the upload, then queue its import. Raises ValidationError({"file": ...})."""
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": "The file is larger than 512 MB. Split it, or use `clinicdesk import patients`."}
        )
    name = uuid.uuid4().hex
    stored = _import_dir() / f"{name}.csv"
    with open(stored, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        rows = check_file(stored).rows
    except FileRejected as exc:
        stored.unlink(missing_ok=True)
        raise ValidationError({"file": f"Nothing was imported: {exc}"}) from exc
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            original_name=(upload.name or "upload.csv")[:255],
            stored_path=str(stored),
            rejects_path=str(stored.with_suffix(".rejects.csv")),
            total_rows=rows,
        )
        audit_record(
            actor=actor,
            action=Action.EXECUTE,
            object_type=ObjectType.PATIENT_IMPORT,
            object_id=str(job.public_id),
            detail=f"queued {rows} rows",
        )
        transaction.on_commit(lambda: import_job_task.enqueue(str(job.public_id)))
    return job


def import_job_run(*, public_id: str) -> ImportJob:
    """Import a queued job's file, keeping its progress row up to date. Safe to run again."""
    job = ImportJob.objects.select_related("created_by").get(public_id=public_id)
    if job.status == ImportStatus.DONE:
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=0)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        result = patient_import(
            actor=job.created_by, path=Path(job.stored_path), rejects=Path(job.rejects_path), on_progress=progress
        )
    except Exception as exc:  # noqa: BLE001  (recorded on the job for the person, then re-raised)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, finished_at=clock.now(), message=f"The import stopped: {exc}"[:500]
        )
        audit_record(
            actor=job.created_by,
            action=Action.EXECUTE,
            object_type=ObjectType.PATIENT_IMPORT,
            object_id=str(job.public_id),
            outcome=Outcome.FAILURE,
            detail="stopped with an error",
        )
        raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE,
        processed_rows=result.rows,
        created_count=result.created,
        skipped_count=result.skipped,
        rejected_count=result.rejected,
        finished_at=clock.now(),
        message=("Columns not imported: " + ", ".join(result.ignored_columns))[:500] if result.ignored_columns else "",
    )
    job.refresh_from_db()
    return job


@task()
def import_job_task(public_id: str) -> None:
    import_job_run(public_id=public_id)
